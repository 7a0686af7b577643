// Acked queues (docs/xmq.md "Reliable queues"): the delivery tag, ack and
// nack, redelivery, max_attempts and dead letters, prefetch.
#include "reliable_fixture.hpp"

using namespace xmqtest;

TEST_CASE("an acked queue tags each delivery after the original children; a publisher's tag is removed") {
    ReliableFixture f;
    f.sub(A, JOBS, "t");
    f.send(std::string("<message from='") + P + "' to='" + JOBS +
           "'><xmq xmlns='xmq:delivery' id='forged' attempt='9'/><body>b</body>"
           "<xmq xmlns='xmq:topic' topic='t'/></message>");
    REQUIRE(f.sink.deliveries.size() == 1);
    const xmpp::Element& copy = f.sink.deliveries[0].stanza;
    const auto& children = copy.children();
    REQUIRE(children.size() == 3);
    CHECK(children[0].name() == "body");
    CHECK(children[1].xmlns() == xmpp::ns::xmq_topic);
    CHECK(children[2].xmlns() == xmpp::ns::xmq_delivery);
    CHECK(children[2].attr_or("id") != "forged");
    CHECK(children[2].attr_or("attempt") == "1");
    CHECK(copy.attr_or("from") == P);
}

TEST_CASE("a queue without the keys adds no tag (mod_xmq wire)") {
    Fixture f;
    f.sub(A, Q1, "t");
    f.publish(P, Q1, "t");
    REQUIRE(f.sink.deliveries.size() == 1);
    CHECK(tag_of(f.sink.deliveries[0].stanza) == nullptr);
    CHECK(f.stats(Q1).unacked == 0);
}

TEST_CASE("delivery ids are unique per route; ALL gives each subscriber's copy its own id") {
    ReliableFixture f;
    f.sub(A, FEED, "t");
    f.sub(B, FEED, "t");
    f.sub(C, JOBS, "t");
    for (int i = 0; i < 3; ++i) {
        f.publish(P, FEED, "t");
        f.publish(P, JOBS, "t");
    }
    std::set<std::string> bare;
    for (const auto& d : f.sink.deliveries)
        if (d.to != C) bare.insert(id_of(d));
    CHECK(bare.size() == 6);  // 3 stanzas x 2 subscribers, all different
    CHECK(f.stats(FEED).unacked == 6);
    CHECK(f.stats(JOBS).unacked == 3);
}

TEST_CASE("ack settles one or several ids; settled ids are unknown afterwards") {
    ReliableFixture f;
    f.sub(A, JOBS, "t");
    for (int i = 0; i < 3; ++i) f.publish(P, JOBS, "t");
    REQUIRE(f.sink.deliveries.size() == 3);
    std::string d0 = id_of(f.sink.deliveries[0]), d1 = id_of(f.sink.deliveries[1]),
                d2 = id_of(f.sink.deliveries[2]);
    f.ack(A, JOBS, d0);
    f.ack(A, JOBS, d1 + "  " + d2);
    CHECK(f.stats(JOBS).unacked == 0);
    CHECK(f.stats(JOBS).acked == 3);
    xmpp::Element again = f.command(A, JOBS, "command='ack' id='" + d0 + "'");
    CHECK(error_condition(again) == "item-not-found");
    CHECK(error_text(again).find(d0) != std::string::npos);
}

TEST_CASE("an ack with one bad id settles nothing and names that id") {
    ReliableFixture f;
    f.sub(A, JOBS, "t");
    f.sub(B, JOBS, "t");
    f.publish(P, JOBS, "t");
    f.publish(P, JOBS, "t");
    std::string mine = id_of(f.last_to(A)), theirs = id_of(f.last_to(B));
    xmpp::Element reply = f.command(A, JOBS, "command='ack' id='" + mine + " " + theirs + "'");
    CHECK(error_condition(reply) == "item-not-found");
    CHECK(error_text(reply).find(theirs) != std::string::npos);
    CHECK(f.stats(JOBS).unacked == 2);  // nothing settled, not even A's own
    reply = f.command(A, JOBS, "command='ack' id='nope'");
    CHECK(error_condition(reply) == "item-not-found");
    // An id of this route acked on another route is unknown there.
    reply = f.command(A, FEED, "command='ack' id='" + mine + "'");
    CHECK(error_condition(reply) == "item-not-found");
    CHECK(error_condition(f.command(A, JOBS, "command='ack'")) == "bad-request");
}

