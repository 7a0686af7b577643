// The reliable part of a Queue (docs/xmq.md "Reliable queues"): the hold,
// acknowledged deliveries and their redelivery, prefetch, dead letters, iq
// requests settled by their answer and durable subscriptions. Everything
// here runs under the queue's lock (queue.hpp).
#include <algorithm>
#include <random>

#include "xmq/queue.hpp"
#include "xmq/replies.hpp"
#include "xmpp/errors.hpp"
#include "xmpp/namespaces.hpp"

namespace xmq {

namespace {

// Requester full JID + '\n' + iq id: how an answer finds its request.
std::string request_key(std::string_view requester, std::string_view iq_id) {
    std::string key;
    key.reserve(requester.size() + 1 + iq_id.size());
    key.append(requester).append(1, '\n').append(iq_id);
    return key;
}

std::string request_key(const KeptStanza& kept) {
    return request_key(kept.stanza.attr_or("from"), kept.stanza.attr_or("id"));
}

// A publisher may not choose delivery ids: its own tags are removed.
void strip_delivery_tags(xmpp::Element& stanza) {
    std::erase_if(stanza.children(), [](const xmpp::Element& child) {
        return !child.is_text() && child.xmlns() == xmpp::ns::xmq_delivery;
    });
}

std::string random_prefix() {
    std::random_device device;
    std::uniform_int_distribution<std::uint32_t> any;
    char text[9];
    static constexpr char kHex[] = "0123456789abcdef";
    std::uint32_t v = any(device);
    for (int i = 7; i >= 0; --i, v >>= 4) text[i] = kHex[v & 0xF];
    text[8] = '\0';
    return text;
}

}  // namespace

bool Queue::keeps_stanzas() const {
    return acked_ || hold_ > 0 || (type_ == conf::QueueType::all && registry_.has_durable());
}

bool Queue::settles_by_answer() const {
    std::lock_guard lock(mu_);
    return !requests_.empty();
}

std::string Queue::next_delivery_id() {
    if (id_prefix_.empty()) id_prefix_ = random_prefix();
    return id_prefix_ + '-' + std::to_string(++next_id_);
}

bool Queue::under_prefetch(std::size_t in_flight) const {
    return !acked_ || prefetch_ == 0 || in_flight < prefetch_;
}

bool Queue::under_prefetch(const std::string& full) const { return under_prefetch(registry_.in_flight(full)); }

std::vector<xmpp::Element> Queue::take_dead_letters() {
    if (!dead_letters_waiting_.load(std::memory_order_acquire)) return {};
    std::lock_guard lock(mu_);
    dead_letters_waiting_.store(false, std::memory_order_relaxed);
    return std::exchange(dead_letters_, {});
}

// ---- publishing --------------------------------------------------------

void Queue::publish_kept(const xmpp::Element& stanza, const xmpp::Jid& from, std::string_view topic, Sink& sink,
                         TimePoint now) {
    KeptStanza kept;
    kept.stanza = stanza;
    kept.stanza.set_attr("from", from.full());
    strip_delivery_tags(kept.stanza);
    kept.topic = std::string(topic);
    kept.seq = ++next_seq_;
    if (type_ == conf::QueueType::all)
        publish_kept_all(std::move(kept), sink, now);
    else
        publish_kept_any(std::move(kept), stanza, sink, now);
}

void Queue::publish_kept_any(KeptStanza kept, const xmpp::Element& stanza, Sink& sink, TimePoint now) {
    kept.id = next_delivery_id();
    if (held_.size(kept.topic) > 0) drain_topic(kept.topic, sink, now);
    const std::size_t waiting = held_.size(kept.topic);
    // FIFO per topic: nothing overtakes what already waits.
    if (waiting == 0 && try_send_any(kept, nullptr, sink, now)) {
        ++counters_.published;
        return;
    }
    if (hold_ == 0) {
        ++counters_.rejected_no_recipients;
        sink.reply(xmpp::make_error_reply(stanza, xmpp::StanzaError::not_acceptable, "No recipients found"));
        return;
    }
    if (waiting >= hold_) {
        ++counters_.rejected_hold_full;
        sink.reply(xmpp::make_error_reply(
            stanza, xmpp::StanzaError::resource_constraint,
            "Topic '" + kept.topic + "' already holds " + std::to_string(hold_) + " stanzas; try again later"));
        return;
    }
    ++counters_.published;
    // No drain after this: the drain above stopped because no consumer can take
    // the front of the topic now, and nothing since has changed that.
    std::string topic = kept.topic;
    hold(topic, std::move(kept), false, now);
}

void Queue::publish_kept_all(KeptStanza kept, Sink& sink, TimePoint now) {
    struct Target {
        xmpp::Jid jid;
        std::string full;
        bool away;
    };
    std::vector<Target> targets;
    registry_.for_each_subscriber(kept.topic, now, [&targets](const xmpp::Jid& jid, const std::string& full,
                                                              bool away) { targets.push_back({jid, full, away}); });
    ++counters_.published;
    if (targets.empty()) {
        ++counters_.dropped;  // as a pubsub item with no subscriber
        return;
    }
    std::vector<std::string> gone;
    for (Target& target : targets) {
        KeptStanza copy = kept;
        copy.id = next_delivery_id();  // each subscriber's copy has its own id
        copy.owner = target.full;
        if (!target.away && held_.size(target.full) == 0 && under_prefetch(target.full)) {
            if (send_copy(copy, target.jid, target.full, sink, now)) {
                sent(std::move(copy), target.full, now);
                continue;
            }
            ++counters_.consumers_gone;
            gone.push_back(target.full);
            if (!registry_.durable(target.full, copy.topic)) continue;  // its subscription ends with it
        }
        // Waits in the subscriber's own lane; beyond `hold` it is dropped
        // for that subscriber only: one slow subscriber never blocks publishers.
        if (held_.size(target.full) < hold_)
            hold(target.full, std::move(copy), false, now);
        else
            ++counters_.dropped;
    }
    for (const std::string& full : gone) client_gone(full, &sink, now);
}

// ---- deliveries --------------------------------------------------------

bool Queue::send_copy(KeptStanza& kept, const xmpp::Jid& to, const std::string& full, Sink& sink, TimePoint) {
    ++kept.attempts;
    if (acked_) journal_->delivering(route_, kept, full);
    // The kept stanza itself goes out, addressed (and tagged) only for the
    // call: the sink copies or serialises it before returning, and a copy of
    // the whole stanza per delivery was the acked path's largest cost after
    // the socket writes.
    xmpp::Element& out = kept.stanza;
    const std::string* addressed = out.attr("to");
    std::optional<std::string> route_to = addressed ? std::optional(*addressed) : std::nullopt;
    out.set_attr("to", full);
    if (acked_) {
        xmpp::Element& tag = out.add_child(xmpp::Element("xmq", std::string(xmpp::ns::xmq_delivery)));
        tag.reserve_attributes(2);
        tag.set_attr("id", kept.id);
        tag.set_attr("attempt", std::to_string(kept.attempts));
    }
    // A durable queue's copy waits for the commit of its attempt count, so
    // that after a crash its redelivery counts one more.
    const bool delivered =
        journal_ == &no_journal() ? sink.deliver(to, out) : sink.deliver_when_committed(to, out);
    if (acked_) out.children().pop_back();
    if (route_to)
        out.set_attr("to", std::move(*route_to));
    else
        out.remove_attr("to");
    if (!delivered) {
        --kept.attempts;
        return false;
    }
    ++counters_.delivered;
    if (kept.attempts > 1) ++counters_.redelivered;
    if (acked_ && kept.is_request()) {
        Request& request = requests_[request_key(kept)];
        request.delivery_id = kept.id;
        request.consumers.push_back(full);
        request.open = true;
        request.forget_at = TimePoint::max();
    }
    return true;
}

void Queue::sent(KeptStanza kept, const std::string& consumer, TimePoint now) {
    if (acked_)
        tracker_.add(std::move(kept), consumer, now + ack_timeout_);
    else if (kept.held_since != TimePoint{})
        journal_->unheld(route_, kept.id);  // delivered once from the hold: nothing left to keep
}

bool Queue::try_send_any(KeptStanza& kept, const std::string* avoid, Sink& sink, TimePoint now) {
    std::optional<std::string> chosen = send_any(kept, avoid, sink, now);
    if (!chosen) return false;
    sent(std::move(kept), *chosen, now);
    return true;
}

std::optional<std::string> Queue::send_any(KeptStanza& kept, const std::string* avoid, Sink& sink, TimePoint now) {
    std::string chosen;
    auto deliver = [&](const xmpp::Jid& jid, const std::string& full) {
        if (!send_copy(kept, jid, full, sink, now)) return false;
        chosen = full;
        return true;
    };
    auto accept_other = [&](const std::string& full, std::size_t in_flight) {
        return full != *avoid && under_prefetch(in_flight);
    };
    auto accept = [&](const std::string&, std::size_t in_flight) { return under_prefetch(in_flight); };
    SubscriptionRegistry::Dispatch result;
    if (avoid != nullptr) result = registry_.deliver_one_if(kept.topic, now, accept_other, deliver);
    if (result.delivered == 0) {
        counters_.consumers_gone += result.gone;
        result = registry_.deliver_one_if(kept.topic, now, accept, deliver);
    }
    counters_.consumers_gone += result.gone;
    if (result.delivered == 0) return std::nullopt;
    return chosen;
}

void Queue::hold(std::string_view lane, KeptStanza kept, bool front, TimePoint now) {
    kept.held_since = now;
    journal_->held(route_, kept);
    if (front)
        held_.push_front(lane, std::move(kept));
    else
        held_.push_back(lane, std::move(kept));
}

void Queue::redeliver(std::vector<Unacked> unsettled, Sink* sink, TimePoint now) {
    std::sort(unsettled.begin(), unsettled.end(),
              [](const Unacked& a, const Unacked& b) { return a.kept.seq < b.kept.seq; });
    // Sent in publish order; what nobody can take goes to the front of its lane
    // last first, so that each lane keeps publish order.
    std::vector<std::pair<std::string, KeptStanza>> to_front;
    for (Unacked& unacked : unsettled) {
        KeptStanza kept = std::move(unacked.kept);
        if (kept.is_request()) {
            // The consumer that had it no longer settles it.
            auto it = requests_.find(request_key(kept));
            if (it != requests_.end()) it->second.open = false;
        }
        if (kept.attempts >= max_attempts_) {
            end_of_life(std::move(kept), sink, now);
            continue;
        }
        journal_->settled(route_, kept.id);
        if (type_ == conf::QueueType::all) {
            // Only to its own subscriber, and only while that subscription lasts.
            if (!registry_.subscribed(kept.owner, kept.topic)) {
                ++counters_.dropped;
                continue;
            }
            std::string owner = kept.owner;
            to_front.emplace_back(std::move(owner), std::move(kept));
            continue;
        }
        if (sink != nullptr && try_send_any(kept, &unacked.consumer, *sink, now)) continue;
        std::string topic = kept.topic;
        to_front.emplace_back(std::move(topic), std::move(kept));
    }
    for (auto it = to_front.rbegin(); it != to_front.rend(); ++it) hold(it->first, std::move(it->second), true, now);
}

void Queue::end_of_life(KeptStanza kept, Sink* sink, TimePoint now) {
    journal_->settled(route_, kept.id);
    if (kept.is_request()) {
        // Never dead-lettered: the requester is told no consumer answered.
        close_request(kept, now);
        ++counters_.dropped;
        if (sink != nullptr)
            sink->reply(xmpp::make_error_reply(kept.stanza, xmpp::StanzaError::recipient_unavailable,
                                               "No consumer answered after " + std::to_string(kept.attempts) +
                                                   " attempts",
                                               xmpp::ErrorType::wait));
        return;
    }
    if (dead_letter_.empty()) {
        ++counters_.dropped;
        return;
    }
    ++counters_.dead_lettered;
    kept.stanza.set_attr("to", dead_letter_);
    dead_letters_.push_back(std::move(kept.stanza));
    dead_letters_waiting_.store(true, std::memory_order_release);
}

void Queue::close_request(const KeptStanza& kept, TimePoint now) {
    auto it = requests_.find(request_key(kept));
    if (it == requests_.end()) return;
    if (it->second.consumers.size() <= 1) {
        requests_.erase(it);  // no earlier consumer whose late answer must be stopped
        return;
    }
    it->second.open = false;
    // Long enough for any consumer that had it to have given up.
    it->second.forget_at = now + ack_timeout_ * static_cast<int>(max_attempts_);
}

void Queue::forget_requests(TimePoint now) {
    std::erase_if(requests_, [now](const auto& entry) { return entry.second.forget_at <= now; });
}

// ---- ack, nack, answers -------------------------------------------------

void Queue::on_settle(const xmpp::Element& stanza, const Command& cmd, const std::string& full, Sink& sink,
                      TimePoint now) {
    // All or nothing: every id must be an unsettled delivery of this consumer.
    for (const std::string& id : cmd.ids) {
        const Unacked* unacked = tracker_.find(id);
        const char* why = nullptr;
        if (unacked == nullptr || unacked->consumer != full)
            why = "' is not an unacknowledged delivery of yours on this queue";
        else if (unacked->kept.is_request())
            why = "' is an iq request: its response settles it";
        if (why != nullptr) {
            ++counters_.rejected_bad_request;
            sink.reply(xmpp::make_error_reply(stanza, xmpp::StanzaError::item_not_found,
                                              "Delivery '" + id + why));
            return;
        }
    }
    std::vector<Unacked> taken;
    taken.reserve(cmd.ids.size());
    for (const std::string& id : cmd.ids) taken.push_back(*tracker_.take(id));
    if (cmd.kind == CommandKind::ack) {
        for (const Unacked& unacked : taken) journal_->settled(route_, unacked.kept.id);
        counters_.acked += taken.size();
    } else if (cmd.requeue) {
        redeliver(std::move(taken), &sink, now);
    } else {
        std::sort(taken.begin(), taken.end(),
                  [](const Unacked& a, const Unacked& b) { return a.kept.seq < b.kept.seq; });
        for (Unacked& unacked : taken) end_of_life(std::move(unacked.kept), &sink, now);
    }
    sink.reply(iq_result(stanza, full, route_));
    drain(sink, now);  // a freed prefetch slot takes what waits
}

Queue::Answer Queue::consumer_answer(const xmpp::Element& iq, const std::string& from, const std::string& to,
                                     Sink& sink, TimePoint now) {
    std::lock_guard lock(mu_);
    auto it = requests_.find(request_key(to, iq.attr_or("id")));
    if (it == requests_.end()) return Answer::not_ours;
    Request& request = it->second;
    if (request.open && request.consumers.back() == from) {
        if (auto unacked = tracker_.take(request.delivery_id)) {
            journal_->settled(route_, unacked->kept.id);
            ++counters_.acked;
            close_request(unacked->kept, now);
            drain(sink, now);
            settle_ended(&sink, now);
            return Answer::settles;
        }
    }
    if (std::find(request.consumers.begin(), request.consumers.end(), from) == request.consumers.end())
        return Answer::not_ours;
    ++counters_.late_answers;  // the requester gets one answer only
    return Answer::late;
}

// ---- consumers leaving, subscriptions ending ----------------------------

void Queue::client_gone(const std::string& full, Sink* sink, TimePoint now) {
    registry_.client_left(full);
    settle_ended(sink, now);
    // What is left unacknowledged belongs to durable subscriptions now away:
    // back to the front of its lane, in publish order, redelivered first when
    // the subscriber returns.
    redeliver(tracker_.take_of(full), sink, now);
}

void Queue::settle_ended(Sink* sink, TimePoint now) {
    // Settling frees prefetch slots of consumers still here (subscribed to
    // other topics): what is held may go to them now.
    bool freed = false;
    for (;;) {
        std::vector<EndedSubscription> ended = registry_.take_ended();
        if (ended.empty()) {
            if (!freed || sink == nullptr) return;
            freed = false;
            drain(*sink, now);  // may end more subscriptions (consumers found gone)
            continue;
        }
        for (const EndedSubscription& e : ended) {
            if (e.durable) journal_->durable_ended(route_, e.topic, e.full);
            if (type_ == conf::QueueType::all) {
                // A copy lives only as long as its subscription.
                for (const Unacked& unacked : tracker_.take_of(e.full, &e.topic)) {
                    journal_->settled(route_, unacked.kept.id);
                    ++counters_.dropped;
                    freed = true;
                }
                for (const KeptStanza& kept :
                     held_.take_if(e.full, [&e](const KeptStanza& k) { return k.topic == e.topic; })) {
                    journal_->unheld(route_, kept.id);
                    ++counters_.dropped;
                }
                continue;
            }
            std::vector<Unacked> unsettled = tracker_.take_of(e.full, &e.topic);
            freed = freed || !unsettled.empty();
            redeliver(std::move(unsettled), sink, now);
        }
    }
}

// ---- the hold ------------------------------------------------------------

void Queue::drain(Sink& sink, TimePoint now) {
    if (held_.size() == 0) return;
    for (const std::string& lane : held_.lanes()) {
        if (type_ == conf::QueueType::all)
            drain_subscriber(lane, sink, now);
        else
            drain_topic(lane, sink, now);
    }
}

void Queue::drain_topic(const std::string& topic, Sink& sink, TimePoint now) {
    // Sent from where it waits: when nobody can take the front (the common case
    // while consumers are at their prefetch), it is not popped and pushed back.
    while (KeptStanza* front = held_.front(topic)) {
        std::optional<std::string> chosen = send_any(*front, nullptr, sink, now);
        if (!chosen) return;
        sent(held_.pop_front(topic), *chosen, now);
    }
}

void Queue::drain_subscriber(const std::string& full, Sink& sink, TimePoint now) {
    auto jid = xmpp::Jid::parse(full);
    if (!jid) return;
    while (const KeptStanza* front = held_.front(full)) {
        if (!registry_.present(full, front->topic) || !under_prefetch(full)) return;
        KeptStanza kept = held_.pop_front(full);
        if (!send_copy(kept, *jid, full, sink, now)) {
            held_.push_front(full, std::move(kept));
            ++counters_.consumers_gone;
            client_gone(full, &sink, now);
            return;
        }
        sent(std::move(kept), full, now);
    }
}

std::size_t Queue::sweep(TimePoint now, Sink& sink) {
    std::lock_guard lock(mu_);
    std::size_t removed = registry_.remove_expired(now);
    settle_ended(&sink, now);
    redeliver(tracker_.take_overdue(now), &sink, now);
    if (held_.size() > 0) {
        auto expired = held_.take_if([&](const KeptStanza& k) { return k.held_since + hold_ttl_ <= now; });
        for (KeptStanza& kept : expired) {
            journal_->unheld(route_, kept.id);
            ++counters_.held_expired;
            if (kept.is_request()) {
                close_request(kept, now);
                sink.reply(xmpp::make_error_reply(kept.stanza, xmpp::StanzaError::remote_server_timeout,
                                                  "No consumer took the request in time", xmpp::ErrorType::wait));
            }
        }
    }
    forget_requests(now);
    drain(sink, now);
    settle_ended(&sink, now);
    return removed;
}

}  // namespace xmq
