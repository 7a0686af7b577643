// Module "blocking", Blocking Command (XEP-0191): an account blocks JIDs
// (full, bare, domain or domain/resource, matched as XEP-0016 does) and from
// then on exchanges nothing with them: stanzas it sends to a blocked JID are
// refused (<not-acceptable/> with <blocked xmlns='urn:xmpp:blocking:errors'/>;
// presence silently dropped), stanzas a blocked JID sends it are dropped
// (presence, iq results and errors) or answered with <service-unavailable/>
// (messages, iq requests). Enforced by a delivery filter (delivery_filter.hpp)
// on what passes between two accounts: routed stanzas, the presence the server
// sends for a user, offline messages. Blocking a contact that sees the
// account's presence sends it unavailable presence first (§3.3); unblocking it
// (one JID, or all) sends it the account's current presence again (§3.4,
// §3.5).
//
// The lists live in memory (loaded at start-up, before the workers run) so
// the filter never touches the disk; changes are written on the storage
// thread, then applied to memory, then pushed to the account's resources that
// asked for the list. A list holds at most [modules.blocking] max_blocked JIDs.
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <shared_mutex>

#include "server/modules/modules.hpp"
#include "xmpp/subscription_state.hpp"
#include "server/router/router.hpp"
#include "server/router/session_manager.hpp"
#include "server/core/storage_executor.hpp"
#include "server/store/storage.hpp"
#include "xmpp/namespaces.hpp"

namespace server::modules {

namespace {

constexpr std::string_view blocking_ns = xmpp::ns::blocking;
constexpr std::string_view blocking_errors_ns = xmpp::ns::blocking_errors;

struct Blocking {
    Blocking(Services& s, store::Storage& stores, std::size_t max)
        : services(s), store(stores.blocklist()), roster(stores.roster()), max_blocked(max) {}
    Services& services;
    store::BlocklistStore& store;
    store::RosterStore& roster;
    const std::size_t max_blocked;

    mutable std::shared_mutex mutex;
    std::map<std::string, std::set<std::string>> lists;  // account bare JID -> blocked JIDs
    std::set<std::string> listeners;                     // full JIDs that asked for their list

