#include "xmq/delivery_tracker.hpp"

namespace xmq {

void DeliveryTracker::add(KeptStanza kept, std::string consumer, TimePoint deadline) {
    std::string id = kept.id;
    deadlines_.emplace(deadline, id);
    by_consumer_[consumer].emplace(kept.seq, id);
    consumers_.add_in_flight(consumer, 1);
    ++per_topic_[kept.topic];
    by_id_.insert_or_assign(std::move(id), Unacked{std::move(kept), std::move(consumer), deadline});
}

const Unacked* DeliveryTracker::find(std::string_view id) const {
    auto it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : &it->second;
}

void DeliveryTracker::unlink(const Unacked& u) {
    deadlines_.erase({u.deadline, u.kept.id});
    auto cit = by_consumer_.find(u.consumer);
    cit->second.erase(u.kept.seq);
    if (cit->second.empty()) by_consumer_.erase(cit);
    consumers_.add_in_flight(u.consumer, -1);
    auto tit = per_topic_.find(u.kept.topic);
    if (--tit->second == 0) per_topic_.erase(tit);
}

std::optional<Unacked> DeliveryTracker::take(std::string_view id) {
    auto it = by_id_.find(id);
    if (it == by_id_.end()) return std::nullopt;
    unlink(it->second);
    Unacked u = std::move(it->second);
    by_id_.erase(it);
    return u;
}

std::vector<Unacked> DeliveryTracker::take_overdue(TimePoint now) {
    std::vector<std::string> ids;
    for (auto it = deadlines_.begin(); it != deadlines_.end() && it->first <= now; ++it) ids.push_back(it->second);
    std::vector<Unacked> out;
    out.reserve(ids.size());
    for (const std::string& id : ids) out.push_back(*take(id));
    return out;
}

std::vector<Unacked> DeliveryTracker::take_of(std::string_view consumer, const std::string* topic) {
    std::vector<Unacked> out;
    auto cit = by_consumer_.find(consumer);
    if (cit == by_consumer_.end()) return out;
    std::vector<std::string> ids;
    for (const auto& [seq, id] : cit->second)
        if (topic == nullptr || by_id_.find(id)->second.kept.topic == *topic) ids.push_back(id);
    out.reserve(ids.size());
    for (const std::string& id : ids) out.push_back(*take(id));
    return out;
}

void DeliveryTracker::for_each(const std::function<void(const Unacked&)>& visit) const {
    for (const auto& [id, unacked] : by_id_) visit(unacked);
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
