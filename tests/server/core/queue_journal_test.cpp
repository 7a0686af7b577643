// QueueJournal and the conversions beside it: changes made while a batch
// waits join it (one job, one commit for many publishes; the thread is
// marked so its session fences); the last change of a row wins within a
// batch; what waits for the commit runs after it; rows read back as the
// KeptStanza they were; a corrupt stored stanza is skipped and deleted at
// startup; and restore_durable_queues() gives a durable route its rows, loads
// and deletes those of a route no longer durable, and keeps those of a route
// no longer configured.
#include "server/core/queue_journal.hpp"

#include <doctest/doctest.h>

#include <future>

#include "server/core/storage_executor.hpp"
#include "server/store/sqlite/sqlite_storage.hpp"
#include "tests/temp_dir.hpp"

namespace queue_journal_test {

using server::store::QueueStanzaRow;

xmq::KeptStanza kept(std::string id, std::uint64_t seq, unsigned attempts = 0) {
    xmq::KeptStanza k;
    k.id = std::move(id);
    k.seq = seq;
    k.topic = "t";
    k.attempts = attempts;
    k.stanza = xmpp::Element("message", "jabber:client");
    k.stanza.set_attr("from", "p@localhost/p");
    k.stanza.set_attr("to", "jobs.localhost");
    xmpp::Element body("body", "jabber:client");
    body.add_text("job " + k.id);
    k.stanza.add_child(std::move(body));
    return k;
}

conf::QueueConfig durable_any(std::string route, bool durable = true) {
    conf::QueueConfig q;
    q.route = std::move(route);
    q.type = conf::QueueType::any;
    q.delivery = conf::DeliveryMode::acked;
    q.durable = durable;
    return q;
}

// The storage thread kept busy until release(): what is journaled meanwhile
// waits for one job.
struct Blocked {
    explicit Blocked(server::StorageExecutor& executor) {
        executor.post([this] { gate.get_future().wait(); });
    }
    void release() { gate.set_value(); }
    std::promise<void> gate;
};

TEST_CASE("queue journal: the changes of many publishes share one job and one commit, the last change of a row wins") {
    test::TempDir dir;
    auto storage = server::store::SqliteStorage::open(dir.path);
    REQUIRE(storage.ok());
    auto& stores = *storage.value();
    server::StorageExecutor executor;
    executor.group_commits(stores);
    server::QueueJournal journal(executor, stores.queues(), [] { return std::int64_t{1700000000000}; });

    Blocked blocked(executor);
    server::StorageExecutor::take_posted_mark();
    journal.delivering("jobs.localhost", kept("a-1", 1, 1), "w@localhost/r");
    CHECK(server::StorageExecutor::take_posted_mark() == server::StorageExecutor::Posted::grouped);
    for (int i = 2; i <= 200; ++i) {
        journal.delivering("jobs.localhost", kept("a-" + std::to_string(i), i, 1), "w@localhost/r");
        // Joined the waiting job, not posted another: the session fences all the same.
        CHECK(server::StorageExecutor::take_posted_mark() == server::StorageExecutor::Posted::grouped);
    }
    journal.settled("jobs.localhost", "a-1");  // acked before it was written
    journal.held("jobs.localhost", kept("a-2", 2, 1));
    journal.durable_subscribed("feed.localhost", "t", "s@localhost/r");
    CHECK(journal.waiting() == 201);

    // What waits for the commit (a durable queue's deliveries) runs after it.
    std::promise<std::uint64_t> written;
    journal.after_commit([&] { written.set_value(stores.database().commits()); });
    const auto commits_before = stores.database().commits();
    blocked.release();
    CHECK(written.get_future().get() - commits_before == 1);
    executor.drain();
    CHECK(journal.waiting() == 0);

    auto rows = stores.queues().stanzas("jobs.localhost");
    REQUIRE(rows.size() == 199);
    CHECK(rows[0].id == "a-2");
    CHECK(rows[0].state == QueueStanzaRow::State::held);
    CHECK(rows[0].held_at_ms == 1700000000000);
    CHECK(rows[1].state == QueueStanzaRow::State::delivering);
    CHECK(rows[1].consumer == "w@localhost/r");
    CHECK(stores.queues().subscriptions("feed.localhost").size() == 1);

    // A change after the job took its batch starts the next one.
    journal.unheld("jobs.localhost", "a-2");
    CHECK(server::StorageExecutor::take_posted_mark() == server::StorageExecutor::Posted::grouped);
    executor.drain();
    CHECK(stores.queues().stanzas("jobs.localhost").size() == 198);
    executor.stop();
}

TEST_CASE("queue journal: a row reads back as the stanza it was; a held one has waited as long as it says") {
    const xmq::KeptStanza k = kept("a-7", 7, 2);
    QueueStanzaRow row = server::stanza_row("jobs.localhost", k, QueueStanzaRow::State::held, {}, 1'000'000);
    const auto now = std::chrono::steady_clock::now();
    auto back = server::kept_from_row(row, now, 1'060'000);  // 60 s later
    REQUIRE(back);
    CHECK(back->id == "a-7");
    CHECK(back->seq == 7);
    CHECK(back->attempts == 2);
    CHECK(back->topic == "t");
    CHECK(back->stanza == k.stanza);
    CHECK(now - back->held_since == std::chrono::seconds(60));
    // A clock set back never makes a stanza younger than now.
    CHECK(server::kept_from_row(row, now, 0)->held_since == now);

    for (const char* bad : {"<message><body>cut", "", "<presence xmlns='jabber:client'/>", "not xml"}) {
        row.xml = bad;
        CHECK_FALSE(server::kept_from_row(row, now, 0));
    }
}

TEST_CASE("queue journal: startup restores durable routes, skips corrupt rows, and deals with routes that changed") {
    test::TempDir dir;
    auto storage = server::store::SqliteStorage::open(dir.path);
    REQUIRE(storage.ok());
    auto& stores = *storage.value();
    using server::store::QueueChange;
    auto keep = [](QueueStanzaRow row) {
        QueueChange c;
        c.stanza = std::move(row);
        return c;
    };
    QueueStanzaRow corrupt = server::stanza_row("jobs.localhost", kept("a-3", 3), QueueStanzaRow::State::held, {}, 0);
    corrupt.xml = "<message><body>half";
    REQUIRE(stores.queues().apply({
        keep(server::stanza_row("jobs.localhost", kept("a-1", 1, 1), QueueStanzaRow::State::delivering, "w@localhost/r",
                                0)),
        keep(server::stanza_row("jobs.localhost", kept("a-2", 2), QueueStanzaRow::State::held, {}, 0)),
        keep(corrupt),
        keep(server::stanza_row("plain.localhost", kept("b-1", 1), QueueStanzaRow::State::held, {}, 0)),
        keep(server::stanza_row("gone.localhost", kept("c-1", 1), QueueStanzaRow::State::held, {}, 0)),
    }));

    server::StorageExecutor executor;
    executor.group_commits(stores);
    server::QueueJournal journal(executor, stores.queues());
    conf::XmqConfig config;
    config.queues = {durable_any("jobs.localhost"), durable_any("plain.localhost", false)};
    config.queues[1].hold = 10;
    xmq::Engine engine(
        config, {"localhost"}, [] { return std::chrono::steady_clock::now(); }, journal);
    server::restore_durable_queues(engine, stores.queues(), config);
    executor.drain();

    auto held = [&](const std::string& route) {
        for (const auto& q : engine.stats())
            if (q.route == route) return q.held;
        FAIL("no queue " << route);
        return std::size_t{0};
    };
    CHECK(held("jobs.localhost") == 2);
    auto rows = stores.queues().stanzas("jobs.localhost");
    REQUIRE(rows.size() == 2);  // the corrupt one deleted
    CHECK(rows[0].id == "a-1");
    CHECK(rows[0].state == QueueStanzaRow::State::held);  // its consumer is gone: waiting for its next attempt
    CHECK(rows[0].attempts == 1);
    CHECK(rows[1].id == "a-2");
    // Not durable now: in memory, no longer on disk.
    CHECK(held("plain.localhost") == 1);
    CHECK(stores.queues().stanzas("plain.localhost").empty());
    // Not configured: kept untouched.
    CHECK(stores.queues().stanzas("gone.localhost").size() == 1);
    executor.stop();
}

}  // namespace queue_journal_test