TEST_CASE("nack requeues to another consumer with the same id and attempt + 1") {
    ReliableFixture f;
    f.sub(A, JOBS, "t");
    f.sub(B, JOBS, "t");
    f.publish(P, JOBS, "t");
    const Delivery first = f.sink.deliveries.back();
    std::string other = first.to == A ? B : A;
    CHECK(f.command(first.to, JOBS, "command='nack' id='" + id_of(first) + "'").attr_or("type") == "result");
    const Delivery& second = f.sink.deliveries.back();
    CHECK(second.to == other);
    CHECK(id_of(second) == id_of(first));
    CHECK(attempt_of(second) == "2");
    CHECK(f.stats(JOBS).redelivered == 1);
}

TEST_CASE("nack requeue='false' dead-letters the stanza as its publisher sent it") {
    ReliableFixture f;
    f.sub(A, JOBS, "t");
    f.sub(C, DEAD, "t");
    f.publish(P, JOBS, "t", "job1");
    std::string id = id_of(f.last_to(A));
    CHECK(f.command(A, JOBS, "command='nack' requeue='false' id='" + id + "'").attr_or("type") == "result");
    const Delivery& dead = f.last_to(C);
    CHECK(body_of(dead) == "job1");
    CHECK(dead.stanza.attr_or("from") == P);
    CHECK(tag_of(dead.stanza) == nullptr);
    CHECK(dead.stanza.child("xmq", xmpp::ns::xmq_topic)->attr_or("topic") == "t");
    CHECK(f.stats(JOBS).dead_lettered == 1);
    CHECK(f.stats(JOBS).unacked == 0);
}

TEST_CASE("a delivery, sent or failed, leaves the kept stanza as published: one tag each time, none dead") {
    // The queue addresses and tags the stanza it keeps for the length of the
    // sink's call only (no copy per delivery); nothing of it may stay behind.
    ReliableFixture f;  // max_attempts = 3
    f.sub(B, JOBS, "t");
    f.sub(A, JOBS, "t");
    f.sub(C, DEAD, "t");
    f.sink.gone.insert(B);  // tried first, and gone: a failed attempt
    f.publish(P, JOBS, "t", "job1");
    REQUIRE(f.sink.attempts[B] == 1);
    for (int attempt = 1; attempt <= 3; ++attempt) {
        const Delivery& got = f.last_to(A);
        CHECK(attempt_of(got) == std::to_string(attempt));
        CHECK(got.stanza.attr_or("to") == A);
        CHECK(got.stanza.children().size() == 3);  // body, topic, one delivery tag
        CHECK(f.command(A, JOBS, "command='nack' id='" + id_of(got) + "'").attr_or("type") == "result");
    }
    const Delivery& dead = f.last_to(C);
    CHECK(dead.stanza.attr_or("to") == C);
    REQUIRE(dead.stanza.children().size() == 2);
    CHECK(body_of(dead) == "job1");
    CHECK(tag_of(dead.stanza) == nullptr);
    CHECK(f.stats(JOBS).dead_lettered == 1);
}

TEST_CASE("after max_attempts deliveries a stanza is dead-lettered, or dropped without dead_letter") {
    ReliableFixture f;  // max_attempts = 3
    f.sub(A, JOBS, "t");
    f.sub(C, DEAD, "t");
    f.publish(P, JOBS, "t", "poison");
    for (int attempt = 1; attempt <= 3; ++attempt) {
        const Delivery& d = f.last_to(A);
        CHECK(attempt_of(d) == std::to_string(attempt));
        f.command(A, JOBS, "command='nack' id='" + id_of(d) + "'");
    }
    CHECK(f.sink.count_to(A) == 3);
    CHECK(body_of(f.last_to(C)) == "poison");

    ReliableFixture g;
    g.sub(A, FEED, "t");
    g.publish(P, FEED, "t");
    for (int attempt = 1; attempt <= 3; ++attempt) g.command(A, FEED, "command='nack' id='" + id_of(g.last_to(A)) + "'");
    CHECK(g.sink.count_to(A) == 3);
    CHECK(g.stats(FEED).dead_lettered == 0);
    CHECK(g.stats(FEED).dropped == 1);
}

