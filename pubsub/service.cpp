#include "pubsub/service.hpp"

#include <algorithm>
#include <cstdio>
#include <iterator>

#include "pubsub/event.hpp"
#include "xmpp/jid.hpp"
#include "xmpp/namespaces.hpp"

namespace pubsub {

namespace {

using xmpp::fail;
using xmpp::StanzaError;

Error not_found(std::string_view what = "no such node") {
    return make_error(StanzaError::item_not_found, Condition::none, std::string(what));
}
Error forbidden() { return make_error(StanzaError::forbidden); }

xmpp::Element user_element(std::string name) { return xmpp::Element(std::move(name), std::string(xmpp::ns::pubsub)); }
xmpp::Element owner_element(std::string name) {
    return xmpp::Element(std::move(name), std::string(xmpp::ns::pubsub_owner));
}

// <pubsub xmlns=ns><child/></pubsub>
xmpp::Element wrap(xmpp::Element child, std::string_view ns) {
    xmpp::Element pubsub("pubsub", std::string(ns));
    pubsub.add_child(std::move(child));
    return pubsub;
}

Success empty() { return Success{}; }
Success with_payload(xmpp::Element payload) { return Success{std::move(payload), {}}; }

// A JID a request names, normalised (nullopt when malformed).
std::optional<xmpp::Jid> parse_jid(const std::string& text) { return xmpp::Jid::parse(text); }

}  // namespace

std::optional<Error> AccessPolicy::check(const Requester& r) const {
    if (r.service_owner) return std::nullopt;
    if (outcasts.contains(r.jid)) return forbidden();
    // The owner, publishers and members are admitted whatever the model:
    // they are whom the owner named.
    if (whitelisted.contains(r.jid)) return std::nullopt;
    switch (model) {
    case AccessModel::open: return std::nullopt;
    case AccessModel::presence:
        if (r.presence_subscribed) return std::nullopt;
        return make_error(StanzaError::not_authorized, Condition::presence_subscription_required);
    case AccessModel::roster:
        if (r.in_roster) {
            for (const auto& group : r.roster_groups) {
                if (std::find(roster_groups_allowed.begin(), roster_groups_allowed.end(), group) !=
                    roster_groups_allowed.end()) {
                    return std::nullopt;
                }
            }
        }
        return make_error(StanzaError::not_authorized, Condition::not_in_roster_group);
    case AccessModel::whitelist: return make_error(StanzaError::not_allowed, Condition::closed_node);
    }
    return forbidden();
}

Service::Service(ServiceOptions options, Journal* journal)
    : options_(std::move(options)), journal_(journal), ids_(std::random_device{}()) {}

Outcome Service::handle(const Request& request, const Requester& requester) {
    Outcome outcome = std::visit([&](const auto& r) { return answer(r, requester); }, request);
    // A notification nobody is to receive is no notification.
    if (outcome) {
        std::erase_if(outcome->notifications,
                      [](const Notification& n) { return !n.owner_contacts && n.subscribers.empty(); });
    }
    return outcome;
}

// --- rules shared by the requests -------------------------------------------

Affiliation Service::affiliation_of(const Node& node, const Requester& r) const {
    if (r.service_owner) return Affiliation::owner;
    auto it = node.affiliations.find(r.jid);
    return it == node.affiliations.end() ? Affiliation::none : it->second;
}

bool Service::is_owner(const Node& node, const Requester& r) const {
    return affiliation_of(node, r) == Affiliation::owner;
}

bool Service::may_create(const Requester& r) const {
    if (r.service_owner) return true;
    return !options_.personal && options_.anyone_may_create;
}

AccessPolicy Service::access_of(const Node& node) const {
    AccessPolicy policy{node.config.access_model, node.config.roster_groups_allowed, {}, {}};
    if (options_.personal && !options_.owner.empty()) policy.whitelisted.insert(options_.owner);
    for (const auto& [jid, affiliation] : node.affiliations) {
        if (affiliation == Affiliation::outcast)
            policy.outcasts.insert(jid);
        else
            policy.whitelisted.insert(jid);
    }
    return policy;
}

std::size_t Service::max_items_of(const NodeConfig& config) const {
    return config.max_items.value_or(options_.limits.max_items_per_node);
}

std::optional<Error> Service::check_config(const NodeConfig& config) const {
    if (config.max_items && *config.max_items > options_.limits.max_items_per_node) {
        return make_error(StanzaError::not_acceptable, Condition::max_items_exceeded,
                          "at most " + std::to_string(options_.limits.max_items_per_node) + " items per node");
    }
    return std::nullopt;
}

Notification Service::notification(const std::string& name, const Node& node, xmpp::Element event) const {
    return Notification{
        name, std::move(event), {node.subscribers.begin(), node.subscribers.end()}, options_.personal, access_of(node)};
}

std::string Service::new_item_id(const Node& node) {
    for (;;) {
        char buffer[17];
        std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(ids_()));
        std::string id(buffer);
        if (!node.order_of.contains(id)) return id;
    }
}

