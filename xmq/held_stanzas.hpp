// HeldStanzas: the hold of one reliable queue (docs/xmq.md "Reliable
// queues"): stanzas waiting for a first or next delivery, FIFO per lane. On
// an ANY queue a lane is a topic; on an ALL queue it is one subscriber's full
// JID (its copies, in publish order). A redelivery goes to the front of its
// lane (it may overtake, as in RabbitMQ). Counts per lane and per topic are
// kept for limits and the disco stats form.
// Not thread-safe: owned by one Queue and touched only under its lock.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "xmq/kept_stanza.hpp"
#include "xmq/subscription_registry.hpp"

namespace xmq {

class HeldStanzas {
public:
    void push_back(std::string_view lane, KeptStanza kept);
    void push_front(std::string_view lane, KeptStanza kept);
    // The oldest stanza of a lane, nullptr when it holds none.
    const KeptStanza* front(std::string_view lane) const;
    KeptStanza* front(std::string_view lane);
    KeptStanza pop_front(std::string_view lane);

    std::size_t size(std::string_view lane) const;
    std::size_t size() const { return total_; }
    std::size_t topic_size(std::string_view topic) const;
    // Lanes holding at least one stanza.
    std::vector<std::string> lanes() const;
    // Every held stanza, lane by lane, front first.
    void for_each(const std::function<void(const KeptStanza&)>& visit) const;

    // Removes and returns the stanzas `pick` selects (of one lane, or of all).
    std::vector<KeptStanza> take_if(std::string_view lane, const std::function<bool(const KeptStanza&)>& pick);
    std::vector<KeptStanza> take_if(const std::function<bool(const KeptStanza&)>& pick);

private:
    void counted(const KeptStanza& kept, bool added);

    std::unordered_map<std::string, std::deque<KeptStanza>, StringHash, std::equal_to<>> lanes_;
    std::unordered_map<std::string, std::size_t, StringHash, std::equal_to<>> per_topic_;
    std::size_t total_ = 0;
};

}  // namespace xmq
