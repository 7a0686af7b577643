// Module "pep", XEP-0163 Personal Eventing Protocol: every local account's
// bare JID is a pubsub service (pep.hpp: the rules of who gets what, and the
// API other modules use), on the XEP-0060 core in pubsub/. Advertised on the
// account's disco#info (identity pubsub/pep and the pubsub features the
// Service implements) and, as Prosody does, the identity on the server's own
// disco#info, where some clients look for PEP support. Limits in
// [modules.pep]; the services of at most max_loaded_accounts accounts are
// held in memory at once (the least recently used one dropped, reloaded
// from the store when needed).
#include "server/modules/pep.hpp"

#include "server/core/metrics.hpp"
#include "server/core/pubsub_journal.hpp"
#include "server/core/storage_executor.hpp"
#include "server/modules/modules.hpp"
#include "server/modules/pep_recipients.hpp"
#include "server/router/router.hpp"
#include "server/router/session_manager.hpp"
#include "server/store/storage.hpp"
#include "server/system/log.hpp"
#include "xmpp/namespaces.hpp"
#include "xmpp/subscription_state.hpp"

namespace server::modules {

namespace {

// The pubsub features (XEP-0060 §10) the Service implements, each as
// http://jabber.org/protocol/pubsub#NAME; and with the PEP module's own
// share: auto-subscribe (contacts with a presence subscription are
// subscribed implicitly), filtered-notifications (+notify, XEP-0115),
// last-published (on presence and caps, §6.2), presence-notifications.
constexpr std::string_view pep_features[] = {
    "access-open",
    "access-presence",
    "access-roster",
    "access-whitelist",
    "auto-create",
    "auto-subscribe",
    "config-node",
    "create-and-configure",
    "create-nodes",
    "delete-items",
    "delete-nodes",
    "filtered-notifications",
    "item-ids",
    "last-published",
    "modify-affiliations",
    "multi-items",
    "persistent-items",
    "presence-notifications",
    "publish",
    "publish-options",
    "purge-nodes",
    "retract-items",
    "retrieve-affiliations",
    "retrieve-default",
    "retrieve-items",
    "retrieve-subscriptions",
    "subscribe",
};

const xmpp::Element* first_element(const xmpp::Element& parent) {
    for (const auto& child : parent.children())
        if (!child.is_text()) return &child;
    return nullptr;
}

xmpp::Element answer(const IqRequest& request, const pubsub::Outcome& outcome) {
    if (!outcome.ok()) return pubsub_error_reply(request, outcome.error());
    xmpp::Element result = make_iq_result(request);
    if (outcome.value().payload) result.add_child(*outcome.value().payload);
    return result;
}

// A payload the Service would refuse as too big is refused while parsing.
pubsub::ParseLimits parse_limits(const pubsub::Limits& limits) {
    pubsub::ParseLimits parse;
    parse.max_payload_bytes = limits.max_item_bytes;
    return parse;
}

pubsub::ServiceOptions service_options(const pubsub::Limits& limits) {
    pubsub::ServiceOptions options;
    options.limits = limits;
    return options;
}

}  // namespace

xmpp::Element pubsub_error_reply(const IqRequest& request, const pubsub::Error& error) {
    xmpp::Element reply = make_iq_result(request);
    reply.set_attr("type", "error");
    xmpp::Element element = pubsub::error_element(error);
    element.set_xmlns(std::string(xmpp::ns::client));
    reply.add_child(std::move(element));
    return reply;
}

Pep::Pep(Services& services, std::shared_ptr<CapsCache> caps, Settings settings)
    : services_(services),
      caps_(std::move(caps)),
      parse_limits_(parse_limits(settings.limits)),
      accounts_(services.stores->pubsub(), service_options(settings.limits), settings.max_loaded_accounts) {}

void Pep::request_as_owner(const xmpp::Jid& owner, pubsub::Request request, Done done) {
    services_.storage->post([this, owner = owner.bare(), request = std::move(request), done = std::move(done)] {
        if (!exists(owner)) {
            if (done) done(xmpp::fail(pubsub::make_error(xmpp::StanzaError::item_not_found)));
            return;
        }
        execute(owner, request, requester(owner, owner), done);
    });
}

void Pep::request(IqRequest&& request) {
    const xmpp::Element* payload = first_element(request.iq);
    if (!payload) return services_.router->bounce(request.iq, xmpp::StanzaError::bad_request);
    const bool is_set = request.iq.attr_or("type") == "set";
    auto parsed = pubsub::parse_request(*payload, is_set, parse_limits_);
    if (!parsed) return services_.router->send(pubsub_error_reply(request, parsed.error()));
    auto shared = std::make_shared<IqRequest>(std::move(request));
    services_.storage->post([this, shared, parsed = std::move(parsed.value())] {
        const xmpp::Jid owner = shared->to.bare();
        if (!exists(owner))  // RFC 6121 §8.5.1: no such account
            return services_.router->send(
                pubsub_error_reply(*shared, pubsub::make_error(xmpp::StanzaError::service_unavailable)));
        execute(owner, parsed, requester(owner, shared->from),
                [this, shared](const pubsub::Outcome& outcome) { services_.router->send(answer(*shared, outcome)); });
    });
}

void Pep::disco_items(IqRequest&& request) {
    auto shared = std::make_shared<IqRequest>(std::move(request));
    services_.storage->post([this, shared] {
        const IqRequest& request = *shared;
        const xmpp::Jid owner = request.to.bare();
        auto fail = [&](xmpp::StanzaError condition) {
            services_.router->send(pubsub_error_reply(request, pubsub::make_error(condition)));
        };
        if (!exists(owner)) return fail(xmpp::StanzaError::service_unavailable);
        PepAccount* account = accounts_.get(owner);
        if (!account) return fail(xmpp::StanzaError::internal_server_error);
        const pubsub::Requester who = requester(owner, request.from);
        const xmpp::Element* query = request.iq.child("query", xmpp::ns::disco_items);
        const std::string* node = query ? query->attr("node") : nullptr;

        xmpp::Element result = make_iq_result(request);
        auto& items = result.add_child(xmpp::Element("query", std::string(xmpp::ns::disco_items)));
        auto item = [&]() -> xmpp::Element& {
            auto& added = items.add_child(xmpp::Element("item", std::string(xmpp::ns::disco_items)));
            added.set_attr("jid", owner.bare_string());
            return added;
        };
        if (!node) {
            for (const auto& name : account->service.visible_nodes(who)) item().set_attr("node", name);
            return services_.router->send(result);
        }
        // A node's items (XEP-0060 §5.5), as the requester may retrieve them.
        items.set_attr("node", *node);
        auto outcome = account->service.handle(pubsub::GetItems{*node, std::nullopt, {}}, who);
        if (!outcome.ok()) return services_.router->send(pubsub_error_reply(request, outcome.error()));
        const xmpp::Element* listed = outcome.value().payload ? outcome.value().payload->child("items") : nullptr;
        if (listed)
            for (const auto& stored : listed->children())
                if (!stored.is_text() && stored.name() == "item")
                    item().set_attr("name", std::string(stored.attr_or("id")));
        services_.router->send(result);
    });
}

void Pep::resource_ready(const xmpp::Jid& full) {
    services_.storage->post([this, full] { last_published(full); });
}

void Pep::resource_gone(const xmpp::Jid& full) {
    services_.storage->post([this, full] { served_.erase(full.full()); });
}

void Pep::account_removed(const xmpp::Jid& bare) { accounts_.drop(bare); }

bool Pep::exists(const xmpp::Jid& owner) {
    if (owner.local().empty()) return false;
    if (accounts_.find(owner)) return true;
    return services_.accounts->find(owner.local(), owner.domain()).has_value();
}

pubsub::Requester Pep::requester(const xmpp::Jid& owner, const xmpp::Jid& who) {
    const std::string bare = who.bare_string();
    if (bare == owner.bare_string()) return pep_requester(owner, bare, nullptr);
    auto row = services_.stores->roster().row(owner.local(), owner.domain(), bare);
    return pep_requester(owner, bare, row ? &*row : nullptr);
}

void Pep::execute(const xmpp::Jid& owner, const pubsub::Request& request, const pubsub::Requester& who, Reply reply) {
    PepAccount* account = accounts_.get(owner);
    if (!account) {
        if (reply) reply(xmpp::fail(pubsub::make_error(xmpp::StanzaError::internal_server_error)));
        return;
    }
    pubsub::Outcome outcome = account->service.handle(request, who);
    PepJournal::Taken changes = account->journal.take();
    if (changes.store.empty()) return settle(owner, outcome, changes.items, reply);
    // Answered, notified and told only once the change is on disk.
    ++account->in_flight;
    auto then = [this, owner, outcome = std::move(outcome), items = std::move(changes.items),
                 reply = std::move(reply)](bool written) {
        if (PepAccount* held = accounts_.find(owner)) --held->in_flight;
        if (!written) {
            // The service is ahead of the store: the store is the truth.
            accounts_.drop(owner);
            if (reply) reply(xmpp::fail(pubsub::make_error(xmpp::StanzaError::internal_server_error)));
            return;
        }
        settle(owner, outcome, items, reply);
    };
    post_pubsub_batch(*services_.storage, services_.stores->pubsub(),
                      PubsubBatch{owner.local(), owner.domain(), std::move(changes.store)}, std::move(then));
}

void Pep::settle(const xmpp::Jid& owner, const pubsub::Outcome& outcome, const std::vector<PepItemChange>& items,
                 const Reply& reply) {
    if (reply) reply(outcome);
    if (!outcome.ok()) return;
    for (const auto& item : items)
        if (!item.removed) metrics::pep_publish();
    notify(owner, outcome.value().notifications);
    for (const auto& observer : observers_)
        for (const auto& item : items) observer(item);
}

void Pep::notify(const xmpp::Jid& owner, const std::vector<pubsub::Notification>& notifications) {
    if (notifications.empty()) return;
    const auto roster = services_.stores->roster().rows(owner.local(), owner.domain());
    const PepPresence presence{
        .available =
            [this](const xmpp::Jid& bare) {
                std::vector<xmpp::Jid> out;
                for (const auto& available : services_.sessions->available_presences(bare))
                    if (auto full = bare.with_resource(available.resource)) out.push_back(std::move(*full));
                return out;
            },
        .wants_notify = [this](const xmpp::Jid& full,
                               std::string_view node) { return caps_->wants_notify(full, node); },
    };
    for (const auto& notification : notifications)
        for (const auto& to : pep_recipients(owner, notification, roster, presence))
            send_event(owner, to, notification.event);
}

void Pep::send_event(const xmpp::Jid& owner, const xmpp::Jid& to, const xmpp::Element& event) {
    xmpp::Element message("message", std::string(xmpp::ns::client));
    message.set_attr("from", owner.bare_string());
    message.set_attr("to", to.full());
    message.set_attr("type", "headline");
    message.add_child(event);
    if (services_.router->delivery().to_resource(message, owner, to, DeliveryKind::server) ==
        Delivery::Reach::delivered)
        metrics::pep_notifications(1);
}

void Pep::last_published(const xmpp::Jid& full) {
    CapsCache::Info info = caps_->features_of(full);
    if (!info || !services_.sessions->is_available(full)) return;
    Served& served = served_[full.full()];
    if (served.caps == info) return;  // a presence update with the same caps
    served.caps = info;

    // The resource's own account, and every account whose presence it
    // receives (a subscription to/both in its roster): those see it become
    // available (§6.2); each judges it by its own roster.
    const xmpp::Jid user = full.bare();
    std::vector<std::pair<xmpp::Jid, pubsub::Requester>> owners{{user, requester(user, user)}};
    const auto config = services_.current_config();
    for (const auto& row : services_.stores->roster().rows(user.local(), user.domain())) {
        auto state = xmpp::sub_state_from_int(row.state);
        if (!row.in_roster || !state || !xmpp::has_to(*state)) continue;
        auto contact = xmpp::Jid::parse(row.contact);
        if (!contact || !contact->is_bare() || contact->local().empty() || *contact == user ||
            !config->serves_host(contact->domain()))
            continue;
        owners.emplace_back(*contact, requester(*contact, user));
    }
    for (const auto& [owner, who] : owners) {
        if (!exists(owner)) continue;
        PepAccount* account = accounts_.get(owner);
        if (!account) continue;
        for (const auto& notification : account->service.last_published(who)) {
            if (!info->has_feature(notification.node + "+notify")) continue;
            if (!served.sent.emplace(owner.bare_string(), notification.node).second) continue;
            send_event(owner, full, notification.event);
        }
    }
}

namespace {

void load_pep(ModuleHost& host, Services& services, const conf::ModuleOptions& options) {
    auto caps = host.find_shared<CapsCache>();
    if (!caps) throw std::logic_error("the pep module needs the caps module's cache");
    Pep::Settings settings;
    settings.limits.max_nodes = static_cast<std::size_t>(options.integer("max_nodes"));
    settings.limits.max_items_per_node = static_cast<std::size_t>(options.integer("max_items_per_node"));
    settings.limits.max_item_bytes = static_cast<std::size_t>(options.integer("max_item_bytes"));
    settings.limits.max_total_bytes = static_cast<std::size_t>(options.integer("max_total_bytes"));
    settings.limits.max_subscriptions_per_node =
        static_cast<std::size_t>(options.integer("max_subscriptions_per_node"));
    settings.max_loaded_accounts = static_cast<std::size_t>(options.integer("max_loaded_accounts"));
    auto pep = host.shared<Pep>([&] { return std::make_shared<Pep>(services, caps, settings); });

    host.add_identity(IqTarget::account, {"pubsub", "pep", ""});
    host.add_feature(IqTarget::account, std::string(xmpp::ns::pubsub));
    for (std::string_view feature : pep_features)
        host.add_feature(IqTarget::account, std::string(xmpp::ns::pubsub) + '#' + std::string(feature));
    host.add_feature(IqTarget::account, std::string(xmpp::ns::disco_items));
    host.add_identity(IqTarget::host, {"pubsub", "pep", ""});

    for (const char* type : {"get", "set"})
        for (std::string_view ns : {xmpp::ns::pubsub, xmpp::ns::pubsub_owner})
            host.on_iq(IqTarget::account, type, ns,
                       [pep](IqRequest&& request, Router&) { pep->request(std::move(request)); });
    host.on_iq(IqTarget::account, "get", xmpp::ns::disco_items,
               [pep](IqRequest&& request, Router&) { pep->disco_items(std::move(request)); });

    Hooks& hooks = host.hooks();
    hooks.caps_resolved.push_back([pep](const xmpp::Jid& full) { pep->resource_ready(full); });
    hooks.own_presence.push_back([pep](const xmpp::Element& presence, const xmpp::Jid& from, bool) {
        if (presence.attr_or("type") == "unavailable") pep->resource_gone(from);
    });
    hooks.session_ended.push_back([pep](const xmpp::Jid& full) { pep->resource_gone(full); });
    hooks.account_removed.push_back([pep](const xmpp::Jid& bare) { pep->account_removed(bare); });
}

}  // namespace

Module pep_module() {
    const pubsub::Limits defaults;
    auto option = [](std::string name, std::size_t value, std::int64_t min, std::int64_t max) {
        return conf::IntegerOption{std::move(name), static_cast<std::int64_t>(value), min, max};
    };
    return {
        .schema = {.name = "pep",
                   .options = {option("max_nodes", defaults.max_nodes, 1, 100000),
                               option("max_items_per_node", defaults.max_items_per_node, 1, 1000000),
                               option("max_item_bytes", defaults.max_item_bytes, 256, 16 * 1024 * 1024),
                               option("max_total_bytes", defaults.max_total_bytes, 1024, std::int64_t{1} << 40),
                               option("max_subscriptions_per_node", defaults.max_subscriptions_per_node, 1, 1000000),
                               option("max_loaded_accounts", 10000, 1, 10000000)},
                   .depends = {"caps"}},
        .protocols = {{"XEP-0163", "Personal Eventing Protocol"},
                      {"XEP-0060", "Publish-Subscribe (the subset PEP uses)"},
                      {"XEP-0084", "User Avatar (its data and metadata nodes, as plain PEP)"},
                      {"XEP-0223", "Persistent Storage of Private Data via PubSub (whitelist nodes)"},
                      {"XEP-0384", "OMEMO Encryption (device lists and bundles, open to strangers)"}},
        .needs = {Service::stores, Service::storage, Service::sessions, Service::accounts, Service::router},
        .load = load_pep,
    };
}

}  // namespace server::modules
