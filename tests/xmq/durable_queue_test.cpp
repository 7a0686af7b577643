// Durable queues (docs/xmq.md "Durable queues") in the engine: only a queue
// configured durable reports to the journal; what the journal kept, given to
// a new engine with restore(), brings back held stanzas, unacknowledged
// deliveries (attempt + 1) and durable subscriptions, and nothing acked.
#include <map>
#include <set>
#include <tuple>

#include "reliable_fixture.hpp"

using namespace xmqtest;

namespace {

// A journal that keeps the last state of every row, as the store would.
class MemoryJournal final : public xmq::Journal {
public:
    struct Row {
        xmq::KeptStanza kept;
        bool delivering = false;
    };
    void held(std::string_view route, const xmq::KeptStanza& kept) override {
        rows[key(route, kept.id)] = {kept, false};
    }
    void unheld(std::string_view route, std::string_view id) override { rows.erase(key(route, id)); }
    void delivering(std::string_view route, const xmq::KeptStanza& kept, std::string_view) override {
        rows[key(route, kept.id)] = {kept, true};
    }
    void settled(std::string_view route, std::string_view id) override { rows.erase(key(route, id)); }
    void durable_subscribed(std::string_view route, std::string_view topic, std::string_view full) override {
        subs.emplace(route, topic, full);
    }
    void durable_ended(std::string_view route, std::string_view topic, std::string_view full) override {
        subs.erase({std::string(route), std::string(topic), std::string(full)});
    }

    // What a restart reads back for one route.
    xmq::RestoredQueue state(const std::string& route) const {
        xmq::RestoredQueue out;
        for (const auto& [k, row] : rows) {
            if (k.substr(0, k.find('\n')) != route) continue;
            (row.delivering ? out.unacked : out.held).push_back(row.kept);
        }
        for (const auto& [r, topic, full] : subs)
            if (r == route) out.durable.emplace_back(full, topic);
        return out;
    }
    std::size_t rows_of(const std::string& route) const {
        return state(route).held.size() + state(route).unacked.size();
    }

    std::map<std::string, Row> rows;
    std::set<std::tuple<std::string, std::string, std::string>> subs;

private:
    static std::string key(std::string_view route, std::string_view id) {
        return std::string(route) + '\n' + std::string(id);
    }
};

conf::XmqConfig durable_config(unsigned prefetch = 0, unsigned hold = 10) {
    conf::XmqConfig config = reliable_config(prefetch, hold);
    for (auto& q : config.queues)
        if (q.route == JOBS || q.route == FEED) q.durable = true;
    return config;
}

struct DurableFixture : Fixture {
    DurableFixture(xmq::Journal& journal, conf::XmqConfig config = durable_config())
        : Fixture(std::move(config), {"localhost"}, journal) {}
    xmpp::Element command(const std::string& who, const std::string& route, const std::string& attrs) {
        std::size_t before = sink.replies.size();
        send("<iq type='set' id='c' from='" + who + "' to='" + route + "'><xmq xmlns='xmq:command' " + attrs +
             "/></iq>");
        REQUIRE(sink.replies.size() == before + 1);
        return sink.replies.back();
    }
    void ack(const std::string& who, const std::string& route, const std::string& ids) {
        CHECK(command(who, route, "command='ack' id='" + ids + "'").attr_or("type") == "result");
    }
    std::vector<Delivery> to(const std::string& who) const {
        std::vector<Delivery> out;
        for (const Delivery& d : sink.deliveries)
            if (d.to == who) out.push_back(d);
        return out;
    }
};

}  // namespace

TEST_CASE("only a durable queue reports to the journal") {
    MemoryJournal journal;
    conf::XmqConfig config = durable_config(0, 10);
    for (auto& q : config.queues)
        if (q.route == FEED) q.durable = false;
    DurableFixture f(journal, config);
    f.sub(A, FEED, "t");
    f.publish(P, FEED, "t");
    CHECK(journal.rows_of(FEED) == 0);
    f.sub(A, JOBS, "t");
    f.publish(P, JOBS, "t", "m0");
    f.publish(P, JOBS, "t", "m1");
    REQUIRE(journal.rows_of(JOBS) == 2);
    for (const auto& [key, row] : journal.rows) {
        CHECK(row.delivering);
        CHECK(row.kept.attempts == 1);
    }
    f.ack(A, JOBS, id_of(f.to(A).back()));
    CHECK(journal.rows_of(JOBS) == 1);
}

