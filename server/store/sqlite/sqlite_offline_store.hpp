// SqliteOfflineStore: OfflineStore over the server's SQLite Database.
//
// Table (module "offline"): offline_messages(id, user, domain, stamp, xml),
// id increasing. add() counts and inserts in one transaction, committed
// with synchronous=FULL, so an accepted message is on disk. The store
// borrows the Database, which must outlive it. Calls are thread-safe (the
// Database serialises them) and block on disk: run them on the storage
// executor or in an admin sub-command.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "server/store/offline_store.hpp"
#include "server/store/sqlite/database.hpp"

namespace server::store {

class SqliteOfflineStore final : public OfflineStore {
public:
    explicit SqliteOfflineStore(Database& db) : db_(db) {}

    static MigrationSet schema();

    AddStatus add(const std::string& user, const std::string& domain, std::int64_t stamp, const std::string& xml,
                  std::size_t cap) override;
    std::vector<OfflineMessage> list(const std::string& user, const std::string& domain) override;
    bool remove_through(const std::string& user, const std::string& domain, std::int64_t last_id) override;
    std::size_t count(const std::string& user, const std::string& domain) override;
    std::size_t total() override;

private:
    Database& db_;
};

}  // namespace server::store