    bool blocks(const xmpp::Jid& owner, const xmpp::Jid& other) const {
        std::shared_lock lock(mutex);
        auto it = lists.find(owner.bare_string());
        if (it == lists.end()) return false;
        const auto& set = it->second;
        if (set.count(other.full()) || set.count(other.bare_string()) || set.count(other.domain())) return true;
        if (!other.resource().empty() && set.count(other.domain() + "/" + other.resource())) return true;
        return false;
    }
    std::vector<std::string> list_of(const xmpp::Jid& owner) const {
        std::shared_lock lock(mutex);
        auto it = lists.find(owner.bare_string());
        if (it == lists.end()) return {};
        return {it->second.begin(), it->second.end()};
    }
};

xmpp::Element blocked_error(const xmpp::Element& stanza) {
    auto reply = xmpp::make_error_reply(stanza, xmpp::StanzaError::not_acceptable);
    for (auto& child : reply.children())
        if (!child.is_text() && child.name() == "error")
            child.add_child(xmpp::Element("blocked", std::string(blocking_errors_ns)));
    return reply;
}

// The delivery filter: true when the stanza must not go on. Only what a
// user sent is answered (routed); what the server sends for a user, and
// offline messages, stop silently. The server's own answers, roster pushes,
// queue copies and carbon copies are not between two accounts: they pass.
bool filter(Blocking& b, const PendingDelivery& delivery) {
    switch (delivery.kind) {
    case DeliveryKind::routed:
    case DeliveryKind::presence:
    case DeliveryKind::offline:
        break;
    case DeliveryKind::roster_push:
    case DeliveryKind::queue:
    case DeliveryKind::server:
    case DeliveryKind::carbon:  // the account's own copy of what already passed
        return false;
    }
    const xmpp::Element& stanza = delivery.stanza;
    const xmpp::Jid& from = delivery.from;
    const xmpp::Jid& to = delivery.to;
    const bool answer = delivery.kind == DeliveryKind::routed;
    const std::string& kind = stanza.name();
    const std::string_view type = stanza.attr_or("type");
    const bool request = kind == "iq" && (type == "get" || type == "set");
    if (!from.local().empty() && b.blocks(from.bare(), to)) {  // outbound (§3.3)
        if (answer && kind != "presence" && xmpp::is_error_reply_allowed(stanza))
            b.services.router->send(blocked_error(stanza));
        return true;
    }
    if (!to.local().empty() && b.blocks(to.bare(), from)) {  // inbound (§3.3)
        if (answer && (kind == "message" || request))
            b.services.router->bounce(stanza, xmpp::StanzaError::service_unavailable);
        return true;
    }
    return false;
}

// The <item/>s of a block or unblock, normalised; nullopt when one is not a JID.
std::optional<std::vector<std::string>> items_of(const xmpp::Element& command) {
    std::vector<std::string> jids;
    for (const auto& child : command.children()) {
        if (child.is_text() || child.name() != "item") continue;
        const std::string* jid = child.attr("jid");
        auto parsed = jid ? xmpp::Jid::parse(*jid) : std::nullopt;
        if (!parsed) return std::nullopt;
        jids.push_back(parsed->full());
    }
    return jids;
}

void push(Blocking& b, const xmpp::Jid& owner, const xmpp::Element& command) {
    std::vector<std::string> targets;
    {
        std::shared_lock lock(b.mutex);
        for (const auto& full : b.listeners)
            if (auto jid = xmpp::Jid::parse(full); jid && jid->bare() == owner) targets.push_back(full);
    }
    xmpp::Element iq("iq", std::string(xmpp::ns::client));
    iq.set_attr("type", "set");
    iq.set_attr("id", "block-push");
    iq.add_child(command);
    for (const auto& full : targets)
        if (auto jid = xmpp::Jid::parse(full))
            b.services.router->delivery().to_resource(iq, owner, *jid, DeliveryKind::server);
}

// The contact `listed` (as blocked or unblocked: a JID with a local part, of
// a host we serve), if the owner lets it see its presence (subscription
// 'from' or 'both'); nullopt otherwise.
std::optional<xmpp::Jid> presence_watcher(Blocking& b, const xmpp::Jid& owner, const std::string& listed) {
    auto jid = xmpp::Jid::parse(listed);
    if (!jid || jid->local().empty() || !b.services.current_config()->serves_host(jid->domain())) return std::nullopt;
    auto row = b.roster.row(owner.local(), owner.domain(), jid->bare_string());
    if (!row || !xmpp::has_from(xmpp::sub_state_from_int(row->state).value_or(xmpp::SubState::none)))
        return std::nullopt;
    return jid;
}

// Storage thread. Each available resource of `owner`, as `show` makes its
// presence, to `watcher` (a bare JID: its available resources; a full JID:
// that resource).
template <class Show>
void tell(Blocking& b, const xmpp::Jid& owner, const xmpp::Jid& watcher, Show show) {
    Delivery& delivery = b.services.router->delivery();
    for (const auto& [resource, presence] : b.services.sessions->available_presences(owner)) {
        auto from = owner.with_resource(resource);
        if (!from) continue;
        const xmpp::Element p = show(*from, *presence);
        if (watcher.is_bare())
            delivery.to_available(p, *from, watcher, DeliveryKind::presence);
        else
            delivery.to_resource(p, *from, watcher, DeliveryKind::presence);
    }
}

// Storage thread, before the block is in force. §3.3: a contact that sees
// the owner's presence gets unavailable presence now.
void cut_presence(Blocking& b, const xmpp::Jid& owner, const std::string& blocked) {
    auto watcher = presence_watcher(b, owner, blocked);
    if (!watcher) return;
    tell(b, owner, *watcher, [](const xmpp::Jid& from, const xmpp::Element&) {
        xmpp::Element p("presence", std::string(xmpp::ns::client));
        p.set_attr("type", "unavailable");
        p.set_attr("from", from.full());
        return p;
    });
}

// Storage thread, once the block is lifted. §3.4: a contact that may see the
// owner's presence gets its current presence again (unless another item of
// the list still blocks it: the filter decides).
void restore_presence(Blocking& b, const xmpp::Jid& owner, const std::string& unblocked) {
    auto watcher = presence_watcher(b, owner, unblocked);
    if (!watcher) return;
    tell(b, owner, *watcher, [](const xmpp::Jid&, const xmpp::Element& presence) { return presence; });
}

void handle_get(Blocking& b, IqRequest& request, Router& router) {
    {
        std::unique_lock lock(b.mutex);
        b.listeners.insert(request.from.full());
    }
    auto result = make_iq_result(request);
    auto& list = result.add_child(xmpp::Element("blocklist", std::string(blocking_ns)));
    for (const auto& jid : b.list_of(request.to))
        list.add_child(xmpp::Element("item", std::string(blocking_ns))).set_attr("jid", jid);
    router.send(result);
}

void handle_set(Blocking& b, IqRequest& request, Router& router) {
    const xmpp::Jid& owner = request.to;
    const xmpp::Element* block = request.iq.child("block", blocking_ns);
    const xmpp::Element* unblock = request.iq.child("unblock", blocking_ns);
    const xmpp::Element* command = block ? block : unblock;
    if (!command) return router.bounce(request.iq, xmpp::StanzaError::bad_request);
    auto jids = items_of(*command);
    if (!jids) return router.bounce(request.iq, xmpp::StanzaError::jid_malformed);
    std::vector<std::string> unblocked;  // those the unblock takes off the list
    if (block) {
        if (jids->empty()) return router.bounce(request.iq, xmpp::StanzaError::bad_request, "Nothing to block");
        if (b.list_of(owner).size() + jids->size() > b.max_blocked)
            return router.bounce(request.iq, xmpp::StanzaError::resource_constraint, "The block list is full");
        for (const auto& jid : *jids) cut_presence(b, owner, jid);
        if (!b.store.add(owner.local(), owner.domain(), *jids))
            return router.bounce(request.iq, xmpp::StanzaError::internal_server_error);
        std::unique_lock lock(b.mutex);
        b.lists[owner.bare_string()].insert(jids->begin(), jids->end());
    } else {
        if (!b.store.remove(owner.local(), owner.domain(), *jids))
            return router.bounce(request.iq, xmpp::StanzaError::internal_server_error);
        std::unique_lock lock(b.mutex);
        auto it = b.lists.find(owner.bare_string());
        if (it != b.lists.end()) {
            if (jids->empty()) {  // §3.5: all of them
                unblocked.assign(it->second.begin(), it->second.end());
                b.lists.erase(it);
            } else {
                for (const auto& jid : *jids)
                    if (it->second.erase(jid)) unblocked.push_back(jid);
                if (it->second.empty()) b.lists.erase(it);
            }
        }
    }
    router.send(make_iq_result(request));
    xmpp::Element pushed(command->name(), std::string(blocking_ns));
    for (const auto& jid : *jids) pushed.add_child(xmpp::Element("item", std::string(blocking_ns))).set_attr("jid", jid);
    push(b, owner, pushed);
    for (const auto& jid : unblocked) restore_presence(b, owner, jid);
}

void load_blocking(ModuleHost& host, Services& services, const conf::ModuleOptions& options) {
    host.add_feature(IqTarget::host, std::string(blocking_ns));
    auto b = std::make_shared<Blocking>(services, *services.stores, options.integer("max_blocked"));
    for (auto& [user, domain, jid] : b->store.all()) b->lists[user + "@" + domain].insert(jid);

    host.hooks().delivery_filter.push_back([b](const PendingDelivery& delivery) { return filter(*b, delivery); });
    auto own = [b](void (*fn)(Blocking&, IqRequest&, Router&)) {
        return [b, fn](IqRequest&& request, Router& router) {
            if (request.to != request.from.bare()) return router.bounce(request.iq, xmpp::StanzaError::forbidden);
            auto work = [b, fn, request = std::move(request), &router]() mutable { fn(*b, request, router); };
            b->services.storage->post(std::move(work));
        };
    };
    host.on_iq(IqTarget::account, "get", blocking_ns, own(handle_get));
    host.on_iq(IqTarget::account, "set", blocking_ns, own(handle_set));
    host.hooks().session_ended.push_back([b](const xmpp::Jid& full) {
        std::unique_lock lock(b->mutex);
        b->listeners.erase(full.full());
    });
    // A deleted account's list went with its rows; a new account of the same
    // name starts with none.
    host.hooks().account_removed.push_back([b](const xmpp::Jid& bare) {
        std::unique_lock lock(b->mutex);
        b->lists.erase(bare.bare_string());
    });
}

}  // namespace

Module blocking_module() {
    return {
        .schema = {.name = "blocking", .options = {{"max_blocked", 1000, 1, 1000000}}},
        .protocols = {{"XEP-0191", "Blocking Command"}},
        .needs = {Service::stores, Service::storage, Service::sessions, Service::router},
        .load = load_blocking,
    };
}

}  // namespace server::modules
