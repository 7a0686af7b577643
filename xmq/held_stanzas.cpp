#include "xmq/held_stanzas.hpp"

namespace xmq {

void HeldStanzas::counted(const KeptStanza& kept, bool added) {
    if (added) {
        ++total_;
        ++per_topic_[kept.topic];
        return;
    }
    --total_;
    auto it = per_topic_.find(kept.topic);
    if (--it->second == 0) per_topic_.erase(it);
}

void HeldStanzas::push_back(std::string_view lane, KeptStanza kept) {
    counted(kept, true);
    auto it = lanes_.find(lane);
    if (it == lanes_.end()) it = lanes_.emplace(std::string(lane), std::deque<KeptStanza>{}).first;
    it->second.push_back(std::move(kept));
}

void HeldStanzas::push_front(std::string_view lane, KeptStanza kept) {
    counted(kept, true);
    auto it = lanes_.find(lane);
    if (it == lanes_.end()) it = lanes_.emplace(std::string(lane), std::deque<KeptStanza>{}).first;
    it->second.push_front(std::move(kept));
}

void HeldStanzas::for_each(const std::function<void(const KeptStanza&)>& visit) const {
    for (const auto& [lane, stanzas] : lanes_)
        for (const KeptStanza& kept : stanzas) visit(kept);
}

const KeptStanza* HeldStanzas::front(std::string_view lane) const {
    auto it = lanes_.find(lane);
    return it == lanes_.end() ? nullptr : &it->second.front();
}

KeptStanza* HeldStanzas::front(std::string_view lane) {
    auto it = lanes_.find(lane);
    return it == lanes_.end() ? nullptr : &it->second.front();
}

KeptStanza HeldStanzas::pop_front(std::string_view lane) {
    auto it = lanes_.find(lane);
    KeptStanza kept = std::move(it->second.front());
    it->second.pop_front();
    if (it->second.empty()) lanes_.erase(it);
    counted(kept, false);
    return kept;
}

std::size_t HeldStanzas::size(std::string_view lane) const {
    auto it = lanes_.find(lane);
    return it == lanes_.end() ? 0 : it->second.size();
}

std::size_t HeldStanzas::topic_size(std::string_view topic) const {
    auto it = per_topic_.find(topic);
    return it == per_topic_.end() ? 0 : it->second;
}

std::vector<std::string> HeldStanzas::lanes() const {
    std::vector<std::string> out;
    out.reserve(lanes_.size());
    for (const auto& [lane, stanzas] : lanes_) out.push_back(lane);
    return out;
}

std::vector<KeptStanza> HeldStanzas::take_if(std::string_view lane,
                                             const std::function<bool(const KeptStanza&)>& pick) {
    std::vector<KeptStanza> out;
    auto it = lanes_.find(lane);
    if (it == lanes_.end()) return out;
    std::deque<KeptStanza> rest;
    for (KeptStanza& kept : it->second) {
        if (pick(kept)) {
            counted(kept, false);
            out.push_back(std::move(kept));
        } else {
            rest.push_back(std::move(kept));
        }
    }
    if (rest.empty())
        lanes_.erase(it);
    else
        it->second = std::move(rest);
    return out;
}

std::vector<KeptStanza> HeldStanzas::take_if(const std::function<bool(const KeptStanza&)>& pick) {
    std::vector<KeptStanza> out;
    for (const std::string& lane : lanes()) {
        auto taken = take_if(lane, pick);
        for (KeptStanza& kept : taken) out.push_back(std::move(kept));
    }
    return out;
}

}  // namespace xmq
