// SqliteQueueStore: QueueStore over the server's SQLite Database.
//
// Tables (module "xmq_queues"): xmq_stanzas(route, id, seq, topic, owner,
// attempts, state, consumer, held_at_ms, xml), keyed by (route, id); and
// xmq_subscriptions(route, topic, full), keyed by all three. apply() runs a
// batch in one transaction (inside a commit group: one savepoint of it). The
// store borrows the Database, which must outlive it. Calls are thread-safe
// (the Database serialises them) and block on disk.
#pragma once

#include <string>
#include <vector>

#include "server/store/queue_store.hpp"
#include "server/store/sqlite/database.hpp"

namespace server::store {

class SqliteQueueStore final : public QueueStore {
public:
    explicit SqliteQueueStore(Database& db) : db_(db) {}

    static MigrationSet schema();

    bool apply(const std::vector<QueueChange>& changes) override;
    std::vector<QueueStanzaRow> stanzas(const std::string& route) override;
    std::vector<QueueSubscriptionRow> subscriptions(const std::string& route) override;
    std::vector<std::string> routes() override;
    bool forget_route(const std::string& route) override;

private:
    Database& db_;
};

}  // namespace server::store