Service::Node& Service::make_node(const std::string& name, NodeConfig config, const Requester& creator) {
    Node& node = nodes_[name];
    node.config = std::move(config);
    if (journal_) journal_->node_created(name, node.config);
    if (!options_.personal) {
        node.affiliations[creator.jid] = Affiliation::owner;
        if (journal_) journal_->affiliation_changed(name, creator.jid, Affiliation::owner);
    }
    return node;
}

void Service::store(const std::string& name, Node& node, Item item) {
    if (auto old = node.order_of.find(item.id); old != node.order_of.end()) {
        auto it = node.items.find(old->second);
        stored_bytes_ -= it->second.bytes;
        node.items.erase(it);
    }
    std::uint64_t order = next_order_++;
    node.order_of[item.id] = order;
    stored_bytes_ += item.bytes;
    const Item& stored = node.items.emplace(order, std::move(item)).first->second;
    if (journal_) journal_->item_stored(name, stored);
    trim(name, node);
}

void Service::remove(const std::string& name, Node& node, std::map<std::uint64_t, Item>::iterator it, Removal why) {
    std::string id = it->second.id;
    stored_bytes_ -= it->second.bytes;
    node.order_of.erase(id);
    node.items.erase(it);
    if (journal_) journal_->item_removed(name, id, why);
}

void Service::trim(const std::string& name, Node& node) {
    std::size_t max = node.config.persist_items ? max_items_of(node.config) : 0;
    while (node.items.size() > max) remove(name, node, node.items.begin(), Removal::evicted);
}

// --- publisher use cases (XEP-0060 §7) ---------------------------------------

