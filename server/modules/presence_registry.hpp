// PresenceRegistry: what the server remembers, in memory, about each bound
// resource's presence (RFC 6121 §4): whether it is available, its last
// presence stanza (to answer probes), the JIDs it sent directed presence to
// (undone when it goes unavailable, §4.6.3), and whether it asked for the
// roster (only those resources get roster pushes, §2.1.6). Owned by the IM
// modules' ImContext; thread-safe (one mutex, held for the lookup only).
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "xmpp/element.hpp"
#include "xmpp/jid.hpp"

namespace server::modules {

struct ResourcePresence {
    bool available = false;
    bool roster_interested = false;
    xmpp::Element last;               // the last available presence, 'from' stamped
    std::set<std::string> directed;   // JIDs (as sent) given directed presence
};

class PresenceRegistry {
public:
    // Records available presence; returns whether the resource was available before.
    bool set_available(const xmpp::Jid& full, xmpp::Element presence);
    // Marks the resource unavailable and forgets its directed presence;
    // returns what it was before (nullopt when never seen).
    std::optional<ResourcePresence> set_unavailable(const xmpp::Jid& full);
    // Forgets the resource (its session ended); returns what it was.
    std::optional<ResourcePresence> remove(const xmpp::Jid& full);

    void set_roster_interested(const xmpp::Jid& full);
    // Resources of `bare` that asked for the roster.
    std::vector<std::string> roster_interested(const xmpp::Jid& bare) const;
    // (resource, last presence) of the available resources of `bare`.
    std::vector<std::pair<std::string, xmpp::Element>> available(const xmpp::Jid& bare) const;

    void add_directed(const xmpp::Jid& full, const std::string& to);
    void remove_directed(const xmpp::Jid& full, const std::string& to);
    // Every bare JID with a resource known here (deluser, tests).
    bool knows(const xmpp::Jid& bare) const;

private:
    mutable std::mutex mutex_;
    std::map<std::string, std::map<std::string, ResourcePresence>> users_;  // bare -> resource
};

}  // namespace server::modules
