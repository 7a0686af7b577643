// Delivery: the one way into a local client session (docs/architecture.md).
// Every stanza the server hands to a session of its own passes here,
// whoever sends it: the Router for routed stanzas and its own answers,
// the modules for presence, roster pushes, offline messages and pushes of
// their own, the XMQ sink for queue copies. Here, and nowhere else:
//   - 'to' is stamped with the recipient as addressed when the stanza has none;
//   - the delivery filters see the stanza (delivery_filter.hpp), once per
//     stanza and addressed recipient;
//   - the sessions are chosen from the session table: the one bound to a
//     full JID; the available resources of an account for presence (RFC 6121
//     §8.5.2.1.2); for a message to an account, the available resources of
//     highest non-negative priority, or all of non-negative priority for a
//     headline (§8.5.2.1.1); none, and a message goes to the
//     undeliverable_message hooks (offline storage) or back with an error;
//   - the stanza is serialized once for all the sessions it reaches;
//   - what becomes of it if a session took it and cannot write it is
//     decided (Undelivered): chat and normal messages go to offline storage,
//     except queue copies (the queue decides where its stanzas go);
//   - it is counted once per session reached (metrics: stanzas out).
// Owned by the Router (Router::delivery()). Stateless apart from Services:
// callable from any thread at once; sessions hop onto their own worker.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "server/core/delivery_filter.hpp"
#include "server/core/services.hpp"
#include "server/router/client_session.hpp"
#include "server/router/session_manager.hpp"
#include "xmpp/element.hpp"
#include "xmpp/jid.hpp"

namespace server {

class Router;

class Delivery {
public:
    enum class Reach {
        delivered,   // handed to the session(s)
        stopped,     // a filter stopped it
        no_session,  // nothing bound (or, for an offline message, available) to take it
    };

    explicit Delivery(Services& services) : services_(services) {}

    // (to_resource and to_available: a JID of another server's domain, when
    // federation is on, gets the stanza through RemoteServers instead,
    // 'from' and 'to' stamped; presence broadcast and probe answers to
    // remote contacts leave that way.)
    // To the session bound to `full`. `from`: the sender, as the stanza's
    // 'from' says. An offline message goes only to an available resource of
    // non-negative priority: it was for the account (§8.5.2.1.1).
    Reach to_resource(const xmpp::Element& stanza, const xmpp::Jid& from, const xmpp::Jid& full, DeliveryKind kind);
    // A delivery whose hand-over waits: to_resource() split in two, so that
    // a caller holding a lock (an XMQ queue choosing a consumer) finds,
    // filters and serializes under it, and hands over, which may wake
    // another worker, after releasing it.
    struct Deferred {
        std::shared_ptr<ClientSession> session;
        std::string xml;
        Undelivered fallback = Undelivered::drop;
    };
    // As to_resource() (counted as out already), but a reached session is
    // appended to `out` instead of taking the stanza now; hand_over(out)
    // gives each its stanza and empties `out`.
    Reach defer_to_resource(const xmpp::Element& stanza, const xmpp::Jid& from, const xmpp::Jid& full,
                            DeliveryKind kind, std::vector<Deferred>& out);
    static void hand_over(std::vector<Deferred>& deferred);

    // To every available resource of `bare` (presence).
    Reach to_available(const xmpp::Element& stanza, const xmpp::Jid& from, const xmpp::Jid& bare, DeliveryKind kind);
    // A roster push to each resource of `bare` that asked for the roster,
    // 'to' stamped with that resource's full JID (RFC 6121 §2.1.6).
    void roster_push(const xmpp::Element& push, const xmpp::Jid& bare);

    // The resources a message routed to `to` (a local account's bare JID or
    // one of its full JIDs) reaches by the rules above, as the session table
    // stands now: the resource itself when `to` is a bound full JID; else the
    // account's resources of §8.5.2.1.1 (none for groupchat, or when none is
    // available with non-negative priority). Message carbons (XEP-0280) copy
    // a received message to the account's other resources, never to these.
    std::vector<std::string> message_recipients(const xmpp::Element& message, const xmpp::Jid& to) const;

private:
    // The Router screens a stanza it routes to a local account once, as it
    // arrives (the server may answer it for the account instead, or a
    // module take it), then hands it over through the functions below,
    // which do not filter again.
    friend class Router;
    bool admits(const xmpp::Element& stanza, const xmpp::Jid& from, const xmpp::Jid& to, DeliveryKind kind) const;
    Reach hand_to_resource(const xmpp::Element& stanza, const xmpp::Jid& full, DeliveryKind kind);
    Reach hand_to_available(const xmpp::Element& stanza, const xmpp::Jid& bare, DeliveryKind kind);
    // To another server (RemoteServers::send), 'from' and 'to' stamped.
    Reach to_remote(const xmpp::Element& stanza, const xmpp::Jid& from, const xmpp::Jid& to);
    // A routed message to an account, by RFC 6121 §8.5.2.
    void message_to_account(xmpp::Element&& message, const xmpp::Jid& bare);

    // Of `resources` (an account's), those a message of `type` to the
    // account goes to (§8.5.2.1.1): the available ones of highest
    // non-negative priority, or all available of non-negative priority for
    // a headline.
    static std::vector<BoundResource> account_recipients(std::vector<BoundResource> resources, std::string_view type);

    // Serializes `stanza` once and hands it to each of `sessions`.
    void hand_over(const xmpp::Element& stanza, DeliveryKind kind,
                   std::span<const std::shared_ptr<ClientSession>> sessions);

    Services& services_;
};

}  // namespace server
