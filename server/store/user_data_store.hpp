// UserDataStore: small per-account XML documents and the last-activity
// record, over the server's SQLite Database: the vCard (XEP-0054), private
// XML storage by namespace (XEP-0049), and when the account was last
// available with its last status (XEP-0012).
//
// Tables (module "user_data"): user_documents(user, domain, kind, key, xml)
// where kind is "vcard" (key "") or "private" (key = the namespace);
// last_activity(user, domain, stamp, status). The store borrows the
// Database. Calls are thread-safe and block on disk: run them on the storage
// executor or in an admin sub-command.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "server/store/database.hpp"

namespace server::store {

struct LastActivity {
    std::int64_t stamp = 0;  // Unix time, seconds
    std::string status;
};

class UserDataStore {
public:
    explicit UserDataStore(Database& db) : db_(db) {}

    static MigrationSet schema();

    std::optional<std::string> document(const std::string& user, const std::string& domain,
                                        const std::string& kind, const std::string& key);
    bool set_document(const std::string& user, const std::string& domain, const std::string& kind,
                      const std::string& key, const std::string& xml);
    std::size_t document_count(const std::string& user, const std::string& domain, const std::string& kind);
    // Every document of one kind, as (key, xml), by key (xmqd export).
    std::vector<std::pair<std::string, std::string>> documents(const std::string& user, const std::string& domain,
                                                               const std::string& kind);

    std::optional<LastActivity> last_activity(const std::string& user, const std::string& domain);
    bool set_last_activity(const std::string& user, const std::string& domain, const LastActivity& last);

private:
    Database& db_;
};

}  // namespace server::store