TEST_CASE(
    "after a restart, unacknowledged deliveries come back with attempt + 1, held ones as they were, acked ones never") {
    MemoryJournal before;
    std::vector<Delivery> first;
    {
        DurableFixture f(before, durable_config(2, 10));  // prefetch 2: m3 waits in the hold
        f.sub(A, JOBS, "t");
        for (const char* body : {"m0", "m1", "m2", "m3"}) f.publish(P, JOBS, "t", body);
        first = f.to(A);
        REQUIRE(first.size() == 2);
        f.ack(A, JOBS, id_of(first[0]));  // m0 done; m1 out; m2 takes the slot; m3 held
        first = f.to(A);
        REQUIRE(first.size() == 3);
        CHECK(f.stats(JOBS).held == 1);
    }  // the process dies: no session end, nothing settled

    MemoryJournal after;
    DurableFixture g(after, durable_config(0, 10));
    auto report = g.engine.restore(JOBS, before.state(JOBS));
    REQUIRE(report);
    CHECK(report->redeliveries == 2);
    CHECK(report->held == 1);
    CHECK(report->dropped == 0);
    CHECK(g.stats(JOBS).held == 3);
    CHECK(g.stats(JOBS).unacked == 0);
    // The unacknowledged ones are held now, with their attempts so far.
    CHECK(after.rows_of(JOBS) == 2);
    CHECK_FALSE(g.engine.restore("nowhere.localhost", {}));

    g.sub(B, JOBS, "t");
    auto got = g.to(B);
    REQUIRE(got.size() == 3);
    CHECK(body_of(got[0]) == "m1");
    CHECK(attempt_of(got[0]) == "2");
    CHECK(id_of(got[0]) == id_of(first[1]));
    CHECK(body_of(got[1]) == "m2");
    CHECK(attempt_of(got[1]) == "2");
    CHECK(body_of(got[2]) == "m3");
    CHECK(attempt_of(got[2]) == "1");
    for (const Delivery& d : got) CHECK(body_of(d) != "m0");
    // New ids never collide with restored ones; publish order goes on.
    g.publish(P, JOBS, "t", "m4");
    got = g.to(B);
    REQUIRE(got.size() == 4);
    for (int i = 0; i < 3; ++i) CHECK(id_of(got[3]) != id_of(got[i]));
    CHECK(after.rows_of(JOBS) == 4);  // all four out with B
}

TEST_CASE("a durable subscription comes back away, keeps what is published meanwhile, and its unacked copy first") {
    MemoryJournal before;
    {
        DurableFixture f(before);
        f.send("<iq type='set' id='d' from='" + std::string(A) + "' to='" + FEED +
               "'><xmq xmlns='xmq:command' command='sub' topic='t' ttl='60' durable='true'/></iq>");
        f.publish(P, FEED, "t", "c0");  // delivered, never acked
    }
    CHECK(before.subs.size() == 1);
    MemoryJournal after;
    DurableFixture g(after);
    auto report = g.engine.restore(FEED, before.state(FEED));
    REQUIRE(report);
    CHECK(report->subscriptions == 1);
    CHECK(report->redeliveries == 1);
    CHECK(g.stats(FEED).consumers == 1);
    g.publish(P, FEED, "t", "c1");  // kept for the away subscriber
    CHECK(g.sink.count_to(A) == 0);
    g.send("<iq type='set' id='d' from='" + std::string(A) + "' to='" + FEED +
           "'><xmq xmlns='xmq:command' command='sub' topic='t' ttl='60' durable='true'/></iq>");
    auto got = g.to(A);
    REQUIRE(got.size() == 2);
    CHECK(body_of(got[0]) == "c0");
    CHECK(attempt_of(got[0]) == "2");
    CHECK(body_of(got[1]) == "c1");
    CHECK(attempt_of(got[1]) == "1");
}

TEST_CASE("at restore, a delivery already at max_attempts ends as a late redelivery would: dead-lettered") {
    MemoryJournal before;
    {
        DurableFixture f(before);
        f.sub(A, JOBS, "t");
        f.publish(P, JOBS, "t", "last");
        for (int i = 0; i < 2; ++i) {  // attempts 2 and 3 (max_attempts = 3)
            f.command(A, JOBS, "command='nack' id='" + id_of(f.to(A).back()) + "'");
        }
        REQUIRE(attempt_of(f.to(A).back()) == "3");
    }
    MemoryJournal after;
    DurableFixture g(after);
    auto report = g.engine.restore(JOBS, before.state(JOBS));
    REQUIRE(report);
    CHECK(report->ended == 1);
    CHECK(g.stats(JOBS).dead_lettered == 1);
    CHECK(g.stats(JOBS).held == 0);
    CHECK(after.rows_of(JOBS) == 0);
}

