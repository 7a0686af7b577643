#include "xmq/queue.hpp"

#include "xmq/commands.hpp"
#include "xmq/replies.hpp"
#include "xmpp/errors.hpp"
#include "xmpp/namespaces.hpp"

namespace xmq {

namespace {

constexpr std::string_view kNoTopic = "XMQ topic not found";
constexpr std::string_view kNoRecipients = "No recipients found";

// The topic of a published stanza: the xmq:topic element may stand anywhere
// among the children. Empty when absent or without a topic.
std::string_view topic_of(const xmpp::Element& stanza) {
    const xmpp::Element* element = stanza.child_ns(xmpp::ns::xmq_topic);
    return element == nullptr ? std::string_view{} : element->attr_or("topic");
}

}  // namespace

Queue::Queue(const conf::QueueConfig& config, std::string parent_host, unsigned max_load, Journal& journal)
    : route_(config.route), registry_(config.balance, max_load), journal_(&journal) {
    apply(config, std::move(parent_host), max_load);
}

void Queue::apply(const conf::QueueConfig& config, std::string parent_host, unsigned max_load) {
    type_ = config.type;
    publish_ = AllowList(config.publish, parent_host);
    subscribe_ = AllowList(config.subscribe, std::move(parent_host));
    registry_.set_policy(config.balance, max_load);
    counters_.route = route_;
    counters_.type = type_;
    counters_.durable = config.durable;
    // What is held or in flight stays through a reload; the new values
    // apply to what comes next (a lowered hold refuses new stanzas only).
    acked_ = config.delivery == conf::DeliveryMode::acked;
    ack_timeout_ = std::chrono::seconds(config.ack_timeout);
    max_attempts_ = config.max_attempts;
    prefetch_ = config.prefetch;
    hold_ = config.hold;
    hold_ttl_ = std::chrono::seconds(config.hold_ttl);
    dead_letter_ = config.dead_letter;
}

void Queue::configure(const conf::QueueConfig& config, std::string parent_host, unsigned max_load, TimePoint now,
                      Journal& journal) {
    std::lock_guard lock(mu_);
    apply(config, std::move(parent_host), max_load);
    use_journal(journal);
    registry_.remove_clients_if([this](const xmpp::Jid& jid) { return !subscribe_.allows(jid); });
    settle_ended(nullptr, now);  // no sink here: ANY redeliveries wait in the hold
}

void Queue::handle(const xmpp::Element& stanza, const xmpp::Jid& from, Sink& sink, TimePoint now,
                   std::size_t per_client_limit) {
    std::lock_guard lock(mu_);
    dispatch(stanza, from, sink, now, per_client_limit);
    settle_ended(&sink, now);  // subscriptions that ended meanwhile (expiry, gone consumers)
}

void Queue::dispatch(const xmpp::Element& stanza, const xmpp::Jid& from, Sink& sink, TimePoint now,
                     std::size_t per_client_limit) {
    const std::string& kind = stanza.name();
    std::string_view type = stanza.attr_or("type");
    if (kind == "presence") {
        on_presence(stanza, from, sink, now);
    } else if (kind == "message") {
        if (type == "error") {
            ++counters_.dropped;  // never answered: no error loops
            return;
        }
        publish(stanza, from, sink, now);
    } else if (kind == "iq" && (type == "get" || type == "set")) {
        on_iq_request(stanza, from, sink, now, per_client_limit);
    } else {
        ++counters_.dropped;  // iq result/error (or no valid type): dropped, never answered
    }
}

void Queue::on_presence(const xmpp::Element& stanza, const xmpp::Jid& from, Sink& sink, TimePoint now) {
    std::string_view type = stanza.attr_or("type");
    if (type.empty()) {
        std::optional<unsigned> load;
        if (const xmpp::Element* x = stanza.child_ns(xmpp::ns::xmq_load)) load = parse_load(x->attr_or("load"));
        if (registry_.renew(from.full(), now, load) > 0) drain(sink, now);  // renewed or lighter: may take held ones
    } else if (type == "unavailable") {
        client_gone(from.full(), &sink, now);
    } else if (type == "error") {
        ++counters_.dropped;
    }
    // subscribe/probe/... mean nothing to a queue: ignored, as presence is never answered with an error here.
}

void Queue::on_iq_request(const xmpp::Element& stanza, const xmpp::Jid& from, Sink& sink, TimePoint now,
                          std::size_t per_client_limit) {
    if (const xmpp::Element* command = stanza.child_ns(xmpp::ns::xmq_command)) {
        on_command(stanza, *command, from, sink, now, per_client_limit);
        return;
    }
    // A topic wins over disco: a disco query may itself travel through a queue.
    if (!topic_of(stanza).empty()) {
        publish(stanza, from, sink, now);
        return;
    }
    if (stanza.attr_or("type") == "get") {
        if (const xmpp::Element* q = stanza.child("query", xmpp::ns::disco_info)) {
            disco_info(stanza, *q, from, sink, now);
            return;
        }
        if (const xmpp::Element* q = stanza.child("query", xmpp::ns::disco_items)) {
            disco_items(stanza, *q, from, sink, now);
            return;
        }
    }
    publish(stanza, from, sink, now);  // answers forbidden or "XMQ topic not found"
}

void Queue::on_command(const xmpp::Element& stanza, const xmpp::Element& command, const xmpp::Jid& from,
                       Sink& sink, TimePoint now, std::size_t per_client_limit) {
    if (!subscribe_.allows(from)) {
        ++counters_.rejected_forbidden;
        sink.reply(xmpp::make_error_reply(stanza, xmpp::StanzaError::forbidden, "Not allowed to subscribe here"));
        return;
    }
    auto parsed = parse_command(command);
    if (!parsed) {
        ++counters_.rejected_bad_request;
        sink.reply(xmpp::make_error_reply(stanza, xmpp::StanzaError::bad_request, parsed.error()));
        return;
    }
    const Command& cmd = parsed.value();
    std::string full = from.full();
    if (cmd.kind == CommandKind::ack || cmd.kind == CommandKind::nack) {
        on_settle(stanza, cmd, full, sink, now);
        return;
    }
    if (cmd.kind == CommandKind::sub) {
        if (cmd.durable && type_ != conf::QueueType::all) {
            ++counters_.rejected_bad_request;
            sink.reply(xmpp::make_error_reply(stanza, xmpp::StanzaError::bad_request,
                                              "durable='true' is only for ALL queues"));
            return;
        }
        const bool was_durable = registry_.durable(full, *cmd.topic);
        auto outcome =
            registry_.subscribe(from, *cmd.topic, cmd.ttl, cmd.load, now, per_client_limit, cmd.durable);
        if (outcome == SubscriptionRegistry::Outcome::limit_reached) {
            ++counters_.rejected_limit;
            sink.reply(xmpp::make_error_reply(
                stanza, xmpp::StanzaError::resource_constraint,
                "Too many subscriptions on this queue: at most " + std::to_string(per_client_limit) + " per client"));
            return;
        }
        registry_.set_in_flight(full, tracker_.of_consumer(full));
        if (cmd.durable)
            journal_->durable_subscribed(route_, *cmd.topic, full);
        else if (was_durable)  // renewed without durable='true': not durable now
            journal_->durable_ended(route_, *cmd.topic, full);
        sink.reply(iq_result(stanza, full, route_));
        drain(sink, now);  // a new or returning consumer takes what is held for it
        return;
    }
    if (cmd.topic) {
        registry_.unsubscribe(full, *cmd.topic, now);  // a durable one's end is journaled by settle_ended()
    } else {
        registry_.unsubscribe_all(full);
    }
    sink.reply(iq_result(stanza, full, route_));
}

void Queue::publish(const xmpp::Element& stanza, const xmpp::Jid& from, Sink& sink, TimePoint now) {
    if (!publish_.allows(from)) {
        ++counters_.rejected_forbidden;
        sink.reply(xmpp::make_error_reply(stanza, xmpp::StanzaError::forbidden, "Not allowed to publish here"));
        return;
    }
    std::string_view topic = topic_of(stanza);
    if (topic.empty()) {
        ++counters_.rejected_no_topic;
        sink.reply(xmpp::make_error_reply(stanza, xmpp::StanzaError::not_acceptable, kNoTopic));
        return;
    }
    if (type_ == conf::QueueType::all && stanza.name() == "iq") {
        // One answer per consumer would break RFC 6120 §8.2.3.
        ++counters_.rejected_unsupported;
        sink.reply(xmpp::make_error_reply(stanza, xmpp::StanzaError::feature_not_implemented,
                                          "An iq request cannot go to an ALL queue"));
        return;
    }
    if (keeps_stanzas()) {
        publish_kept(stanza, from, topic, sink, now);
        return;
    }
    ++counters_.published;

    // One copy for every consumer: only 'to' changes between deliveries.
    xmpp::Element copy = stanza;
    copy.set_attr("from", from.full());
    auto deliver = [&copy, &sink](const xmpp::Jid& jid, const std::string& full) {
        copy.set_attr("to", full);
        return sink.deliver(jid, copy);
    };
    if (type_ == conf::QueueType::all) {
        auto result = registry_.deliver_all(topic, now, deliver);
        counters_.delivered += result.delivered;
        counters_.consumers_gone += result.gone;
        if (result.delivered == 0) ++counters_.dropped;  // as a pubsub item with no subscriber
        return;
    }
    auto result = registry_.deliver_one(topic, now, deliver);
    counters_.delivered += result.delivered;
    counters_.consumers_gone += result.gone;
    if (result.delivered == 0) {
        ++counters_.rejected_no_recipients;
        sink.reply(xmpp::make_error_reply(stanza, xmpp::StanzaError::not_acceptable, kNoRecipients));
    }
}

void Queue::disco_info(const xmpp::Element& stanza, const xmpp::Element& query, const xmpp::Jid& from,
                       Sink& sink, TimePoint now) {
    const std::string* node = query.attr("node");
    if (node != nullptr && !registry_.has_topic(*node, now) && held_.topic_size(*node) == 0 &&
        tracker_.topic_size(*node) == 0) {
        sink.reply(xmpp::make_error_reply(stanza, xmpp::StanzaError::item_not_found));
        return;
    }
    xmpp::Element reply = iq_result(stanza, from.full(), route_);
    xmpp::Element& info = reply.add_child(disco_info_query(type_, node));
    if (node != nullptr)
        info.add_child(topic_stats_form(
            TopicStats{registry_.eligible(*node, now), held_.topic_size(*node), tracker_.topic_size(*node)}));
    sink.reply(reply);
}

void Queue::disco_items(const xmpp::Element& stanza, const xmpp::Element& query, const xmpp::Jid& from,
                        Sink& sink, TimePoint now) {
    if (!subscribe_.allows(from)) {
        ++counters_.rejected_forbidden;
        sink.reply(xmpp::make_error_reply(stanza, xmpp::StanzaError::forbidden, "Not allowed to subscribe here"));
        return;
    }
    const std::string* node = query.attr("node");
    std::vector<TopicInfo> topics;
    if (node != nullptr) {
        // A topic has no items below it.
        if (!registry_.has_topic(*node, now)) {
            sink.reply(xmpp::make_error_reply(stanza, xmpp::StanzaError::item_not_found));
            return;
        }
    } else {
        topics = registry_.topics(now, kMaxDiscoItems);
        if (keeps_stanzas() || held_.size() > 0 || tracker_.size() > 0)
            for (TopicInfo& topic : topics)
                topic.kept = TopicInfo::Kept{held_.topic_size(topic.name), tracker_.topic_size(topic.name)};
    }
    xmpp::Element reply = iq_result(stanza, from.full(), route_);
    reply.add_child(disco_items_query(route_, topics, node));
    sink.reply(reply);
}

void Queue::session_ended(std::string_view full, Sink& sink, TimePoint now) {
    std::lock_guard lock(mu_);
    client_gone(std::string(full), &sink, now);
    settle_ended(&sink, now);
}

void Queue::account_removed(const xmpp::Jid& bare, Sink& sink, TimePoint now) {
    std::lock_guard lock(mu_);
    std::vector<std::string> resources;
    registry_.remove_clients_if([&bare, &resources](const xmpp::Jid& jid) {
        if (jid.bare() != bare) return false;
        resources.push_back(jid.full());
        return true;
    });
    for (const std::string& full : resources) client_gone(full, &sink, now);
    settle_ended(&sink, now);
}

QueueStats Queue::stats(TimePoint now) const {
    std::lock_guard lock(mu_);
    QueueStats s = counters_;
    s.consumers = registry_.live(now);
    s.topics = registry_.topic_count();
    s.expired = registry_.expired_total();
    s.held = held_.size();
    s.unacked = tracker_.size();
    return s;
}

std::size_t Queue::eligible(std::string_view topic, TimePoint now) {
    std::lock_guard lock(mu_);
    return registry_.eligible(topic, now);
}

}  // namespace xmq
