// Module "presence" (RFC 6121 §3, §4): see presence.hpp. It keeps its
// subscription states in the roster, so it needs the roster module.
#include "server/modules/presence.hpp"

#include <set>

#include "server/modules/modules.hpp"
#include "server/router/remote_servers.hpp"
#include "server/router/router.hpp"
#include "server/router/session_manager.hpp"
#include "server/core/storage_executor.hpp"

namespace server::modules {

namespace {

std::string_view kind_name(xmpp::SubStanza kind) {
    switch (kind) {
    case xmpp::SubStanza::subscribe: return "subscribe";
    case xmpp::SubStanza::subscribed: return "subscribed";
    case xmpp::SubStanza::unsubscribe: return "unsubscribe";
    case xmpp::SubStanza::unsubscribed: return "unsubscribed";
    }
    return "";
}

xmpp::SubState state_of(const store::RosterRow& row) { return xmpp::sub_state_from_int(row.state).value_or(xmpp::SubState::none); }

xmpp::Element presence_of_type(std::string_view type, const std::string& from) {
    xmpp::Element p("presence", std::string(xmpp::ns::client));
    if (!type.empty()) p.set_attr("type", std::string(type));
    p.set_attr("from", from);
    return p;
}

// The current presence of each available resource of `who`, to the available resources of `to`.
void send_presences(ImContext& im, const xmpp::Jid& who, const xmpp::Jid& to) {
    for (const auto& [resource, presence] : im.services.sessions->available_presences(who))
        if (auto full = who.with_resource(resource))
            im.delivery().to_available(*presence, *full, to, DeliveryKind::presence);
}

// The current presence of each available resource of `who`, to the resource `full`.
void show_presences(ImContext& im, const xmpp::Jid& who, const xmpp::Jid& full) {
    for (const auto& [resource, presence] : im.services.sessions->available_presences(who))
        if (auto from = who.with_resource(resource); from && *from != full)
            im.delivery().to_resource(*presence, *from, full, DeliveryKind::presence);
}

// Unavailable presence from each available resource of `who`, to `to`'s available resources.
void send_unavailable(ImContext& im, const xmpp::Jid& who, const xmpp::Jid& to) {
    for (const auto& [resource, presence] : im.services.sessions->available_presences(who))
        if (auto full = who.with_resource(resource))
            im.delivery().to_available(presence_of_type("unavailable", full->full()), *full, to,
                                       DeliveryKind::presence);
}

bool is_remote(ImContext& im, const xmpp::Jid& jid) {
    return is_remote_domain(im.services, *im.services.current_config(), jid.domain());
}

void inbound_subscription(ImContext& im, const xmpp::Jid& owner, const xmpp::Jid& sender, xmpp::SubStanza kind,
                          bool auto_reply = true);

// A subscription stanza of `kind` from `sender` (an account of ours) to
// `owner`: handled here when `owner` is ours too, else sent to its server
// (which keeps its side of the state, RFC 6121 §3).
void subscription_to(ImContext& im, const xmpp::Jid& owner, const xmpp::Jid& sender, xmpp::SubStanza kind,
                     bool auto_reply = true) {
    if (!is_remote(im, owner)) return inbound_subscription(im, owner, sender, kind, auto_reply);
    xmpp::Element stanza = presence_of_type(kind_name(kind), sender.bare_string());
    stanza.set_attr("to", owner.bare_string());
    im.services.router->send(stanza);
    // What the sender's side owes the contact at once, as for a local one:
    // the approver's presence (§3.1.5), or its end (§3.2.2).
    if (kind == xmpp::SubStanza::subscribed) send_presences(im, sender, owner);
    if (kind == xmpp::SubStanza::unsubscribed) send_unavailable(im, sender, owner);
}

// `owner` receives a subscription stanza of `kind` from `sender` (RFC 6121
// A.3). `auto_reply` is false for an answer the server itself generated, so
// two servers' worth of auto-replies cannot loop.
void inbound_subscription(ImContext& im, const xmpp::Jid& owner, const xmpp::Jid& sender, xmpp::SubStanza kind,
                          bool auto_reply) {
    if (!im.account_exists(owner)) return;  // §3.1.3: silently ignored
    store::RosterRow row = im.relation(owner, sender.bare_string());
    const bool was_in_roster = row.in_roster;
    const xmpp::SubState before = state_of(row);
    const xmpp::SubState after = xmpp::transition(before, kind, xmpp::Direction::inbound);
    const xmpp::Element stanza = presence_of_type(kind_name(kind), sender.bare_string());
    const xmpp::Jid from = sender.bare();
    if (after != before) {
        row.state = xmpp::to_int(after);
        im.save(owner, row, was_in_roster);
    }
    switch (kind) {
    case xmpp::SubStanza::subscribe:
        // Already approved: the server answers for the owner (§3.1.3).
        if (xmpp::has_from(before)) {
            if (auto_reply) subscription_to(im, sender, owner, xmpp::SubStanza::subscribed, false);
            return;
        }
        // Delivered while it waits for approval, again at each login (§3.1.3).
        if (xmpp::has_pending_in(after)) im.delivery().to_available(stanza, from, owner, DeliveryKind::presence);
        return;
    case xmpp::SubStanza::subscribed:
        if (after == before) return;
        im.delivery().to_available(stanza, from, owner, DeliveryKind::presence);
        send_presences(im, sender, owner);  // §3.1.6: the new subscriber sees the contact at once
        return;
    case xmpp::SubStanza::unsubscribe:
        if (after == before) return;
        im.delivery().to_available(stanza, from, owner, DeliveryKind::presence);
        send_unavailable(im, owner, sender);  // §3.3.3: the sender no longer sees the owner
        return;
    case xmpp::SubStanza::unsubscribed:
        if (after == before) return;
        im.delivery().to_available(stanza, from, owner, DeliveryKind::presence);
        send_unavailable(im, sender, owner);  // §3.2.3
        return;
    }
}

// Storage thread. A resource's available presence (initial or an update),
// already recorded in the session table.
void on_available(ImContext& im, const xmpp::Jid& full, const xmpp::Element& presence, bool was_available) {
    const xmpp::Jid user = full.bare();
    Delivery& delivery = im.delivery();
    const auto rows = im.roster.rows(user.local(), user.domain());
    for (const auto& row : rows) {
        if (!xmpp::has_from(state_of(row))) continue;
        if (auto contact = xmpp::Jid::parse(row.contact))
            delivery.to_available(presence, full, *contact, DeliveryKind::presence);
    }
    // §4.2.2: all of the user's available resources.
    delivery.to_available(presence, full, user, DeliveryKind::presence);
    if (was_available) return;
    // Initial presence (§4.2.2): the contacts' presence (probes answered
    // locally, §4.3.2), the user's other resources, waiting requests.
    for (const auto& row : rows) {
        const xmpp::SubState state = state_of(row);
        auto contact = xmpp::Jid::parse(row.contact);
        if (!contact) continue;
        if (xmpp::has_to(state)) {
            if (is_remote(im, *contact)) {
                // §4.3.1: the contact's server answers a probe with its presence.
                xmpp::Element probe = presence_of_type("probe", user.bare_string());
                probe.set_attr("to", contact->bare_string());
                im.services.router->send(probe);
            } else {
                show_presences(im, *contact, full);
            }
        }
        if (xmpp::has_pending_in(state))
            delivery.to_resource(presence_of_type("subscribe", row.contact), *contact, full, DeliveryKind::presence);
    }
    show_presences(im, user, full);
}

// Storage thread. A resource that was available went away: its unavailable
// presence goes where its presence went (§4.5.2), and to the JIDs it sent
// directed presence to (§4.6.3).
void broadcast_unavailable(ImContext& im, const xmpp::Jid& full, const xmpp::Element& presence,
                           const std::set<std::string>& directed) {
    const xmpp::Jid user = full.bare();
    Delivery& delivery = im.delivery();
    std::set<std::string> reached;
    for (const auto& row : im.roster.rows(user.local(), user.domain())) {
        if (!xmpp::has_from(state_of(row))) continue;
        if (auto contact = xmpp::Jid::parse(row.contact)) {
            delivery.to_available(presence, full, *contact, DeliveryKind::presence);
            reached.insert(contact->bare_string());
        }
    }
    delivery.to_available(presence, full, user, DeliveryKind::presence);
    for (const auto& target : directed) {
        auto jid = xmpp::Jid::parse(target);
        if (!jid || reached.count(jid->bare_string())) continue;
        if (!im.services.current_config()->serves_host(jid->domain())) {
            // An external component's JID (a gateway's room): through the Router.
            xmpp::Element copy = presence;
            copy.set_attr("from", full.full());
            copy.set_attr("to", jid->full());
            im.services.router->send(copy);
            continue;
        }
        if (jid->is_bare())
            delivery.to_available(presence, full, *jid, DeliveryKind::presence);
        else
            delivery.to_resource(presence, full, *jid, DeliveryKind::presence);
    }
}

}  // namespace

void outbound_subscription(ImContext& im, const xmpp::Jid& user_full, const xmpp::Jid& contact_jid, xmpp::SubStanza kind,
                           bool update_own) {
    const xmpp::Jid user = user_full.bare();
    const xmpp::Jid contact = contact_jid.bare();
    if (contact == user) return;
    if (update_own) {
        store::RosterRow row = im.relation(user, contact.bare_string());
        const bool was_in_roster = row.in_roster;
        const xmpp::SubState before = state_of(row);
        const xmpp::SubState after = xmpp::transition(before, kind, xmpp::Direction::outbound);
        row.state = xmpp::to_int(after);
        switch (kind) {
        case xmpp::SubStanza::subscribe:  // §3.1.2: the contact joins the roster, ask='subscribe'
            row.in_roster = true;
            if (after != before || !was_in_roster) im.save(user, row, was_in_roster);
            break;
        case xmpp::SubStanza::unsubscribe:  // §3.3.2: always routed
            if (after != before) im.save(user, row, was_in_roster);
            break;
        case xmpp::SubStanza::subscribed:  // §3.1.5: routed only when it approves a request
            if (after == before) return;
            row.in_roster = true;
            im.save(user, row, was_in_roster);
            break;
        case xmpp::SubStanza::unsubscribed:  // §3.2.2: routed only when it cancels something
            if (after == before) return;
            im.save(user, row, was_in_roster);
            break;
        }
    }
    subscription_to(im, contact, user, kind);
}

namespace {

// Storage thread. A remote server probes `owner`'s presence for `prober`
// (§4.3.2): the presence of each available resource when `prober` is
// subscribed to it, unavailable presence when none is; nothing otherwise
// (not revealed).
void answer_probe(ImContext& im, const xmpp::Jid& owner, const xmpp::Jid& prober) {
    if (!im.account_exists(owner)) return;
    const store::RosterRow row = im.relation(owner, prober.bare_string());
    if (!xmpp::has_from(state_of(row))) return;
    const auto presences = im.services.sessions->available_presences(owner);
    for (const auto& [resource, presence] : presences)
        if (auto full = owner.with_resource(resource))
            im.delivery().to_resource(*presence, *full, prober, DeliveryKind::presence);
    if (presences.empty())
        im.delivery().to_resource(presence_of_type("unavailable", owner.bare_string()), owner, prober,
                                  DeliveryKind::presence);
}

}  // namespace

namespace {

void load_presence(ModuleHost& host, Services& services, const conf::ModuleOptions&) {
    auto im = ImContext::shared(host, services);
    Hooks& hooks = host.hooks();

    hooks.own_presence.push_back([im](const xmpp::Element& presence, const xmpp::Jid& from, bool was_available) {
        const std::string_view type = presence.attr_or("type");
        if (type.empty()) {
            auto work = [im, from, presence, was_available] { on_available(*im, from, presence, was_available); };
            im->services.storage->post(std::move(work));
        } else if (type == "unavailable" && was_available) {
            // Taken here, on the resource's worker, in order with the
            // directed presence it sent before.
            auto work = [im, from, presence, directed = im->directed.take(from)] {
                broadcast_unavailable(*im, from, presence, directed);
            };
            im->services.storage->post(std::move(work));
        }
    });

    hooks.outbound_presence.push_back([im](xmpp::Element& presence, const xmpp::Jid& from, const xmpp::Jid& to) {
        const std::string_view type = presence.attr_or("type");
        if (auto kind = xmpp::parse_sub_stanza(type)) {
            auto work = [im, from, to, kind = *kind] { outbound_subscription(*im, from, to, kind); };
            im->services.storage->post(std::move(work));
            return true;
        }
        if (type == "probe") return true;  // §4.3: probes are the server's business
        if (type.empty()) {
            if (im->services.sessions->is_available(from)) im->directed.add(from, to.full());  // §4.6.2
        } else if (type == "unavailable") {
            im->directed.remove(from, to.full());
        }
        return false;  // the router delivers directed presence
    });

    hooks.remote_presence.push_back([im](xmpp::Element& presence, const xmpp::Jid& from, const xmpp::Jid& to) {
        const std::string_view type = presence.attr_or("type");
        if (auto kind = xmpp::parse_sub_stanza(type)) {
            auto work = [im, from, to, kind = *kind] { inbound_subscription(*im, to.bare(), from.bare(), kind); };
            im->services.storage->post(std::move(work));
            return true;
        }
        if (type == "probe") {
            im->services.storage->post([im, from, to] { answer_probe(*im, to.bare(), from); });
            return true;
        }
        return false;  // available and unavailable presence: delivered as it is
    });

    // Account deletion (XEP-0077 §3.2): already on the storage thread. The
    // account takes back every subscription, as a roster removal does (RFC
    // 6121 §2.5.2), so each local contact gets its roster push and the
    // unsubscribe / unsubscribed presence.
    hooks.account_removing.push_back([im](const xmpp::Jid& user) {
        for (const auto& row : im->roster.rows(user.local(), user.domain())) {
            auto contact = xmpp::Jid::parse(row.contact);
            if (!contact || !contact->is_bare() || contact->local().empty()) continue;
            for (const xmpp::SubStanza kind : xmpp::cancellations(state_of(row)))
                outbound_subscription(*im, user, *contact, kind, false);
        }
    });
}

}  // namespace

Module presence_module() {
    return {
        .schema = {.name = "presence", .depends = {"roster"}},
        .protocols = {{"RFC 6121", "XMPP IM: presence subscriptions, probes and broadcast (§3, §4)"}},
        .needs = {Service::stores, Service::storage, Service::sessions, Service::accounts, Service::router},
        .load = load_presence,
    };
}

}  // namespace server::modules
