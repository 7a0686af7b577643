#include "server/router/router.hpp"

#include <algorithm>
#include <charconv>

#include "server/core/metrics.hpp"
#include "server/system/log.hpp"
#include "server/core/module_host.hpp"
#include "server/router/session_manager.hpp"
#include "xmpp/namespaces.hpp"
#include "xmpp/serializer.hpp"
#include "xmq/engine.hpp"

namespace server {

namespace {

// Forwards queue deliveries to local sessions and queue answers to senders.
class QueueSink final : public xmq::Sink {
public:
    explicit QueueSink(Services& services) : services_(services) {}
    bool deliver(const xmpp::Jid& to, const xmpp::Element& stanza) override {
        auto session = services_.sessions->find(to);
        if (!session) return false;
        session->deliver(xmpp::to_string(stanza));
        return true;
    }
    void reply(const xmpp::Element& stanza) override { services_.router->send(stanza); }

private:
    Services& services_;
};

int presence_priority(const xmpp::Element& presence) {
    std::string text = presence.child_text("priority", xmpp::ns::client);
    int value = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || value < -128 || value > 127) return 0;
    return value;
}

}  // namespace

void Router::route(xmpp::Element&& stanza, const xmpp::Jid& from, const xmpp::Jid* to) {
    const std::string& kind = stanza.name();
    if (to == nullptr) {
        if (kind == "presence") return own_presence(stanza, from);
        // A message or iq without 'to' is addressed to the sender's own account.
        return to_account(std::move(stanza), from, from.bare());
    }
    auto config = services_.current_config();
    if (config->serves_host(to->domain())) {
        if (to->local().empty()) {
            if (to->is_bare()) return to_host(std::move(stanza), from, *to);
            // host/resource: nothing of ours is addressed that way.
            return bounce(stanza, xmpp::StanzaError::service_unavailable);
        }
        for (const auto& hook : services_.modules->hooks().route_filter)
            if (hook(stanza, from, *to)) return;
        if (kind == "presence")
            for (const auto& hook : services_.modules->hooks().outbound_presence)
                if (hook(stanza, from, *to)) return;
        if (to->is_bare()) return to_account(std::move(stanza), from, *to);
        return to_resource(std::move(stanza), from, *to);
    }
    if (services_.xmq && services_.xmq->is_route(to->domain())) return to_queue(std::move(stanza), from);
    // No server-to-server links: every other domain is unreachable.
    if (kind != "presence") bounce(stanza, xmpp::StanzaError::remote_server_not_found);
}

void Router::send(const xmpp::Element& stanza) {
    const std::string* to_attr = stanza.attr("to");
    if (!to_attr) return;
    auto to = xmpp::Jid::parse(*to_attr);
    if (!to || to->is_bare()) return;
    if (auto session = services_.sessions->find(*to)) session->deliver(xmpp::to_string(stanza));
}

void Router::bounce(const xmpp::Element& stanza, xmpp::StanzaError condition, std::string_view text) {
    metrics::routing_error();
    if (!xmpp::is_error_reply_allowed(stanza)) return;
    send(xmpp::make_error_reply(stanza, condition, text));
}

void Router::own_presence(const xmpp::Element& presence, const xmpp::Jid& from) {
    const std::string_view type = presence.attr_or("type");
    if (type.empty()) {
        services_.sessions->set_presence(from, true, presence_priority(presence));
    } else if (type == "unavailable") {
        services_.sessions->set_presence(from, false, 0);
    }
    // Broadcast to contacts, probes and subscriptions belong to the modules.
    for (const auto& hook : services_.modules->hooks().own_presence) hook(presence, from);
}

void Router::to_host(xmpp::Element&& stanza, const xmpp::Jid& from, const xmpp::Jid& host) {
    if (stanza.name() == "iq") return dispatch_iq(std::move(stanza), from, host, IqTarget::host);
    // Messages and presence addressed to the server itself are not handled
    // by any module: dropped, as RFC 6121 §8.5.1 leaves to the server.
    XLOG(debug) << "dropped " << stanza.name() << " to host " << host.full() << " from " << from.full();
}

