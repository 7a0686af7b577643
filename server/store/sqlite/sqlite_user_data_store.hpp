// SqliteUserDataStore: UserDataStore over the server's SQLite Database.
//
// Tables (module "user_data"): user_documents(user, domain, kind, key, xml)
// and last_activity(user, domain, stamp, status). The store borrows the
// Database, which must outlive it. Calls are thread-safe (the Database
// serialises them) and block on disk: run them on the storage executor or
// in an admin sub-command.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "server/store/sqlite/database.hpp"
#include "server/store/user_data_store.hpp"

namespace server::store {

class SqliteUserDataStore final : public UserDataStore {
public:
    explicit SqliteUserDataStore(Database& db) : db_(db) {}

    static MigrationSet schema();

    std::optional<std::string> document(const std::string& user, const std::string& domain,
                                        const std::string& kind, const std::string& key) override;
    bool set_document(const std::string& user, const std::string& domain, const std::string& kind,
                      const std::string& key, const std::string& xml) override;
    bool remove_document(const std::string& user, const std::string& domain, const std::string& kind,
                         const std::string& key) override;
    std::size_t document_count(const std::string& user, const std::string& domain,
                               const std::string& kind) override;
    std::vector<std::pair<std::string, std::string>> documents(const std::string& user, const std::string& domain,
                                                               const std::string& kind) override;

    std::optional<LastActivity> last_activity(const std::string& user, const std::string& domain) override;
    bool set_last_activity(const std::string& user, const std::string& domain, const LastActivity& last) override;

private:
    Database& db_;
};

}  // namespace server::store
