#include "server/store/sqlite/sqlite_queue_store.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string_view>

namespace server::store {

MigrationSet SqliteQueueStore::schema() {
    return {"xmq_queues",
            {
                {1,
                 "CREATE TABLE xmq_stanzas ("
                 " route TEXT NOT NULL,"
                 " id TEXT NOT NULL,"
                 " seq INTEGER NOT NULL,"
                 " topic TEXT NOT NULL,"
                 " owner TEXT NOT NULL,"  // ALL: the subscriber's full JID; ANY: ''
                 " attempts INTEGER NOT NULL,"
                 " state TEXT NOT NULL,"     // 'held' | 'delivering'
                 " consumer TEXT NOT NULL,"  // delivering: to whom
                 " held_at_ms INTEGER NOT NULL,"
                 " xml TEXT NOT NULL,"
                 " PRIMARY KEY (route, id)"
                 ") WITHOUT ROWID;"
                 "CREATE TABLE xmq_subscriptions ("
                 " route TEXT NOT NULL,"
                 " topic TEXT NOT NULL,"
                 " full_jid TEXT NOT NULL,"
                 " PRIMARY KEY (route, topic, full_jid)"
                 ") WITHOUT ROWID;"},
            }};
}

namespace {

std::string_view state_name(QueueStanzaRow::State state) {
    return state == QueueStanzaRow::State::held ? "held" : "delivering";
}

bool apply_one(Database::Lock& l, const QueueChange& c) {
    switch (c.kind) {
    case QueueChange::Kind::keep: {
        const QueueStanzaRow& r = c.stanza;
        Statement s = l.prepare(
            "INSERT OR REPLACE INTO xmq_stanzas (route, id, seq, topic, "
            "owner, attempts, state, consumer, held_at_ms,"
            " xml) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
        if (!s.valid()) return false;
        s.bind(1, r.route).bind(2, r.id).bind(3, static_cast<std::int64_t>(r.seq)).bind(4, r.topic).bind(5, r.owner);
        s.bind(6, static_cast<std::int64_t>(r.attempts)).bind(7, state_name(r.state)).bind(8, r.consumer);
        s.bind(9, r.held_at_ms).bind(10, r.xml);
        return s.run();
    }
    case QueueChange::Kind::forget: {
        Statement s = l.prepare("DELETE FROM xmq_stanzas WHERE route = ?1 AND id = ?2");
        return s.valid() && s.bind(1, c.stanza.route).bind(2, c.stanza.id).run();
    }
    case QueueChange::Kind::subscribe: {
        Statement s = l.prepare(
            "INSERT OR IGNORE INTO xmq_subscriptions (route, "
            "topic, full_jid) VALUES (?1, ?2, ?3)");
        const QueueSubscriptionRow& r = c.subscription;
        return s.valid() && s.bind(1, r.route).bind(2, r.topic).bind(3, r.full).run();
    }
    case QueueChange::Kind::unsubscribe: {
        Statement s = l.prepare(
            "DELETE FROM xmq_subscriptions WHERE route = ?1 "
            "AND topic = ?2 AND full_jid = ?3");
        const QueueSubscriptionRow& r = c.subscription;
        return s.valid() && s.bind(1, r.route).bind(2, r.topic).bind(3, r.full).run();
    }
    }
    return false;
}

}  // namespace

bool SqliteQueueStore::apply(const std::vector<QueueChange>& changes) {
    if (changes.empty()) return true;
    auto l = db_.lock();
    Database::Transaction tx(l);
    if (!tx.begun()) return false;
    for (const QueueChange& change : changes)
        if (!apply_one(l, change)) return false;
    return tx.commit();
}

std::vector<QueueStanzaRow> SqliteQueueStore::stanzas(const std::string& route) {
    std::vector<QueueStanzaRow> out;
    auto l = db_.lock();
    Statement s = l.prepare(
        "SELECT id, seq, topic, owner, attempts, state, "
        "consumer, held_at_ms, xml FROM xmq_stanzas"
        " WHERE route = ?1 ORDER BY seq");
    if (!s.valid()) return out;
    s.bind(1, route);
    while (s.step() == Statement::Step::row) {
        QueueStanzaRow r;
        r.route = route;
        r.id = s.text(0);
        r.seq = static_cast<std::uint64_t>(std::max<std::int64_t>(0, s.integer(1)));
        r.topic = s.text(2);
        r.owner = s.text(3);
        // A count beyond any max_attempts, if the row says something absurd.
        r.attempts =
            static_cast<unsigned>(std::clamp<std::int64_t>(s.integer(4), 0, std::numeric_limits<unsigned>::max() / 2));
        r.state = s.text(5) == "delivering" ? QueueStanzaRow::State::delivering : QueueStanzaRow::State::held;
        r.consumer = s.text(6);
        r.held_at_ms = s.integer(7);
        r.xml = s.text(8);
        out.push_back(std::move(r));
    }
    return out;
}

std::vector<QueueSubscriptionRow> SqliteQueueStore::subscriptions(const std::string& route) {
    std::vector<QueueSubscriptionRow> out;
    auto l = db_.lock();
    Statement s = l.prepare(
        "SELECT topic, full_jid FROM xmq_subscriptions WHERE "
        "route = ?1 ORDER BY topic, full_jid");
    if (!s.valid()) return out;
    s.bind(1, route);
    while (s.step() == Statement::Step::row) out.push_back({route, s.text(0), s.text(1)});
    return out;
}

std::vector<std::string> SqliteQueueStore::routes() {
    std::vector<std::string> out;
    auto l = db_.lock();
    Statement s = l.prepare(
        "SELECT route FROM xmq_stanzas UNION SELECT route "
        "FROM xmq_subscriptions ORDER BY route");
    if (!s.valid()) return out;
    while (s.step() == Statement::Step::row) out.push_back(s.text(0));
    return out;
}

bool SqliteQueueStore::forget_route(const std::string& route) {
    auto l = db_.lock();
    Database::Transaction tx(l);
    if (!tx.begun()) return false;
    for (std::string_view table : {"xmq_stanzas", "xmq_subscriptions"}) {
        Statement s = l.prepare("DELETE FROM " + std::string(table) + " WHERE route = ?1");
        if (!s.valid() || !s.bind(1, route).run()) return false;
    }
    return tx.commit();
}

}  // namespace server::store
