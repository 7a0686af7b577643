// QueueStore: what durable XMQ queues keep (docs/xmq.md "Durable queues"),
// whatever the storage backend: per route, the stanzas a queue keeps — held,
// or out with a consumer unacknowledged, with their delivery attempts — and
// its durable subscriptions. It stores rows and knows no queue rule: the
// xmq::Engine makes the changes, server/core/queue_journal.hpp turns its
// Journal reports into QueueChange batches and the rows back into what
// Engine::restore() takes.
//
// Owned by the backend's Storage (storage.hpp). Calls are thread-safe and
// block on disk or network: run them on the storage executor or at startup
// before any worker runs, never on an I/O worker. apply() is one
// transaction: once it returns true, every change it was given is durable
// (or, inside a commit group, part of the group).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace server::store {

struct QueueStanzaRow {
    enum class State { held, delivering };

    std::string route;
    std::string id;         // the delivery id, unique per route
    std::uint64_t seq = 0;  // publish order on the route
    std::string topic;
    std::string owner;      // ALL: the subscriber full JID this copy is for; ANY: empty
    unsigned attempts = 0;  // deliveries so far
    State state = State::held;
    std::string consumer;         // delivering: the full JID it is out with
    std::int64_t held_at_ms = 0;  // held: when it began to wait, Unix milliseconds
    std::string xml;              // the stanza as its publisher sent it

    friend bool operator==(const QueueStanzaRow&, const QueueStanzaRow&) = default;
};

struct QueueSubscriptionRow {
    std::string route;
    std::string topic;
    std::string full;  // the subscriber's full JID

    friend bool operator==(const QueueSubscriptionRow&, const QueueSubscriptionRow&) = default;
};

// The last state of one row within a batch.
struct QueueChange {
    enum class Kind {
        keep,         // stanza: insert or replace the row of (route, id)
        forget,       // stanza.route, stanza.id: delete it (nothing when absent)
        subscribe,    // subscription: insert (nothing when present)
        unsubscribe,  // subscription: delete it
    };
    Kind kind = Kind::keep;
    QueueStanzaRow stanza;
    QueueSubscriptionRow subscription;
};

class QueueStore {
public:
    virtual ~QueueStore() = default;

    // Every change, in one transaction; false: none of them is stored.
    virtual bool apply(const std::vector<QueueChange>& changes) = 0;
    // A route's stanza rows, in publish order (seq).
    virtual std::vector<QueueStanzaRow> stanzas(const std::string& route) = 0;
    virtual std::vector<QueueSubscriptionRow> subscriptions(const std::string& route) = 0;
    // Routes with at least one row (stanza or subscription).
    virtual std::vector<std::string> routes() = 0;
    // Deletes every row of a route; false on a store error.
    virtual bool forget_route(const std::string& route) = 0;
};

}  // namespace server::store
