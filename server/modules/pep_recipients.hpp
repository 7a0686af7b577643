// Who a PEP notification (XEP-0163 §4.3) goes to, and who a PEP requester
// is, decided from what the caller looked up: the owner's roster rows, the
// available resources of an account, and the entity capabilities of a
// resource. Pure functions of their inputs (no store, no session table, no
// caps cache of their own), so the rules are tested without sockets; the PEP
// module (pep.cpp) feeds them on the storage thread. Any thread.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "pubsub/service.hpp"
#include "server/store/roster_store.hpp"
#include "xmpp/jid.hpp"

namespace server::modules {

// The requester `who` (a bare JID) as the PEP service of `owner` sees it:
// the owner itself, or its entry in the owner's roster (`row`, null when it
// has none): a subscription from/both means the owner shares presence with
// it (access model presence), any item in the roster counts for the roster
// model with its groups. A pending inbound request alone (in_roster false)
// gives nothing.
pubsub::Requester pep_requester(const xmpp::Jid& owner, const std::string& who, const store::RosterRow* row);

// What the recipient expansion asks of the running server.
struct PepPresence {
    // The full JIDs of the available resources of the account `bare`.
    std::function<std::vector<xmpp::Jid>(const xmpp::Jid& bare)> available;
    // Whether the resource's verified caps list NODE+notify.
    std::function<bool(const xmpp::Jid& full, std::string_view node)> wants_notify;
};

// The full JIDs a notification of the service of `owner` reaches, each once,
// in a stable order:
//  - when `owner_contacts`: every available resource, whose caps say
//    NODE+notify, of the owner's contacts with a presence subscription
//    (from/both: they see the owner's presence, RFC 6121), and of the owner
//    itself (§4.3.1: the owner's own resources are interested contacts too);
//  - the explicit subscribers: a full JID when it is available, a bare one
//    as each of its available resources (no +notify filter: they asked);
// every one of them admitted by the notification's access policy, judged
// with its entry in `owner_roster` (a contact whose presence subscription
// was cancelled since it subscribed to an presence-model node is not).
std::vector<xmpp::Jid> pep_recipients(const xmpp::Jid& owner, const pubsub::Notification& notification,
                                      const std::vector<store::RosterRow>& owner_roster, const PepPresence& presence);

}  // namespace server::modules