Outcome Service::answer(const Publish& p, const Requester& r) {
    auto found = nodes_.find(p.node);
    const bool creating = found == nodes_.end();
    NodeConfig config;
    if (creating) {
        if (!options_.auto_create) return fail(not_found());
        if (!may_create(r)) return fail(forbidden());
        config = options_.default_config;
        if (p.options) {
            // §7.1.5: a node auto-created on publish takes the publish-options.
            if (!p.options->unknown.empty()) {
                return fail(make_error(StanzaError::conflict, Condition::precondition_not_met,
                                       "unknown option " + p.options->unknown.front()));
            }
            config = apply(std::move(config), *p.options);
        }
        if (auto error = check_config(config)) return fail(std::move(*error));
        if (nodes_.size() >= options_.limits.max_nodes) {
            return fail(make_error(StanzaError::policy_violation, Condition::max_nodes_exceeded));
        }
    } else {
        const Node& node = found->second;
        Affiliation affiliation = affiliation_of(node, r);
        bool allowed = affiliation == Affiliation::owner || affiliation == Affiliation::publisher;
        if (!allowed && affiliation != Affiliation::outcast) {
            switch (node.config.publish_model) {
            case PublishModel::open: allowed = true; break;
            case PublishModel::subscribers:
                allowed = affiliation == Affiliation::member ||
                          std::any_of(node.subscribers.begin(), node.subscribers.end(), [&](const std::string& s) {
                              auto jid = parse_jid(s);
                              return jid && jid->bare_string() == r.jid;
                          });
                break;
            case PublishModel::publishers: break;
            }
        }
        if (!allowed) return fail(forbidden());
        // After the permission: who may not publish learns nothing of the configuration.
        if (p.options && !satisfies(node.config, *p.options)) {
            return fail(make_error(StanzaError::conflict, Condition::precondition_not_met));
        }
        config = node.config;
    }

    const bool wants_item = config.persist_items || config.deliver_payloads;
    if (!p.item) {
        if (wants_item) return fail(make_error(StanzaError::bad_request, Condition::item_required));
    } else if (p.item->payload) {
        if (!wants_item) return fail(make_error(StanzaError::bad_request, Condition::item_forbidden));
        if (p.item->bytes > options_.limits.max_item_bytes) {
            return fail(make_error(StanzaError::not_acceptable, Condition::payload_too_big));
        }
    } else if (wants_item) {
        return fail(make_error(StanzaError::bad_request, Condition::payload_required));
    }

    const std::size_t bytes = p.item ? p.item->bytes : 0;
    if (config.persist_items && !creating && p.item) {
        // What this publish frees: the item it replaces, or the oldest it evicts.
        const Node& node = found->second;
        std::size_t freed = 0;
        if (auto old = node.order_of.find(p.item->id); !p.item->id.empty() && old != node.order_of.end()) {
            freed = node.items.at(old->second).bytes;
        } else if (!node.items.empty() && node.items.size() >= max_items_of(config)) {
            freed = node.items.begin()->second.bytes;
        }
        if (stored_bytes_ - freed + bytes > options_.limits.max_total_bytes) {
            return fail(make_error(StanzaError::policy_violation, Condition::none, "storage quota exceeded"));
        }
    } else if (config.persist_items && stored_bytes_ + bytes > options_.limits.max_total_bytes) {
        return fail(make_error(StanzaError::policy_violation, Condition::none, "storage quota exceeded"));
    }

    Node& node = creating ? make_node(p.node, std::move(config), r) : found->second;
    std::string id = p.item && !p.item->id.empty() ? p.item->id : new_item_id(node);
    const xmpp::Element* payload = p.item && p.item->payload ? &*p.item->payload : nullptr;

    Success success;
    // A transient node without payloads takes a publish without <item/>; its
    // subscribers still learn that something was published, under a new id.
    success.notifications.push_back(
        notification(p.node, node, items_event(p.node, id, node.config.deliver_payloads ? payload : nullptr)));
    if (node.config.persist_items && p.item) {
        store(p.node, node, Item{id, p.item->payload, r.jid, bytes});
    }
    xmpp::Element item = user_element("item");
    item.append_attr("id", id);
    xmpp::Element publish = user_element("publish");
    publish.append_attr("node", p.node);
    publish.add_child(std::move(item));
    success.payload = wrap(std::move(publish), xmpp::ns::pubsub);
    return success;
}

Outcome Service::answer(const Retract& request, const Requester& r) {
    auto found = nodes_.find(request.node);
    if (found == nodes_.end()) return fail(not_found());
    Node& node = found->second;
    Affiliation affiliation = affiliation_of(node, r);
    auto order = node.order_of.find(request.item_id);
    bool allowed = affiliation == Affiliation::owner || affiliation == Affiliation::publisher;
    if (!allowed && affiliation != Affiliation::outcast && order != node.order_of.end()) {
        allowed = node.items.at(order->second).publisher == r.jid;  // one's own item
    }
    if (!allowed) return fail(forbidden());
    if (order == node.order_of.end()) return fail(not_found("no such item"));
    remove(request.node, node, node.items.find(order->second), Removal::retracted);
    Success success;
    if (request.notify.value_or(node.config.notify_retract)) {
        success.notifications.push_back(notification(request.node, node, retract_event(request.node, request.item_id)));
    }
    return success;
}

// --- subscriber use cases (XEP-0060 §6) --------------------------------------

Outcome Service::answer(const GetItems& request, const Requester& r) {
    auto found = nodes_.find(request.node);
    if (found == nodes_.end()) return fail(not_found());
    const Node& node = found->second;
    if (auto error = access_of(node).check(r)) return fail(std::move(*error));

    xmpp::Element items = user_element("items");
    items.append_attr("node", request.node);
    auto add = [&](const Item& stored) {
        xmpp::Element item = user_element("item");
        item.append_attr("id", stored.id);
        if (stored.payload) item.add_child(*stored.payload);
        items.add_child(std::move(item));
    };
    if (!request.ids.empty()) {
        for (const auto& id : request.ids) {
            if (auto order = node.order_of.find(id); order != node.order_of.end()) add(node.items.at(order->second));
        }
        // Asked by id and none there: item-not-found, as ejabberd and Prosody answer.
        if (items.element_count() == 0) return fail(not_found("no such item"));
    } else {
        // Newest first, as many as asked.
        std::size_t left = request.max_items.value_or(node.items.size());
        for (auto it = node.items.rbegin(); it != node.items.rend() && left > 0; ++it, --left) add(it->second);
    }
    return with_payload(wrap(std::move(items), xmpp::ns::pubsub));
}

