// SqliteRosterStore: RosterStore over the server's SQLite Database.
//
// Tables (module "roster"): roster_items(user, domain, contact, ...) with one
// row per contact, its subscription state stored as an integer;
// roster_versions(user, domain, ver), the counter every change raises. The
// store borrows the Database, which must outlive it. Calls are thread-safe
// (the Database serialises them) and block on disk: run them on the storage
// executor or in an admin sub-command.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "server/store/roster_store.hpp"
#include "server/store/sqlite/database.hpp"

namespace server::store {

class SqliteRosterStore final : public RosterStore {
public:
    explicit SqliteRosterStore(Database& db) : db_(db) {}

    static MigrationSet schema();

    std::vector<RosterRow> rows(const std::string& user, const std::string& domain) override;
    std::optional<RosterRow> row(const std::string& user, const std::string& domain,
                                 const std::string& contact) override;
    std::size_t roster_size(const std::string& user, const std::string& domain) override;
    std::optional<std::int64_t> put(const std::string& user, const std::string& domain,
                                    const RosterRow& row) override;
    std::optional<std::int64_t> remove(const std::string& user, const std::string& domain,
                                       const std::string& contact) override;
    std::int64_t version(const std::string& user, const std::string& domain) override;

private:
    std::optional<std::int64_t> bump(Database::Lock& l, const std::string& user, const std::string& domain);
    Database& db_;
};

}  // namespace server::store
