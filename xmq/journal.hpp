// Journal: where a reliable queue reports every change to what it keeps —
// held stanzas, unacknowledged deliveries with their attempt counts, durable
// subscriptions — so that a storage backend can write them down and rebuild
// them after a restart. The engine calls it under the queue's lock, in the
// order the changes happen; an implementation must not call back into the
// engine. Only queues configured `durable = true` get the server's storing
// journal (server/core/queue_journal.hpp); the others get no_journal(), which
// records nothing: their state lives in memory only.
#pragma once

#include <string_view>

#include "xmq/kept_stanza.hpp"

namespace xmq {

class Journal {
public:
    virtual ~Journal() = default;
    // A stanza entered the hold (first time, or back after a delivery ended).
    virtual void held(std::string_view route, const KeptStanza& kept) = 0;
    // A stanza left the hold other than into an acked delivery: delivered on
    // a once queue, expired, dropped, or its subscription ended.
    virtual void unheld(std::string_view route, std::string_view id) = 0;
    // A delivery is about to be sent; kept.attempts already counts it.
    virtual void delivering(std::string_view route, const KeptStanza& kept, std::string_view consumer) = 0;
    // An unacknowledged delivery ended: acked, answered, dead-lettered or dropped.
    virtual void settled(std::string_view route, std::string_view id) = 0;
    virtual void durable_subscribed(std::string_view route, std::string_view topic, std::string_view full) = 0;
    virtual void durable_ended(std::string_view route, std::string_view topic, std::string_view full) = 0;
};

// The journal that records nothing (state in memory only).
Journal& no_journal();

}  // namespace xmq
