// KeptStanza: a published stanza a reliable queue keeps (docs/xmq.md
// "Reliable queues") while it waits in the hold or is out with a consumer
// unacknowledged. Plain data, owned by HeldStanzas or DeliveryTracker, moved
// between them under the queue's lock.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "xmpp/element.hpp"

namespace xmq {

using TimePoint = std::chrono::steady_clock::time_point;

struct KeptStanza {
    std::string id;         // delivery id, unique per route
    std::uint64_t seq = 0;  // publish order on the route: unacked copies return in it
    // As its publisher sent it: 'from' its full JID, 'to' the route, no
    // delivery tag. What is dead-lettered, and what error replies answer.
    xmpp::Element stanza;
    std::string topic;
    std::string owner;       // ALL: the subscriber this copy is for; ANY: empty
    unsigned attempts = 0;   // deliveries so far
    TimePoint held_since{};  // when it last began to wait in the hold
    // iq requests: every consumer that was sent it, the current one last
    // (only the current one's answer settles it).
    std::vector<std::string> consumers;

    bool is_request() const { return stanza.name() == "iq"; }
};

}  // namespace xmq