TEST_CASE("a consumer whose session ends has its unacked deliveries redelivered to another") {
    ReliableFixture f;
    f.sub(A, JOBS, "t");
    f.publish(P, JOBS, "t", "x");
    std::string id = id_of(f.last_to(A));
    f.sub(B, JOBS, "t");
    f.end_session(A);
    const Delivery& again = f.last_to(B);
    CHECK(id_of(again) == id);
    CHECK(attempt_of(again) == "2");
    CHECK(body_of(again) == "x");
}

TEST_CASE("a del of the subscription redelivers what it had unacked") {
    ReliableFixture f;
    f.sub(A, JOBS, "t");
    f.sub(B, JOBS, "t");
    f.publish(P, JOBS, "t");
    const Delivery first = f.sink.deliveries.back();
    f.command(first.to, JOBS, "command='del' topic='t'");
    CHECK(f.sink.deliveries.back().to != first.to);
    CHECK(id_of(f.sink.deliveries.back()) == id_of(first));
}

TEST_CASE("ack_timeout: an unacked delivery is redelivered by the sweep") {
    ReliableFixture f;  // ack_timeout = 30
    f.sub(A, JOBS, "t", 3600);
    f.publish(P, JOBS, "t");
    std::string id = id_of(f.last_to(A));
    f.clock.advance(29s);
    f.sweep_count();
    CHECK(f.sink.count_to(A) == 1);
    f.clock.advance(2s);
    f.sweep_count();
    REQUIRE(f.sink.count_to(A) == 2);  // the only consumer gets it again
    CHECK(id_of(f.last_to(A)) == id);
    CHECK(attempt_of(f.last_to(A)) == "2");
}

TEST_CASE("the sweep runs at least as often as the shortest ack_timeout") {
    conf::XmqConfig config = reliable_config();
    config.check_expires_time = 50;
    config.queues[3].ack_timeout = 7;  // jobs
    Fixture f(config);
    CHECK(f.engine.sweep_interval() == 7s);
    CHECK(Fixture().engine.sweep_interval() == 50s);
}

TEST_CASE("ANY redelivery nobody can take is held (hold = 0) and goes out when a consumer comes") {
    ReliableFixture f;  // hold = 0
    f.sub(A, JOBS, "t");
    f.publish(P, JOBS, "t");
    std::string id = id_of(f.last_to(A));
    f.end_session(A);
    CHECK(f.stats(JOBS).held == 1);
    f.sub(B, JOBS, "t");
    CHECK(id_of(f.last_to(B)) == id);
    CHECK(f.stats(JOBS).held == 0);
    // A fresh stanza with nobody there is still refused as mod_xmq does.
    f.end_session(B);
    f.publish(P, JOBS, "t");
    CHECK(error_condition(f.sink.replies.back()) == "not-acceptable");
}

TEST_CASE("ALL: a copy is redelivered only to its own subscriber, dropped when that subscription ended") {
    ReliableFixture f;
    f.sub(A, FEED, "t");
    f.sub(B, FEED, "t");
    f.publish(P, FEED, "t");
    std::string a_id = id_of(f.last_to(A));
    f.command(A, FEED, "command='nack' id='" + a_id + "'");
    CHECK(f.sink.count_to(A) == 2);
    CHECK(f.sink.count_to(B) == 1);
    CHECK(id_of(f.last_to(A)) == a_id);
    f.end_session(B);
    CHECK(f.sink.count_to(A) == 2);
    CHECK(f.stats(FEED).dropped == 1);
    CHECK(f.stats(FEED).unacked == 1);
}

