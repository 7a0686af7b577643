// SessionManager: the table of bound client sessions, by bare JID then
// resource, and the one record of their availability (RFC 6121 §4): whether
// each resource is available, its priority, its last available presence (to
// answer probes and to show contacts), and whether it asked for the roster
// (only those resources get roster pushes, §2.1.6). Owned by Server. The
// Router binds and unbinds, records presence, and hands stanzas to the
// sessions (server/router/delivery.hpp); modules read availability here
// (and the roster module marks roster interest), never sessions. Shared by
// all workers: sharded by bare JID, each shard behind a shared_mutex, held
// only for the lookup itself (never across I/O). Thread-safe.
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "server/router/client_session.hpp"
#include "xmpp/element.hpp"
#include "xmpp/jid.hpp"

namespace server {

struct BoundResource {
    std::string resource;
    std::shared_ptr<ClientSession> session;
    bool available = false;  // has sent available presence, and not unavailable since
    int priority = 0;
    std::shared_ptr<const xmpp::Element> presence;  // the last available presence, 'from' stamped; null when unavailable
    bool roster_interested = false;                 // asked for the roster in this session
};

// A resource's current presence, for those who may see it.
struct AvailablePresence {
    std::string resource;
    std::shared_ptr<const xmpp::Element> presence;  // 'from' stamped, no 'to'
};

struct BindResult {
    bool bound = false;        // false: the account is at its limit of resources
    std::size_t resources = 0;  // the account's resources after the call
    std::shared_ptr<ClientSession> replaced;  // the session that had this resource
    bool replaced_was_available = false;      // and whether it was available
};

class SessionManager {
public:
    // Binds `full` to `session`, unless the account already has
    // `max_resources` resources (replacing one of its own adds none). The
    // check and the insert happen under one lock: logins of one account on
    // several workers at once cannot pass the limit together. A new binding
    // starts unavailable.
    BindResult bind(const xmpp::Jid& full, std::shared_ptr<ClientSession> session, std::size_t max_resources);
    // Unbinds `full` if it is still bound to `session` (a replaced session
    // must not unbind its successor); returns what was bound, if it was.
    std::optional<BoundResource> unbind(const xmpp::Jid& full, const ClientSession* session);
    std::shared_ptr<ClientSession> find(const xmpp::Jid& full) const;
    // Copy of the resources bound for a bare JID.
    std::vector<BoundResource> resources(const xmpp::Jid& bare) const;

    // Records `presence` (available, 'from' stamped) as the resource's
    // current one, with its priority; returns whether the resource was
    // available before (false: initial presence). Nothing when not bound.
    bool set_available(const xmpp::Jid& full, xmpp::Element presence, int priority);
    // Marks the resource unavailable; returns whether it was available.
    bool set_unavailable(const xmpp::Jid& full);
    void set_roster_interested(const xmpp::Jid& full);

    bool is_available(const xmpp::Jid& full) const;
    // Whether any resource of `bare` is available.
    bool has_available(const xmpp::Jid& bare) const;
    // The current presence of each available resource of `bare`.
    std::vector<AvailablePresence> available_presences(const xmpp::Jid& bare) const;
    // Whether the session bound to `full` runs encrypted; false when none is.
    bool is_encrypted(const xmpp::Jid& full) const;

    std::size_t size() const;
    void for_each(const std::function<void(const std::shared_ptr<ClientSession>&)>& fn) const;

private:
    struct Shard {
        mutable std::shared_mutex mutex;
        std::unordered_map<std::string, std::vector<BoundResource>> users;  // by bare JID
    };
    Shard& shard_for(const std::string& bare) const;
    // Runs `fn` on the entry of `full` under the shard's exclusive lock; false when not bound.
    template <class Fn>
    bool update(const xmpp::Jid& full, Fn&& fn);
    // Runs `fn` on the entry of `full` under the shard's shared lock; false when not bound.
    template <class Fn>
    bool read(const xmpp::Jid& full, Fn&& fn) const;
    mutable std::array<Shard, 16> shards_;
};

}  // namespace server
