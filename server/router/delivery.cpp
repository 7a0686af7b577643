#include "server/router/delivery.hpp"
#include "server/router/remote_servers.hpp"

#include <algorithm>
#include <optional>
#include <vector>

#include "server/core/metrics.hpp"
#include "server/core/module_host.hpp"
#include "server/router/router.hpp"
#include "server/router/session_manager.hpp"
#include "xmpp/serializer.hpp"

namespace server {

namespace {

// `stanza` as it will be written: itself, or a copy in `copy` with 'to'
// stamped `to` when it has none.
const xmpp::Element& addressed(const xmpp::Element& stanza, const xmpp::Jid& to, std::optional<xmpp::Element>& copy) {
    if (stanza.attr("to")) return stanza;
    copy.emplace(stanza);
    copy->set_attr("to", to.full());
    return *copy;
}

Undelivered fallback_for(const xmpp::Element& stanza, DeliveryKind kind) {
    if (kind == DeliveryKind::queue || kind == DeliveryKind::carbon || stanza.name() != "message")
        return Undelivered::drop;
    const std::string_view type = stanza.attr_or("type", "normal");
    return type == "normal" || type == "chat" ? Undelivered::to_offline : Undelivered::drop;
}

}  // namespace

Delivery::Reach Delivery::to_remote(const xmpp::Element& stanza, const xmpp::Jid& from, const xmpp::Jid& to) {
    xmpp::Element out = stanza;
    if (!out.attr("from")) out.set_attr("from", from.full());
    out.set_attr("to", to.full());
    services_.remote->send(out, from, to);
    return Reach::delivered;
}

Delivery::Reach Delivery::to_resource(const xmpp::Element& stanza, const xmpp::Jid& from, const xmpp::Jid& full,
                                      DeliveryKind kind) {
    if (is_remote_domain(services_, *services_.current_config(), full.domain())) return to_remote(stanza, from, full);
    std::optional<xmpp::Element> copy;
    const xmpp::Element& out = addressed(stanza, full, copy);
    if (!admits(out, from, full, kind)) return Reach::stopped;
    return hand_to_resource(out, full, kind);
}

Delivery::Reach Delivery::defer_to_resource(const xmpp::Element& stanza, const xmpp::Jid& from, const xmpp::Jid& full,
                                            DeliveryKind kind, std::vector<Deferred>& out) {
    std::optional<xmpp::Element> copy;
    const xmpp::Element& addressed_stanza = addressed(stanza, full, copy);
    if (!admits(addressed_stanza, from, full, kind)) return Reach::stopped;
    std::shared_ptr<ClientSession> session = services_.sessions->find(full);
    if (!session) return Reach::no_session;
    metrics::stanzas_out(addressed_stanza.name(), 1);
    out.push_back(
        Deferred{std::move(session), xmpp::to_string(addressed_stanza), fallback_for(addressed_stanza, kind)});
    return Reach::delivered;
}

void Delivery::hand_over(std::vector<Deferred>& deferred) {
    for (Deferred& d : deferred) d.session->deliver(std::move(d.xml), d.fallback);
    deferred.clear();
}

Delivery::Reach Delivery::to_available(const xmpp::Element& stanza, const xmpp::Jid& from, const xmpp::Jid& bare,
                                       DeliveryKind kind) {
    if (is_remote_domain(services_, *services_.current_config(), bare.domain())) return to_remote(stanza, from, bare);
    std::optional<xmpp::Element> copy;
    const xmpp::Element& out = addressed(stanza, bare, copy);
    if (!admits(out, from, bare, kind)) return Reach::stopped;
    return hand_to_available(out, bare, kind);
}

void Delivery::roster_push(const xmpp::Element& push, const xmpp::Jid& bare) {
    for (const auto& r : services_.sessions->resources(bare)) {
        if (!r.roster_interested) continue;
        auto full = bare.with_resource(r.resource);
        if (!full) continue;
        xmpp::Element out = push;
        out.set_attr("to", full->full());
        if (admits(out, bare, *full, DeliveryKind::roster_push))
            hand_over(out, DeliveryKind::roster_push, std::span(&r.session, 1));
    }
}

bool Delivery::admits(const xmpp::Element& stanza, const xmpp::Jid& from, const xmpp::Jid& to,
                      DeliveryKind kind) const {
    const PendingDelivery pending{stanza, from, to, kind};
    for (const auto& filter : services_.modules->hooks().delivery_filter)
        if (filter(pending)) return false;
    return true;
}

Delivery::Reach Delivery::hand_to_resource(const xmpp::Element& stanza, const xmpp::Jid& full, DeliveryKind kind) {
    std::shared_ptr<ClientSession> session;
    if (kind == DeliveryKind::offline) {
        for (auto& r : services_.sessions->resources(full.bare()))
            if (r.resource == full.resource() && r.available && r.priority >= 0) session = std::move(r.session);
    } else {
        session = services_.sessions->find(full);
    }
    if (!session) return Reach::no_session;
    hand_over(stanza, kind, std::span(&session, 1));
    return Reach::delivered;
}

Delivery::Reach Delivery::hand_to_available(const xmpp::Element& stanza, const xmpp::Jid& bare, DeliveryKind kind) {
    std::vector<std::shared_ptr<ClientSession>> sessions;
    for (auto& r : services_.sessions->resources(bare))
        if (r.available) sessions.push_back(std::move(r.session));
    if (sessions.empty()) return Reach::no_session;
    hand_over(stanza, kind, sessions);
    return Reach::delivered;
}

std::vector<BoundResource> Delivery::account_recipients(std::vector<BoundResource> resources, std::string_view type) {
    std::erase_if(resources, [](const BoundResource& r) { return !r.available || r.priority < 0; });
    if (type != "headline" && !resources.empty()) {
        // chat and normal: the resources of highest priority.
        const int top = std::max_element(resources.begin(), resources.end(), [](const auto& a, const auto& b) {
                            return a.priority < b.priority;
                        })->priority;
        std::erase_if(resources, [top](const BoundResource& r) { return r.priority != top; });
    }
    return resources;
}

std::vector<std::string> Delivery::message_recipients(const xmpp::Element& message, const xmpp::Jid& to) const {
    if (!to.is_bare() && services_.sessions->find(to)) return {to.resource()};
    const std::string_view type = message.attr_or("type", "normal");
    std::vector<std::string> names;
    if (type == "groupchat") return names;
    for (auto& r : account_recipients(services_.sessions->resources(to.bare()), type))
        names.push_back(std::move(r.resource));
    return names;
}

void Delivery::message_to_account(xmpp::Element&& message, const xmpp::Jid& bare) {
    const std::string_view type = message.attr_or("type", "normal");
    auto resources = account_recipients(services_.sessions->resources(bare), type);
    if (type == "error") {
        // RFC 6121 §8.5.2.1.1: an error message to a bare JID is not bounced.
        if (resources.empty()) return;
    }
    if (resources.empty() && type != "groupchat")  // RFC 6121 §8.5.2.2: offline storage, or an error
        for (const auto& hook : services_.modules->hooks().undeliverable_message)
            if (hook(message, bare)) return;
    if (type == "groupchat" || resources.empty())
        return services_.router->bounce(message, xmpp::StanzaError::service_unavailable);
    std::vector<std::shared_ptr<ClientSession>> sessions;
    for (auto& r : resources) sessions.push_back(std::move(r.session));
    hand_over(message, DeliveryKind::routed, sessions);
}

void Delivery::hand_over(const xmpp::Element& stanza, DeliveryKind kind,
                         std::span<const std::shared_ptr<ClientSession>> sessions) {
    if (sessions.empty()) return;
    const std::string xml = xmpp::to_string(stanza);
    const Undelivered fallback = fallback_for(stanza, kind);
    metrics::stanzas_out(stanza.name(), sessions.size());
    for (const auto& session : sessions) session->deliver(xml, fallback);
}

}  // namespace server
