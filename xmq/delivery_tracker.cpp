#include "xmq/delivery_tracker.hpp"

namespace xmq {

void DeliveryTracker::add(KeptStanza kept, std::string consumer, TimePoint deadline) {
    auto [it, inserted] = by_id_.try_emplace(kept.id);
    if (!inserted) {
        // A delivery id is tracked once: a second add of it replaces the first.
        take(it);
        it = by_id_.try_emplace(kept.id).first;
    }
    const std::uint64_t stamp = ++next_stamp_;
    IdRef id = &it->first;
    deadlines_.emplace(std::pair(deadline, stamp), id);
    by_consumer_[consumer].emplace(kept.seq, id);
    consumers_.add_in_flight(consumer, 1);
    ++per_topic_[kept.topic];
    it->second = Entry{Unacked{std::move(kept), std::move(consumer), deadline}, stamp};
}

const Unacked* DeliveryTracker::find(std::string_view id) const {
    auto it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : &it->second.unacked;
}

Unacked DeliveryTracker::take(ById::iterator it) {
    const Unacked& u = it->second.unacked;
    deadlines_.erase(std::pair(u.deadline, it->second.stamp));
    auto cit = by_consumer_.find(u.consumer);
    cit->second.erase(u.kept.seq);
    if (cit->second.empty()) by_consumer_.erase(cit);
    consumers_.add_in_flight(u.consumer, -1);
    auto tit = per_topic_.find(u.kept.topic);
    if (--tit->second == 0) per_topic_.erase(tit);
    Unacked out = std::move(it->second.unacked);
    by_id_.erase(it);
    return out;
}

std::optional<Unacked> DeliveryTracker::take(std::string_view id) {
    auto it = by_id_.find(id);
    if (it == by_id_.end()) return std::nullopt;
    return take(it);
}

std::vector<Unacked> DeliveryTracker::take_overdue(TimePoint now) {
    std::vector<Unacked> out;
    while (!deadlines_.empty() && deadlines_.begin()->first.first <= now)
        out.push_back(take(by_id_.find(*deadlines_.begin()->second)));
    return out;
}

std::vector<Unacked> DeliveryTracker::take_of(std::string_view consumer, const std::string* topic) {
    std::vector<Unacked> out;
    auto cit = by_consumer_.find(consumer);
    if (cit == by_consumer_.end()) return out;
    std::vector<ById::iterator> chosen;
    for (const auto& [seq, id] : cit->second) {
        auto it = by_id_.find(*id);
        if (topic == nullptr || it->second.unacked.kept.topic == *topic) chosen.push_back(it);
    }
    out.reserve(chosen.size());
    for (ById::iterator it : chosen) out.push_back(take(it));  // may erase *cit: not used after
    return out;
}

void DeliveryTracker::for_each(const std::function<void(const Unacked&)>& visit) const {
    for (const auto& [id, entry] : by_id_) visit(entry.unacked);
}

std::size_t DeliveryTracker::of_consumer(std::string_view consumer) const {
    auto it = by_consumer_.find(consumer);
    return it == by_consumer_.end() ? 0 : it->second.size();
}

std::size_t DeliveryTracker::topic_size(std::string_view topic) const {
    auto it = per_topic_.find(topic);
    return it == per_topic_.end() ? 0 : it->second;
}

}  // namespace xmq
