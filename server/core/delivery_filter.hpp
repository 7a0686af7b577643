// DeliveryFilter: the hook point on the one way into a local session (the
// router's Delivery, server/router/delivery.hpp). Every stanza the server
// hands to a local client session is shown to the filters first: routed
// from a client, sent by a module on a user's behalf, pushed, answered by
// the server, kept offline, or copied by a queue. Modules register filters
// in Hooks::delivery_filter at start-up; the Delivery calls them in
// registration order, on the thread at hand (a worker or the storage
// thread), so a filter must not block.
//
// A filter is called once per stanza and recipient as addressed: a full JID
// (one session) or a bare JID (the account: a message or presence fanned out
// to its resources, or a stanza the server answers on the account's behalf,
// such as an iq to the bare JID or a subscription request). It returns true
// to stop the stanza: it then owns it, and sends the answer if one is due
// (through the Router, whose deliveries are filtered in their turn, kind
// `server`). The kind says where the stanza comes from, which is what the
// planned filters tell apart:
//   - blocking (XEP-0191, blocking.cpp) and privacy lists (XEP-0016) stop
//     what passes between two accounts: routed, presence, offline;
//   - message archives (XEP-0313) record routed messages once, and return false;
//   - carbons (XEP-0280) see routed chat messages for an account (on the
//     routed_message hook, module_host.hpp) and deliver the copies to its
//     other resources, as stanzas of their own (kind `carbon`);
//   - CSI (XEP-0352) is not an account's policy but a session's state (hold
//     presence and roster pushes while inactive, keep the last per sender):
//     it joins after the Delivery has chosen the sessions, not here.
#pragma once

#include <functional>

#include "xmpp/element.hpp"
#include "xmpp/jid.hpp"

namespace server {

enum class DeliveryKind {
    routed,       // sent by an entity to this recipient, and routed as it was addressed
    presence,     // sent by the server for a user: presence broadcasts, the contacts'
                  // presence at login, subscription requests and answers (RFC 6121 §3, §4)
    roster_push,  // a roster change, to each resource that asked for the roster (RFC 6121 §2.1.6)
    offline,      // a message kept while its recipient was offline (XEP-0160)
    queue,        // an XMQ queue's copy of a published stanza, to one subscriber
    server,       // the server's own stanzas: iq answers, errors, a module's pushes (block list)
    carbon,       // a copy of a message the account sent or received, to another of its
                  // resources (XEP-0280); never kept offline when it cannot be written
};

// What a filter is shown.
struct PendingDelivery {
    const xmpp::Element& stanza;  // as it will be written, 'to' stamped
    const xmpp::Jid& from;        // its sender ('from'); the recipient's account when it has none
    const xmpp::Jid& to;          // the recipient as addressed: a full JID or a bare JID
    DeliveryKind kind;
};

// True: the stanza goes no further (the filter answered it if an answer is due).
using DeliveryFilter = std::function<bool(const PendingDelivery& delivery)>;

}  // namespace server
