// SqliteAccountStore: auth::AccountStore over the server's SQLite Database.
//
// Tables (module "accounts"): accounts(user, domain, created) keyed by
// (user, domain), and account_secrets holding one RFC 5803 authPassword text
// per SCRAM hash ("SCRAM-SHA-256$4096:salt$StoredKey:ServerKey"); never a
// password. Names are stored as given: callers pass normalised localparts and
// domains. The store borrows the Database, which must outlive it. Every call is
// thread-safe (the Database serialises them) and blocks on disk: run it on the
// storage executor or in an admin sub-command.
#pragma once

#include <string>
#include <vector>

#include "auth/account_store.hpp"
#include "server/store/sqlite/database.hpp"

namespace server::store {

class SqliteAccountStore final : public auth::AccountStore {
public:
    explicit SqliteAccountStore(Database& db) : db_(db) {}

    // The tables this store needs; part of store_schema().
    static MigrationSet schema();

    auth::AccountLookup lookup(const std::string& user, const std::string& domain) override;
    auth::StoreStatus create(const auth::Account& account) override;
    auth::StoreStatus set_secrets(const std::string& user, const std::string& domain,
                                  const std::vector<auth::ScramSecret>& secrets) override;
    auth::StoreStatus remove(const std::string& user, const std::string& domain) override;
    std::vector<std::string> list(const std::string& domain) override;

private:
    Database& db_;
};

}  // namespace server::store
