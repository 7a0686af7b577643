// SqliteQueueStore against a database: rows kept, replaced and forgotten per
// (route, id) in one transaction; subscriptions per (route, topic, full JID);
// rows read back in publish order; one route never touching another; the
// routes with rows; forgetting a route; and the rows surviving a reopen of
// the file.
#include "server/store/sqlite/sqlite_queue_store.hpp"

#include <doctest/doctest.h>

#include "server/store/sqlite/database.hpp"
#include "tests/temp_dir.hpp"

namespace sqlite_queue_store_test {

using server::store::QueueChange;
using server::store::QueueStanzaRow;
using server::store::QueueSubscriptionRow;
using State = QueueStanzaRow::State;

QueueStanzaRow row(std::string route, std::string id, std::uint64_t seq, State state = State::held,
                   unsigned attempts = 0) {
    QueueStanzaRow r;
    r.route = std::move(route);
    r.id = std::move(id);
    r.seq = seq;
    r.topic = "t";
    r.attempts = attempts;
    r.state = state;
    if (state == State::delivering) r.consumer = "w@localhost/r";
    r.held_at_ms = 1700000000000 + static_cast<std::int64_t>(seq);
    r.xml =
        "<message xmlns='jabber:client' from='p@localhost/p' to='" + r.route + "'><body>" + r.id + "</body></message>";
    return r;
}

QueueChange keep(QueueStanzaRow r) {
    QueueChange c;
    c.kind = QueueChange::Kind::keep;
    c.stanza = std::move(r);
    return c;
}

QueueChange forget(std::string route, std::string id) {
    QueueChange c;
    c.kind = QueueChange::Kind::forget;
    c.stanza.route = std::move(route);
    c.stanza.id = std::move(id);
    return c;
}

QueueChange sub(QueueChange::Kind kind, std::string route, std::string topic, std::string full) {
    QueueChange c;
    c.kind = kind;
    c.subscription = {std::move(route), std::move(topic), std::move(full)};
    return c;
}

TEST_CASE("queue store: rows kept, replaced and forgotten, read back in publish order, per route") {
    auto db = server::store::Database::open_in_memory();
    REQUIRE(db.ok());
    server::store::SqliteQueueStore store(*db.value());
    CHECK(store.routes().empty());

    REQUIRE(store.apply({keep(row("jobs.localhost", "x-2", 2)), keep(row("jobs.localhost", "x-1", 1)),
                         keep(row("other.localhost", "y-1", 1))}));
    auto rows = store.stanzas("jobs.localhost");
    REQUIRE(rows.size() == 2);
    CHECK(rows[0] == row("jobs.localhost", "x-1", 1));
    CHECK(rows[1] == row("jobs.localhost", "x-2", 2));

    // A delivery: the same row, now out with a consumer, attempts counted.
    REQUIRE(store.apply({keep(row("jobs.localhost", "x-1", 1, State::delivering, 3))}));
    rows = store.stanzas("jobs.localhost");
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].state == State::delivering);
    CHECK(rows[0].attempts == 3);
    CHECK(rows[0].consumer == "w@localhost/r");

    // Forgetting a row that is not there is not an error.
    REQUIRE(store.apply({forget("jobs.localhost", "x-1"), forget("jobs.localhost", "never")}));
    rows = store.stanzas("jobs.localhost");
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].id == "x-2");
    CHECK(store.stanzas("other.localhost").size() == 1);
    CHECK(store.stanzas("none.localhost").empty());
    CHECK(store.routes() == std::vector<std::string>{"jobs.localhost", "other.localhost"});
}

TEST_CASE("queue store: durable subscriptions, once each, and forgetting a route") {
    auto db = server::store::Database::open_in_memory();
    REQUIRE(db.ok());
    server::store::SqliteQueueStore store(*db.value());
    using Kind = QueueChange::Kind;
    REQUIRE(store.apply({sub(Kind::subscribe, "feed.localhost", "t", "a@localhost/r"),
                         sub(Kind::subscribe, "feed.localhost", "t", "a@localhost/r"),
                         sub(Kind::subscribe, "feed.localhost", "u", "b@localhost/r")}));
    CHECK(store.subscriptions("feed.localhost") ==
          std::vector<QueueSubscriptionRow>{{"feed.localhost", "t", "a@localhost/r"},
                                            {"feed.localhost", "u", "b@localhost/r"}});
    REQUIRE(store.apply({sub(Kind::unsubscribe, "feed.localhost", "t", "a@localhost/r")}));
    CHECK(store.subscriptions("feed.localhost").size() == 1);
    CHECK(store.routes() == std::vector<std::string>{"feed.localhost"});

    REQUIRE(store.apply({keep(row("feed.localhost", "c-1", 1))}));
    REQUIRE(store.forget_route("feed.localhost"));
    CHECK(store.subscriptions("feed.localhost").empty());
    CHECK(store.stanzas("feed.localhost").empty());
    CHECK(store.routes().empty());
}

TEST_CASE("queue store: a batch is one transaction, and what it wrote is in the file") {
    test::TempDir dir;
    {
        auto db = server::store::Database::open(dir.path);
        REQUIRE(db.ok());
        server::store::SqliteQueueStore store(*db.value());
        const auto before = db.value()->commits();
        std::vector<QueueChange> batch;
        for (int i = 1; i <= 100; ++i) batch.push_back(keep(row("jobs.localhost", "x-" + std::to_string(i), i)));
        REQUIRE(store.apply(batch));
        CHECK(db.value()->commits() == before + 1);
    }
    auto db = server::store::Database::open(dir.path);
    REQUIRE(db.ok());
    server::store::SqliteQueueStore store(*db.value());
    CHECK(store.stanzas("jobs.localhost").size() == 100);
    CHECK(db.value()->schema_version("xmq_queues") == 1);
}

}  // namespace sqlite_queue_store_test