Outcome Service::answer(const Subscribe& request, const Requester& r) {
    auto found = nodes_.find(request.node);
    if (found == nodes_.end()) return fail(not_found());
    Node& node = found->second;
    auto jid = parse_jid(request.jid);
    // §6.1.3.1: one subscribes oneself (any resource), unless the owner.
    if (!jid || (jid->bare_string() != r.jid && !is_owner(node, r))) {
        return fail(make_error(StanzaError::bad_request, Condition::invalid_jid));
    }
    if (auto error = access_of(node).check(r)) return fail(std::move(*error));
    std::string subscriber = jid->full();
    if (!node.subscribers.contains(subscriber)) {
        if (node.subscribers.size() >= options_.limits.max_subscriptions_per_node) {
            return fail(make_error(StanzaError::policy_violation, Condition::too_many_subscriptions));
        }
        node.subscribers.insert(subscriber);
        if (journal_) journal_->subscription_changed(request.node, subscriber, true);
    }
    Success success;
    xmpp::Element subscription = user_element("subscription");
    subscription.append_attr("node", request.node);
    subscription.append_attr("jid", subscriber);
    subscription.append_attr("subscription", "subscribed");
    success.payload = wrap(std::move(subscription), xmpp::ns::pubsub);
    if (node.config.send_last_published_item != SendLastPublished::never && !node.items.empty()) {
        const Item& last = node.items.rbegin()->second;
        const xmpp::Element* payload = node.config.deliver_payloads && last.payload ? &*last.payload : nullptr;
        success.notifications.push_back(Notification{
            request.node, items_event(request.node, last.id, payload), {subscriber}, false, access_of(node)});
    }
    return success;
}

Outcome Service::answer(const Unsubscribe& request, const Requester& r) {
    auto found = nodes_.find(request.node);
    if (found == nodes_.end()) return fail(not_found());
    Node& node = found->second;
    auto jid = parse_jid(request.jid);
    if (!jid) return fail(make_error(StanzaError::bad_request, Condition::invalid_jid));
    if (jid->bare_string() != r.jid && !is_owner(node, r)) return fail(forbidden());
    if (node.subscribers.erase(jid->full()) == 0) {
        return fail(make_error(StanzaError::unexpected_request, Condition::not_subscribed));
    }
    if (journal_) journal_->subscription_changed(request.node, jid->full(), false);
    return empty();
}

Outcome Service::answer(const GetSubscriptions& request, const Requester& r) {
    if (request.node && !nodes_.contains(*request.node)) return fail(not_found());
    xmpp::Element list = user_element("subscriptions");
    if (request.node) list.append_attr("node", *request.node);
    for (const auto& [name, node] : nodes_) {
        if (request.node && name != *request.node) continue;
        for (const auto& subscriber : node.subscribers) {
            auto jid = parse_jid(subscriber);
            if (!jid || jid->bare_string() != r.jid) continue;
            xmpp::Element s = user_element("subscription");
            s.append_attr("node", name);
            s.append_attr("jid", subscriber);
            s.append_attr("subscription", "subscribed");
            list.add_child(std::move(s));
        }
    }
    return with_payload(wrap(std::move(list), xmpp::ns::pubsub));
}

Outcome Service::answer(const GetAffiliations& request, const Requester& r) {
    if (request.node && !nodes_.contains(*request.node)) return fail(not_found());
    xmpp::Element list = user_element("affiliations");
    if (request.node) list.append_attr("node", *request.node);
    for (const auto& [name, node] : nodes_) {
        if (request.node && name != *request.node) continue;
        Affiliation affiliation = affiliation_of(node, r);
        if (affiliation == Affiliation::none) continue;
        xmpp::Element a = user_element("affiliation");
        a.append_attr("node", name);
        a.append_attr("affiliation", std::string(to_string(affiliation)));
        list.add_child(std::move(a));
    }
    return with_payload(wrap(std::move(list), xmpp::ns::pubsub));
}

// --- owner use cases (XEP-0060 §8) -------------------------------------------

Outcome Service::answer(const Create& request, const Requester& r) {
    if (nodes_.contains(request.node)) return fail(make_error(StanzaError::conflict, Condition::none, "node exists"));
    if (!may_create(r)) return fail(forbidden());
    if (nodes_.size() >= options_.limits.max_nodes) {
        return fail(make_error(StanzaError::policy_violation, Condition::max_nodes_exceeded));
    }
    NodeConfig config = request.config ? apply(options_.default_config, *request.config) : options_.default_config;
    if (auto error = check_config(config)) return fail(std::move(*error));
    make_node(request.node, std::move(config), r);
    return empty();
}

