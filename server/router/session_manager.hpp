// SessionManager: the table of bound client sessions, by bare JID then
// resource, with each resource's availability and presence priority. Shared
// by all workers: sharded by bare JID, each shard behind a shared_mutex, held
// only for the lookup itself (never across I/O). Thread-safe.
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "server/router/client_session.hpp"
#include "xmpp/jid.hpp"

namespace server {

struct BoundResource {
    std::string resource;
    std::shared_ptr<ClientSession> session;
    bool available = false;  // has sent initial presence and not gone unavailable
    int priority = 0;
};

struct BindResult {
    bool bound = false;        // false: the account is at its limit of resources
    std::size_t resources = 0;  // the account's resources after the call
    std::shared_ptr<ClientSession> replaced;  // the session that had this resource
};

class SessionManager {
public:
    // Binds `full` to `session`, unless the account already has
    // `max_resources` resources (replacing one of its own adds none). The
    // check and the insert happen under one lock: logins of one account on
    // several workers at once cannot pass the limit together.
    BindResult bind(const xmpp::Jid& full, std::shared_ptr<ClientSession> session, std::size_t max_resources);
    // Unbinds `full` if it is still bound to `session` (a replaced session
    // must not unbind its successor); returns whether it was.
    bool unbind(const xmpp::Jid& full, const ClientSession* session);
    std::shared_ptr<ClientSession> find(const xmpp::Jid& full) const;
    // Copy of the resources bound for a bare JID.
    std::vector<BoundResource> resources(const xmpp::Jid& bare) const;
    void set_presence(const xmpp::Jid& full, bool available, int priority);
    std::size_t size() const;
    void for_each(const std::function<void(const std::shared_ptr<ClientSession>&)>& fn) const;

private:
    struct Shard {
        mutable std::shared_mutex mutex;
        std::unordered_map<std::string, std::vector<BoundResource>> users;  // by bare JID
    };
    Shard& shard_for(const std::string& bare) const;
    mutable std::array<Shard, 16> shards_;
};

}  // namespace server
