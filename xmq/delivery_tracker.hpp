// DeliveryTracker: the unacknowledged deliveries of one acked queue (docs/
// xmq.md "Reliable queues"), by delivery id, with the indexes the queue needs:
// per consumer full JID (prefetch counts, redelivery when it leaves), per
// topic (disco stats form) and by ack deadline (redelivery after
// ack_timeout, found by the sweep in O(log n) per overdue delivery). Each
// change of a consumer's count goes to the SubscriptionRegistry too, where
// choosing a consumer under its prefetch reads it.
// Not thread-safe: owned by one Queue and touched only under its lock.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "xmq/kept_stanza.hpp"
#include "xmq/subscription_registry.hpp"

namespace xmq {

struct Unacked {
    KeptStanza kept;
    std::string consumer;  // full JID it was sent to
    TimePoint deadline;    // redelivered when still unacknowledged then
};

class DeliveryTracker {
public:
    explicit DeliveryTracker(SubscriptionRegistry& consumers) : consumers_(consumers) {}

    void add(KeptStanza kept, std::string consumer, TimePoint deadline);
    const Unacked* find(std::string_view id) const;
    std::optional<Unacked> take(std::string_view id);
    // Deliveries whose deadline is at or before `now`, oldest deadline first.
    std::vector<Unacked> take_overdue(TimePoint now);
    // A consumer's deliveries (of one topic when given), in publish order.
    std::vector<Unacked> take_of(std::string_view consumer, const std::string* topic = nullptr);

    // Every unacknowledged delivery, in no particular order.
    void for_each(const std::function<void(const Unacked&)>& visit) const;

    std::size_t of_consumer(std::string_view consumer) const;
    std::size_t topic_size(std::string_view topic) const;
    std::size_t size() const { return by_id_.size(); }

private:
    struct Entry {
        Unacked unacked;
        std::uint64_t stamp;  // unique: orders equal deadlines
    };
    using ById = std::unordered_map<std::string, Entry, StringHash, std::equal_to<>>;
    // The indexes point at by_id_'s keys (a node's key never moves): no id is
    // copied or compared as a string but in by_id_ itself.
    using IdRef = const std::string*;

    Unacked take(ById::iterator it);

    SubscriptionRegistry& consumers_;
    ById by_id_;
    std::map<std::pair<TimePoint, std::uint64_t>, IdRef> deadlines_;
    // consumer -> (seq -> id): publish order of its deliveries.
    std::unordered_map<std::string, std::map<std::uint64_t, IdRef>, StringHash, std::equal_to<>> by_consumer_;
    std::unordered_map<std::string, std::size_t, StringHash, std::equal_to<>> per_topic_;
    std::uint64_t next_stamp_ = 0;
};

}  // namespace xmq
