#include "server/router/router.hpp"

#include <charconv>

#include "server/core/metrics.hpp"
#include "server/core/queue_journal.hpp"
#include "server/router/component_table.hpp"
#include "server/router/remote_servers.hpp"
#include "server/system/log.hpp"
#include "xmpp/serializer.hpp"
#include "xmpp/namespaces.hpp"
#include "xmq/engine.hpp"

namespace server {

namespace {

// Hands queue copies to their subscribers and queue answers to the sender,
// both through the Delivery. The queue calls it with its lock held: a copy's
// consumer is found and the copy serialized there (so a consumer gone is
// known at once), but handed to its session only when the sink goes, after the
// queue let go of its lock; handing over may wake the consumer's worker,
// and other publishers to the queue need not wait for that.
class QueueSink final : public xmq::Sink {
public:
    // `publisher`: the client whose stanza is being handled, or null for
    // work no stanza carries (session end, sweep).
    // `journal`: where durable queues' copies wait for their commit (null: no storage).
    QueueSink(Router& router, const xmpp::Jid* publisher, QueueJournal* journal)
        : router_(router), publisher_(publisher), journal_(journal) {}
    bool deliver(const xmpp::Jid& to, const xmpp::Element& stanza) override { return defer(to, stanza, copies_); }
    // A durable queue's copy: reached now (so a consumer gone is known at
    // once), handed over after the commit of what the queue journaled.
    bool deliver_when_committed(const xmpp::Jid& to, const xmpp::Element& stanza) override {
        return defer(to, stanza, journal_ != nullptr ? committed_copies_ : copies_);
    }
    // The engine call that used this sink has returned: the queue's lock is free.
    ~QueueSink() override {
        Delivery::hand_over(copies_);
        if (!committed_copies_.empty())
            journal_->after_commit(
                [copies = std::move(committed_copies_)]() mutable { Delivery::hand_over(copies); });
    }
    void reply(const xmpp::Element& stanza) override { router_.send(stanza); }

private:
    bool defer(const xmpp::Jid& to, const xmpp::Element& stanza, std::vector<Delivery::Deferred>& out) {
        // A copy's 'from' is its publisher, who is not the sender at hand
        // when a held or redelivered stanza goes out (after an ack, a sub...).
        const std::string* from = stanza.attr("from");
        if (publisher_ != nullptr && (from == nullptr || *from == publisher_->full()))
            return reach(stanza, *publisher_, to, out);
        auto parsed = from ? xmpp::Jid::parse(*from) : std::nullopt;
        return parsed && reach(stanza, *parsed, to, out);
    }
    bool reach(const xmpp::Element& stanza, const xmpp::Jid& from, const xmpp::Jid& to,
               std::vector<Delivery::Deferred>& out) {
        return router_.delivery().defer_to_resource(stanza, from, to, DeliveryKind::queue, out) !=
               Delivery::Reach::no_session;
    }