TEST_CASE("prefetch: a consumer at its limit is not eligible on ANY") {
    ReliableFixture f(2);
    f.sub(A, JOBS, "t");
    f.sub(B, JOBS, "t");
    for (int i = 0; i < 4; ++i) f.publish(P, JOBS, "t");
    CHECK(f.sink.count_to(A) == 2);
    CHECK(f.sink.count_to(B) == 2);
    f.publish(P, JOBS, "t");  // both full, hold = 0
    CHECK(error_condition(f.sink.replies.back()) == "not-acceptable");
    f.ack(A, JOBS, id_of(f.last_to(A)));
    f.publish(P, JOBS, "t");
    CHECK(f.sink.count_to(A) == 3);
}

TEST_CASE("prefetch counts per consumer across topics") {
    ReliableFixture f(1);
    f.sub(A, JOBS, "t1");
    f.sub(A, JOBS, "t2");
    f.publish(P, JOBS, "t1");
    f.publish(P, JOBS, "t2");
    CHECK(f.sink.count_to(A) == 1);
    CHECK(error_condition(f.sink.replies.back()) == "not-acceptable");
}

TEST_CASE("prefetch follows the consumer's deliveries as they are settled, redelivered and resubscribed") {
    ReliableFixture f(2, 10);
    f.sub(A, JOBS, "t1");
    f.sub(A, JOBS, "t2");
    f.publish(P, JOBS, "t1", "m0");
    f.publish(P, JOBS, "t2", "m1");
    f.publish(P, JOBS, "t2", "m2");  // A is at its prefetch: held
    CHECK(f.sink.count_to(A) == 2);
    CHECK(f.stats(JOBS).held == 1);
    // Ending t1 redelivers m0 (nobody else: held) and frees its slot for m2.
    f.send(std::string("<iq type='set' id='d' from='") + A + "' to='" + JOBS +
           "'><xmq xmlns='xmq:command' command='del' topic='t1'/></iq>");
    CHECK(body_of(f.last_to(A)) == "m2");
    CHECK(f.stats(JOBS).unacked == 2);
    // A new consumer takes the redelivered m0; A, at 2 again, takes nothing more.
    f.sub(B, JOBS, "t1");
    CHECK(body_of(f.last_to(B)) == "m0");
    f.publish(P, JOBS, "t2", "m3");
    CHECK(f.stats(JOBS).held == 1);
    // A leaves with two in flight and comes back: they went elsewhere or wait, so it
    // starts from none and takes two again.
    f.end_session(A);
    f.sub(A, JOBS, "t2");
    CHECK(f.sink.count_to(A) == 5);
    CHECK(f.stats(JOBS).unacked == 3);
    CHECK(f.stats(JOBS).held == 1);
    // They came back in publish order, ahead of m3.
    std::vector<std::string> to_a;
    for (const Delivery& d : f.sink.deliveries)
        if (d.to == A) to_a.push_back(body_of(d));
    CHECK(to_a == std::vector<std::string>{"m0", "m1", "m2", "m1", "m2"});
}

TEST_CASE("prefetch on ALL: copies wait in order within hold and follow the acks") {
    ReliableFixture f(1, 10);
    f.sub(A, FEED, "t");
    for (int i = 0; i < 3; ++i) f.publish(P, FEED, "t", "m" + std::to_string(i));
    CHECK(f.sink.count_to(A) == 1);
    CHECK(f.stats(FEED).held == 2);
    f.ack(A, FEED, id_of(f.last_to(A)));
    CHECK(body_of(f.last_to(A)) == "m1");
    f.ack(A, FEED, id_of(f.last_to(A)));
    CHECK(body_of(f.last_to(A)) == "m2");
    CHECK(f.stats(FEED).held == 0);
}

TEST_CASE("ack and nack parse: id lists are bounded, requeue is a boolean") {
    ReliableFixture f;
    f.sub(A, JOBS, "t");
    std::string many;
    for (int i = 0; i < 1001; ++i) many += "x" + std::to_string(i) + " ";
    CHECK(error_condition(f.command(A, JOBS, "command='ack' id='" + many + "'")) == "bad-request");
    CHECK(error_condition(f.command(A, JOBS, "command='nack' id='x' requeue='maybe'")) == "bad-request");
    CHECK(error_condition(f.command(A, JOBS, "command='ack' id='   '")) == "bad-request");
}