Outcome Service::answer(const ConfigureGet& request, const Requester& r) {
    auto found = nodes_.find(request.node);
    if (found == nodes_.end()) return fail(not_found());
    if (!is_owner(found->second, r)) return fail(forbidden());
    xmpp::Element configure = owner_element("configure");
    configure.append_attr("node", request.node);
    configure.add_child(config_form(found->second.config));
    return with_payload(wrap(std::move(configure), xmpp::ns::pubsub_owner));
}

Outcome Service::answer(const ConfigureSet& request, const Requester& r) {
    auto found = nodes_.find(request.node);
    if (found == nodes_.end()) return fail(not_found());
    Node& node = found->second;
    if (!is_owner(node, r)) return fail(forbidden());
    if (request.cancel || !request.config) return empty();
    NodeConfig config = apply(node.config, *request.config);
    if (auto error = check_config(config)) return fail(std::move(*error));
    if (config == node.config) return empty();
    node.config = std::move(config);
    if (journal_) journal_->node_configured(request.node, node.config);
    trim(request.node, node);  // a smaller max_items, or items no longer persisted
    if (node.config.access_model == AccessModel::whitelist) {
        // A node closed to all but its members keeps only their subscriptions
        // (the other models depend on the roster: the caller judges those).
        AccessPolicy access = access_of(node);
        for (auto it = node.subscribers.begin(); it != node.subscribers.end();) {
            auto jid = parse_jid(*it);
            if (jid && access.whitelisted.contains(jid->bare_string())) {
                ++it;
                continue;
            }
            if (journal_) journal_->subscription_changed(request.node, *it, false);
            it = node.subscribers.erase(it);
        }
    }
    return empty();
}

Outcome Service::answer(const Delete& request, const Requester& r) {
    auto found = nodes_.find(request.node);
    if (found == nodes_.end()) return fail(not_found());
    Node& node = found->second;
    if (!is_owner(node, r)) return fail(forbidden());
    Success success;
    if (node.config.notify_delete) {
        success.notifications.push_back(notification(request.node, node, delete_event(request.node, request.redirect)));
    }
    for (const auto& [order, item] : node.items) stored_bytes_ -= item.bytes;
    nodes_.erase(found);
    if (journal_) journal_->node_deleted(request.node);
    return success;
}

Outcome Service::answer(const Purge& request, const Requester& r) {
    auto found = nodes_.find(request.node);
    if (found == nodes_.end()) return fail(not_found());
    Node& node = found->second;
    if (!is_owner(node, r)) return fail(forbidden());
    while (!node.items.empty()) remove(request.node, node, node.items.begin(), Removal::purged);
    Success success;
    if (node.config.notify_retract) {
        success.notifications.push_back(notification(request.node, node, purge_event(request.node)));
    }
    return success;
}

Outcome Service::answer(const GetDefault&, const Requester&) {
    xmpp::Element def = owner_element("default");
    def.add_child(config_form(options_.default_config));
    return with_payload(wrap(std::move(def), xmpp::ns::pubsub_owner));
}

Outcome Service::answer(const OwnerGetSubscriptions& request, const Requester& r) {
    auto found = nodes_.find(request.node);
    if (found == nodes_.end()) return fail(not_found());
    if (!is_owner(found->second, r)) return fail(forbidden());
    xmpp::Element list = owner_element("subscriptions");
    list.append_attr("node", request.node);
    for (const auto& subscriber : found->second.subscribers) {
        xmpp::Element s = owner_element("subscription");
        s.append_attr("jid", subscriber);
        s.append_attr("subscription", "subscribed");
        list.add_child(std::move(s));
    }
    return with_payload(wrap(std::move(list), xmpp::ns::pubsub_owner));
}