    Router& router_;
    const xmpp::Jid* publisher_;
    QueueJournal* journal_;
    std::vector<Delivery::Deferred> copies_;
    std::vector<Delivery::Deferred> committed_copies_;  // durable queues': after the commit
};

bool is_iq_answer(const xmpp::Element& iq) {
    const std::string_view type = iq.attr_or("type");
    return type == "result" || type == "error";
}

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
        if (kind == "iq" && services_.xmq && services_.xmq->awaits_answers() && !to->is_bare() &&
            is_iq_answer(stanza)) {
            // A consumer's answer to a request it got through an acked queue
            // settles the delivery; an earlier consumer's late one is dropped.
            QueueSink sink(*this, nullptr, services_.queue_journal);
            if (services_.xmq->consumer_answer(stanza, from, *to, sink)) return;
        }
        if (!delivery_.admits(stanza, from, *to, DeliveryKind::routed)) return;
        if (kind == "presence") {
            if (config->serves_host(from.domain())) {
                for (const auto& hook : services_.modules->hooks().outbound_presence)
                    if (hook(stanza, from, *to)) return;
            } else if (is_remote_domain(services_, *config, from.domain())) {
                // A remote server's subscription or probe for an account of ours.
                for (const auto& hook : services_.modules->hooks().remote_presence)
                    if (hook(stanza, from, *to)) return;
                if (stanza.attr_or("type") == "probe") return;
            } else if (stanza.attr_or("type") == "probe") {
                // A component's probe: the rosters keep no subscriptions of
                // component JIDs (yet), so no presence is owed to it.
                return;
            }
            // Other presence of a component (its own, subscription requests)
            // goes to the addressee's resources as it is.
        }
        if (kind == "message")
            for (const auto& hook : services_.modules->hooks().routed_message)
                if (hook(stanza, from, *to)) return;
        if (to->is_bare()) return to_account(std::move(stanza), from, *to);
        return to_resource(std::move(stanza), *to);
    }
    if (const ServiceDomain* service = services_.modules->find_service_domain(to->domain()))
        return service->handler(std::move(stanza), from, *to, *this);
    if (kind == "presence" && config->serves_host(from.domain()) && services_.components &&
        services_.components->find(to->domain())) {
        // Directed presence to a component (joining a gateway's room) is
        // recorded like directed presence to a local JID, so that the
        // component learns when the resource goes away (RFC 6121 §4.6.3).
        const std::string_view type = stanza.attr_or("type");
        if (type.empty() || type == "unavailable")
            for (const auto& hook : services_.modules->hooks().outbound_presence)
                if (hook(stanza, from, *to)) return;
    }
    if (to_component(stanza, *to)) return;
    if (config->component(to->domain())) {
        // A configured component that is not connected (as ejabberd and Prosody answer).
        if (kind != "presence") bounce(stanza, xmpp::StanzaError::service_unavailable, "The component is not connected");
        return;
    }
    if (services_.xmq && services_.xmq->is_route(to->domain())) return to_queue(std::move(stanza), from);
    if (services_.remote && is_local_domain(services_, *config, from.domain())) {
        // Another server's domain (federation). A local account's presence
        // passes its subscription hooks first (its roster changes).
        if (kind == "presence" && config->serves_host(from.domain()) && !from.local().empty())
            for (const auto& hook : services_.modules->hooks().outbound_presence)
                if (hook(stanza, from, *to)) return;
        return services_.remote->send(stanza, from, *to);
    }
    // No server-to-server streams: every other domain is unreachable.
    if (kind != "presence") bounce(stanza, xmpp::StanzaError::remote_server_not_found);
}

bool Router::to_component(const xmpp::Element& stanza, const xmpp::Jid& to) {
    if (!services_.components) return false;
    auto link = services_.components->find(to.domain());
    if (!link) return false;
    // Written without a namespace of its own: on the component's stream it
    // is in jabber:component:accept, the stream's default (XEP-0114).
    std::string xml;
    xmpp::serialize(stanza, xml, xmpp::ns::client);
    metrics::component_stanza_out();
    link->deliver(std::move(xml));
    return true;
}

void Router::send(const xmpp::Element& stanza) {
    const std::string* to_attr = stanza.attr("to");
    if (!to_attr) return;
    auto to = xmpp::Jid::parse(*to_attr);
    if (!to) return;
    if (to_component(stanza, *to)) return;
    const std::string* from_attr = stanza.attr("from");
    auto from = from_attr ? xmpp::Jid::parse(*from_attr) : std::nullopt;
    if (from && is_remote_domain(services_, *services_.current_config(), to->domain()))
        return services_.remote->send(stanza, *from, *to);
    if (to->is_bare()) return;
    delivery_.to_resource(stanza, from ? *from : to->bare(), *to, DeliveryKind::server);
}

void Router::bounce(const xmpp::Element& stanza, xmpp::StanzaError condition, std::string_view text) {
    metrics::routing_error();
    if (!xmpp::is_error_reply_allowed(stanza)) return;
    send(xmpp::make_error_reply(stanza, condition, text));
}

void Router::request(xmpp::Element iq, IqRequests::Answer answer) {
    if (auto prepared = requests_.prepare(std::move(iq), std::move(answer))) send(*prepared);
}

