// UserDataStore: small per-account XML documents and the last-activity
// record, whatever the storage backend: the vCard (XEP-0054, kind "vcard",
// key ""), private XML storage by namespace (XEP-0049, kind "private", key =
// the namespace), push notification registrations (XEP-0357, kind "push",
// key = app server and node), and when the account was last available with its last
// status (XEP-0012).
//
// Owned by the backend's Storage (storage.hpp). Calls are thread-safe and
// block on disk or network: run them on the storage executor or in an admin
// sub-command, never on an I/O worker.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace server::store {

struct LastActivity {
    std::int64_t stamp = 0;  // Unix time, seconds
    std::string status;
};

class UserDataStore {
public:
    virtual ~UserDataStore() = default;

    virtual std::optional<std::string> document(const std::string& user, const std::string& domain,
                                                const std::string& kind, const std::string& key) = 0;
    virtual bool set_document(const std::string& user, const std::string& domain, const std::string& kind,
                              const std::string& key, const std::string& xml) = 0;
    // Removes one document; true when it was there.
    virtual bool remove_document(const std::string& user, const std::string& domain, const std::string& kind,
                                 const std::string& key) = 0;
    virtual std::size_t document_count(const std::string& user, const std::string& domain,
                                       const std::string& kind) = 0;
    // Every document of one kind, as (key, xml), by key (xmqd export).
    virtual std::vector<std::pair<std::string, std::string>> documents(const std::string& user,
                                                                       const std::string& domain,
                                                                       const std::string& kind) = 0;

    virtual std::optional<LastActivity> last_activity(const std::string& user, const std::string& domain) = 0;
    virtual bool set_last_activity(const std::string& user, const std::string& domain,
                                   const LastActivity& last) = 0;
};

}  // namespace server::store