void Router::to_account(xmpp::Element&& stanza, const xmpp::Jid& from, const xmpp::Jid& bare) {
    const std::string& kind = stanza.name();
    if (kind == "iq") return dispatch_iq(std::move(stanza), from, bare, IqTarget::account);
    if (kind == "message") return message_to_bare(std::move(stanza), bare);
    // Directed presence to a bare JID goes to every available resource.
    const std::string xml = xmpp::to_string(stanza);
    for (const auto& r : services_.sessions->resources(bare))
        if (r.available) r.session->deliver(xml);
}

void Router::to_resource(xmpp::Element&& stanza, const xmpp::Jid& from, const xmpp::Jid& full) {
    const std::string& kind = stanza.name();
    if (auto session = services_.sessions->find(full)) {
        const std::string_view type = stanza.attr_or("type", "normal");
        const bool storable = kind == "message" && (type == "normal" || type == "chat");
        session->deliver(xmpp::to_string(stanza), storable ? Undelivered::to_offline : Undelivered::drop);
        return;
    }
    // RFC 6121 §8.5.3.2: no such resource.
    if (kind == "message") {
        const std::string_view type = stanza.attr_or("type", "normal");
        if (type == "groupchat") return bounce(stanza, xmpp::StanzaError::service_unavailable);
        if (type == "error") return;
        return message_to_bare(std::move(stanza), full.bare());
    }
    if (kind == "iq") return bounce(stanza, xmpp::StanzaError::service_unavailable);
    (void)from;  // presence to an unavailable resource is silently dropped
}

void Router::message_to_bare(xmpp::Element&& message, const xmpp::Jid& bare) {
    const std::string_view type = message.attr_or("type", "normal");
    auto resources = services_.sessions->resources(bare);
    std::erase_if(resources, [](const BoundResource& r) { return !r.available || r.priority < 0; });
    if (type == "error") {
        // RFC 6121 §8.5.2.1.1: an error message to a bare JID is not bounced.
        if (resources.empty()) return;
    }
    if (resources.empty() && type != "groupchat")  // RFC 6121 §8.5.2.2: offline storage, or an error
        for (const auto& hook : services_.modules->hooks().undeliverable_message)
            if (hook(message, bare)) return;
    if (type == "groupchat" || resources.empty())
        return bounce(message, xmpp::StanzaError::service_unavailable);
    if (type != "headline") {
        // chat and normal: the resources of highest priority.
        int top = std::max_element(resources.begin(), resources.end(), [](const auto& a, const auto& b) {
                      return a.priority < b.priority;
                  })->priority;
        std::erase_if(resources, [top](const BoundResource& r) { return r.priority != top; });
    }
    // A chat or normal message the session cannot write goes to offline storage.
    const auto fallback = type == "normal" || type == "chat" ? Undelivered::to_offline : Undelivered::drop;
    const std::string xml = xmpp::to_string(message);
    for (const auto& r : resources) r.session->deliver(xml, fallback);
}

void Router::dispatch_iq(xmpp::Element&& iq, const xmpp::Jid& from, const xmpp::Jid& target, IqTarget kind) {
    const std::string_view type = iq.attr_or("type");
    if (type != "get" && type != "set") return;  // results and errors to us end here
    const xmpp::Element* payload = nullptr;
    for (const auto& child : iq.children())
        if (!child.is_text()) {
            payload = &child;
            break;
        }
    const IqHandler* handler = payload ? services_.modules->find_iq(kind, type, payload->xmlns()) : nullptr;
    if (!handler) return bounce(iq, xmpp::StanzaError::service_unavailable);
    (*handler)(IqRequest{std::move(iq), from, target}, *this);
}

void Router::to_queue(xmpp::Element&& stanza, const xmpp::Jid& from) {
    QueueSink sink(services_);
    services_.xmq->handle(stanza, from, sink);
}

}  // namespace server