void Router::request_routed(xmpp::Element iq, const xmpp::Jid& from, IqRequests::Answer answer) {
    auto to = xmpp::Jid::parse(iq.attr_or("to"));
    if (!to) return answer(nullptr);
    if (auto prepared = requests_.prepare(std::move(iq), std::move(answer))) route(std::move(*prepared), from, &*to);
}

BindResult Router::bind(const xmpp::Jid& full, std::shared_ptr<ClientSession> session, std::size_t max_resources) {
    BindResult result = services_.sessions->bind(full, std::move(session), max_resources);
    if (result.replaced_was_available) went_unavailable(full);
    // A session bound anew cannot answer what was asked of one it replaced.
    if (result.replaced) requests_.abandon(full);
    return result;
}

bool Router::unbind(const xmpp::Jid& full, const ClientSession* session) {
    auto removed = services_.sessions->unbind(full, session);
    if (!removed) return false;
    requests_.abandon(full);
    if (removed->available) went_unavailable(full);
    return true;
}

void Router::went_unavailable(const xmpp::Jid& full) {
    xmpp::Element presence("presence", std::string(xmpp::ns::client));
    presence.set_attr("type", "unavailable");
    presence.set_attr("from", full.full());
    for (const auto& hook : services_.modules->hooks().own_presence) hook(presence, full, true);
}

void Router::own_presence(const xmpp::Element& presence, const xmpp::Jid& from) {
    const std::string_view type = presence.attr_or("type");
    bool was_available = false;
    if (type.empty())
        was_available = services_.sessions->set_available(from, presence, presence_priority(presence));
    else if (type == "unavailable")
        was_available = services_.sessions->set_unavailable(from);
    else
        was_available = services_.sessions->is_available(from);
    // Broadcast to contacts, probes and subscriptions belong to the modules.
    for (const auto& hook : services_.modules->hooks().own_presence) hook(presence, from, was_available);
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
    if (kind == "message") return delivery_.message_to_account(std::move(stanza), bare);
    // Directed presence to a bare JID goes to every available resource.
    delivery_.hand_to_available(stanza, bare, DeliveryKind::routed);
}

void Router::to_resource(xmpp::Element&& stanza, const xmpp::Jid& full) {
    if (delivery_.hand_to_resource(stanza, full, DeliveryKind::routed) == Delivery::Reach::delivered) return;
    // RFC 6121 §8.5.3.2: no such resource.
    const std::string& kind = stanza.name();
    if (kind == "message") {
        const std::string_view type = stanza.attr_or("type", "normal");
        if (type == "groupchat") return bounce(stanza, xmpp::StanzaError::service_unavailable);
        if (type == "error") return;
        return delivery_.message_to_account(std::move(stanza), full.bare());
    }
    if (kind == "iq") return bounce(stanza, xmpp::StanzaError::service_unavailable);
    // Presence to an unavailable resource is silently dropped.
}

void Router::dispatch_iq(xmpp::Element&& iq, const xmpp::Jid& from, const xmpp::Jid& target, IqTarget kind) {
    const std::string_view type = iq.attr_or("type");
    if (type != "get" && type != "set") {
        // Answers to the server's own requests go to whoever asked; other
        // results and errors to us end here.
        requests_.take(iq, from);
        return;
    }
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
    QueueSink sink(*this, &from, services_.queue_journal);
    services_.xmq->handle(stanza, from, sink);
}

void Router::queue_session_ended(const xmpp::Jid& full) {
    if (!services_.xmq) return;
    QueueSink sink(*this, nullptr, services_.queue_journal);
    services_.xmq->session_ended(full, sink);
}

void Router::queue_account_removed(const xmpp::Jid& bare) {
    if (!services_.xmq) return;
    QueueSink sink(*this, nullptr, services_.queue_journal);
    services_.xmq->account_removed(bare, sink);
}

std::size_t Router::sweep_queues() {
    if (!services_.xmq) return 0;
    QueueSink sink(*this, nullptr, services_.queue_journal);
    return services_.xmq->sweep(sink);
}

}  // namespace server