Outcome Service::answer(const OwnerGetAffiliations& request, const Requester& r) {
    auto found = nodes_.find(request.node);
    if (found == nodes_.end()) return fail(not_found());
    if (!is_owner(found->second, r)) return fail(forbidden());
    xmpp::Element list = owner_element("affiliations");
    list.append_attr("node", request.node);
    auto add = [&](const std::string& jid, Affiliation affiliation) {
        xmpp::Element a = owner_element("affiliation");
        a.append_attr("jid", jid);
        a.append_attr("affiliation", std::string(to_string(affiliation)));
        list.add_child(std::move(a));
    };
    if (options_.personal && !options_.owner.empty()) add(options_.owner, Affiliation::owner);
    for (const auto& [jid, affiliation] : found->second.affiliations) add(jid, affiliation);
    return with_payload(wrap(std::move(list), xmpp::ns::pubsub_owner));
}

Outcome Service::answer(const OwnerSetAffiliations& request, const Requester& r) {
    auto found = nodes_.find(request.node);
    if (found == nodes_.end()) return fail(not_found());
    Node& node = found->second;
    if (!is_owner(node, r)) return fail(forbidden());
    // All or nothing: every change is checked before any is made.
    std::vector<std::pair<std::string, Affiliation>> changes;
    for (const auto& [text, affiliation] : request.changes) {
        auto jid = parse_jid(text);
        if (!jid) return fail(make_error(StanzaError::bad_request, Condition::invalid_jid));
        std::string bare = jid->bare_string();
        if (options_.personal && (bare == options_.owner || affiliation == Affiliation::owner)) {
            return fail(make_error(StanzaError::not_acceptable, Condition::none,
                                   "a personal node has its account as only owner"));
        }
        changes.emplace_back(std::move(bare), affiliation);
    }
    for (const auto& [jid, affiliation] : changes) {
        if (affiliation == Affiliation::none)
            node.affiliations.erase(jid);
        else
            node.affiliations[jid] = affiliation;
        if (journal_) journal_->affiliation_changed(request.node, jid, affiliation);
        if (affiliation != Affiliation::outcast) continue;
        // An outcast loses its subscriptions (§8.9.2.4, "banned").
        for (auto it = node.subscribers.begin(); it != node.subscribers.end();) {
            auto subscriber = parse_jid(*it);
            if (subscriber && subscriber->bare_string() == jid) {
                if (journal_) journal_->subscription_changed(request.node, *it, false);
                it = node.subscribers.erase(it);
            } else {
                ++it;
            }
        }
    }
    return empty();
}

// --- loading and presence ----------------------------------------------------

bool Service::restore(StoredNode stored) {
    if (!nodes_.contains(stored.name) && nodes_.size() >= options_.limits.max_nodes) return false;
    Journal* journal = std::exchange(journal_, nullptr);
    Node& node = nodes_[stored.name];
    for (const auto& [order, item] : node.items) stored_bytes_ -= item.bytes;
    node = Node{};
    node.config = std::move(stored.config);
    for (auto& [jid, affiliation] : stored.affiliations) {
        if (affiliation != Affiliation::none) node.affiliations[jid] = affiliation;
    }
    node.subscribers.insert(stored.subscribers.begin(), stored.subscribers.end());
    for (auto& item : stored.items) {
        if (node.order_of.contains(item.id)) continue;
        store(stored.name, node, std::move(item));
    }
    journal_ = journal;
    return true;
}

std::vector<StoredNode> Service::snapshot() const {
    std::vector<StoredNode> out;
    for (const auto& [name, node] : nodes_) {
        StoredNode stored{name,
                          node.config,
                          {node.affiliations.begin(), node.affiliations.end()},
                          {node.subscribers.begin(), node.subscribers.end()},
                          {}};
        for (const auto& [order, item] : node.items) stored.items.push_back(item);
        out.push_back(std::move(stored));
    }
    return out;
}

std::vector<std::string> Service::visible_nodes(const Requester& r) const {
    std::vector<std::string> out;
    for (const auto& [name, node] : nodes_)
        if (access_of(node).admits(r)) out.push_back(name);
    return out;
}

std::vector<Notification> Service::last_published(const Requester& r) const {
    std::vector<Notification> out;
    for (const auto& [name, node] : nodes_) {
        if (node.config.send_last_published_item != SendLastPublished::on_sub_and_presence) continue;
        if (node.items.empty()) continue;
        AccessPolicy access = access_of(node);
        if (!access.admits(r)) continue;
        const Item& last = node.items.rbegin()->second;
        const xmpp::Element* payload = node.config.deliver_payloads && last.payload ? &*last.payload : nullptr;
        out.push_back(Notification{name, items_event(name, last.id, payload), {}, false, std::move(access)});
    }
    return out;
}

}  // namespace pubsub
