// DirectedPresence: the JIDs each local resource sent directed presence to
// while available (RFC 6121 §4.6), so that they learn when it goes
// unavailable (§4.6.3) even when they are not among its contacts. Whether a
// resource is available, and its presence, are the session table's
// (server/router/session_manager.hpp); this is what the presence module
// adds to it. Owned by the IM modules' ImContext; thread-safe (one mutex,
// held for the lookup only).
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>

#include "xmpp/jid.hpp"

namespace server::modules {

class DirectedPresence {
public:
    // `full` sent available presence to `to` (a JID as sent).
    void add(const xmpp::Jid& full, const std::string& to);
    // `full` sent unavailable presence to `to`: nothing to undo there.
    void remove(const xmpp::Jid& full, const std::string& to);
    // Forgets, and returns, every JID `full` sent directed presence to.
    std::set<std::string> take(const xmpp::Jid& full);

private:
    std::mutex mutex_;
    std::map<std::string, std::set<std::string>> sent_;  // full JID -> JIDs
};

}  // namespace server::modules