TEST_CASE("iq requests and copies of subscriptions that are gone are not restored, and their rows go") {
    MemoryJournal before;
    {
        DurableFixture f(before);
        f.sub(A, JOBS, "t");
        f.send("<iq type='get' id='q1' from='" + std::string(P) + "' to='" + JOBS +
               "'><query xmlns='urn:example'/><xmq xmlns='xmq:topic' topic='t'/></iq>");
        f.sub(B, FEED, "t");  // not durable
        f.publish(P, FEED, "t", "c0");
    }
    REQUIRE(before.rows_of(JOBS) == 1);
    REQUIRE(before.rows_of(FEED) == 1);
    MemoryJournal after;
    after.rows = before.rows;  // the store as the old process left it
    DurableFixture g(after);
    CHECK(g.engine.restore(JOBS, before.state(JOBS))->dropped == 1);
    CHECK(g.engine.restore(FEED, before.state(FEED))->dropped == 1);
    CHECK(after.rows.empty());
}

TEST_CASE("a reload that makes a queue durable writes what it keeps; one that ends durability forgets it") {
    MemoryJournal journal;
    conf::XmqConfig plain = durable_config(0, 10);
    for (auto& q : plain.queues) q.durable = false;
    DurableFixture f(journal, plain);
    f.sub(A, JOBS, "t");
    f.publish(P, JOBS, "t", "out");
    f.publish(P, JOBS, "u", "held");
    f.send("<iq type='set' id='d' from='" + std::string(B) + "' to='" + FEED +
           "'><xmq xmlns='xmq:command' command='sub' topic='t' ttl='60' durable='true'/></iq>");
    CHECK(journal.rows.empty());
    CHECK(journal.subs.empty());
    f.engine.reconfigure(durable_config(0, 10), {"localhost"});
    CHECK(journal.rows_of(JOBS) == 2);
    CHECK(journal.subs.size() == 1);
    f.engine.reconfigure(plain, {"localhost"});
    CHECK(journal.rows.empty());
    CHECK(journal.subs.empty());
    CHECK(f.stats(JOBS).held == 1);  // what it keeps stays in memory
    CHECK(f.stats(JOBS).unacked == 1);
}

TEST_CASE("a durable subscription's end is journaled however it ends") {
    MemoryJournal journal;
    DurableFixture f(journal);
    auto durable_sub = [&](const char* who) {
        f.send("<iq type='set' id='d' from='" + std::string(who) + "' to='" + FEED +
               "'><xmq xmlns='xmq:command' command='sub' topic='t' ttl='60' durable='true'/></iq>");
    };
    durable_sub(A);
    durable_sub(B);
    CHECK(journal.subs.size() == 2);
    f.send("<iq type='set' id='x' from='" + std::string(A) + "' to='" + FEED +
           "'><xmq xmlns='xmq:command' command='del'/></iq>");
    CHECK(journal.subs.size() == 1);
    f.sub(B, FEED, "t");  // renewed without durable='true'
    CHECK(journal.subs.empty());
}

TEST_CASE("a deleted account's durable subscriptions end with their rows; its unacked ANY work goes to others") {
    MemoryJournal journal;
    DurableFixture f(journal);
    const std::string a2 = "a@localhost/phone";
    for (const std::string& who : {std::string(A), a2, std::string(B)})
        f.send("<iq type='set' id='d' from='" + who + "' to='" + FEED +
               "'><xmq xmlns='xmq:command' command='sub' topic='t' ttl='60' durable='true'/></iq>");
    f.engine.session_ended(jid(a2), f.sink);  // away, still durable
    f.publish(P, FEED, "t", "kept for a's phone");
    CHECK(journal.subs.size() == 3);
    CHECK(f.stats(FEED).held == 1);

    f.sub(A, JOBS, "w");
    f.publish(P, JOBS, "w", "job");  // out with A, unacknowledged
    REQUIRE(f.sink.count_to(A) == 2);
    f.sub(B, JOBS, "w");

    f.engine.account_removed(jid("a@localhost"), f.sink);
    CHECK(journal.subs == std::set<std::tuple<std::string, std::string, std::string>>{{FEED, "t", B}});
    CHECK(f.stats(FEED).held == 0);      // the copy kept for the phone is gone
    CHECK(f.stats(FEED).consumers == 1);
    REQUIRE(f.sink.count_to(B) == 2);    // B's FEED copy, then the job A never acknowledged
    CHECK(body_of(f.sink.deliveries.back()) == "job");
    CHECK(attempt_of(f.sink.deliveries.back()) == "2");
}
