// SqliteBlocklistStore: BlocklistStore over the server's SQLite Database.
//
// Table (module "blocklist"): blocklist(user, domain, jid). The store
// borrows the Database, which must outlive it. Calls are thread-safe (the
// Database serialises them) and block on disk: run them on the storage
// executor, or at start-up (all()) before the workers run.
#pragma once

#include <string>
#include <tuple>
#include <vector>

#include "server/store/blocklist_store.hpp"
#include "server/store/sqlite/database.hpp"

namespace server::store {

class SqliteBlocklistStore final : public BlocklistStore {
public:
    explicit SqliteBlocklistStore(Database& db) : db_(db) {}

    static MigrationSet schema();

    std::vector<std::tuple<std::string, std::string, std::string>> all() override;
    bool add(const std::string& user, const std::string& domain, const std::vector<std::string>& jids) override;
    bool remove(const std::string& user, const std::string& domain, const std::vector<std::string>& jids) override;

private:
    Database& db_;
};

}  // namespace server::store
