// Durable subscriptions on ALL queues (docs/xmq.md "Reliable queues").
#include "reliable_fixture.hpp"

using namespace xmqtest;

namespace {

void durable_sub(Fixture& f, const std::string& who, const std::string& route, const std::string& topic) {
    std::size_t before = f.sink.replies.size();
    f.send("<iq type='set' id='d' from='" + who + "' to='" + route + "'><xmq xmlns='xmq:command' command='sub' topic='" +
           topic + "' ttl='60' durable='true'/></iq>");
    REQUIRE(f.sink.replies.size() == before + 1);
    CHECK(f.sink.replies.back().attr_or("type") == "result");
}

}  // namespace

TEST_CASE("durable='true' on an ANY queue is bad-request") {
    ReliableFixture f;
    xmpp::Element reply = f.command(A, JOBS, "command='sub' topic='t' ttl='60' durable='true'");
    CHECK(error_condition(reply) == "bad-request");
}

TEST_CASE("a durable subscription outlives the session and gets what it missed, unacked first, in order") {
    ReliableFixture f(0, 10);
    durable_sub(f, A, FEED, "t");
    f.publish(P, FEED, "t", "m0");  // delivered, never acked
    f.end_session(A);
    f.publish(P, FEED, "t", "m1");
    f.publish(P, FEED, "t", "m2");
    CHECK(f.sink.count_to(A) == 1);
    CHECK(f.stats(FEED).held == 3);
    CHECK(f.stats(FEED).consumers == 1);  // still subscribed
    f.clock.advance(3000s);               // longer than its ttl: no expiry while away
    f.sweep_count();
    durable_sub(f, A, FEED, "t");
    REQUIRE(f.sink.count_to(A) == 4);
    const auto& d = f.sink.deliveries;
    CHECK(body_of(d[1]) == "m0");
    CHECK(attempt_of(d[1]) == "2");
    CHECK(id_of(d[1]) == id_of(d[0]));
    CHECK(body_of(d[2]) == "m1");
    CHECK(body_of(d[3]) == "m2");
}

TEST_CASE("a non-durable subscription's copies are dropped at session end") {
    ReliableFixture f(0, 10);
    f.sub(A, FEED, "t");
    f.publish(P, FEED, "t");
    f.end_session(A);
    CHECK(f.stats(FEED).unacked == 0);
    CHECK(f.stats(FEED).consumers == 0);
    f.sub(A, FEED, "t");
    CHECK(f.sink.count_to(A) == 1);
}

TEST_CASE("del ends a durable subscription and drops what it kept") {
    ReliableFixture f(0, 10);
    durable_sub(f, A, FEED, "t");
    f.publish(P, FEED, "t");
    f.end_session(A);
    f.publish(P, FEED, "t");
    CHECK(f.stats(FEED).held == 2);
    f.command(A, FEED, "command='del' topic='t'");
    CHECK(f.stats(FEED).held == 0);
    CHECK(f.stats(FEED).consumers == 0);
    f.sub(A, FEED, "t");
    CHECK(f.sink.count_to(A) == 1);
}

TEST_CASE("a durable subscription on a once ALL queue with hold keeps stanzas while away") {
    conf::XmqConfig config = default_config();
    config.queues[1].hold = 5;  // queue2: ALL
    Fixture f(config);
    durable_sub(f, A, Q2, "t");
    f.engine.session_ended(jid(A), f.sink);
    for (int i = 0; i < 7; ++i) f.publish(P, Q2, "t", "m" + std::to_string(i));
    CHECK(f.stats(Q2).held == 5);
    durable_sub(f, A, Q2, "t");
    REQUIRE(f.sink.count_to(A) == 5);
    CHECK(body_of(f.sink.deliveries[0]) == "m0");
    CHECK(tag_of(f.sink.deliveries[0].stanza) == nullptr);
}
