// The hold (docs/xmq.md "Reliable queues"): ANY per topic, FIFO, bounded
// (resource-constraint), hold_ttl; ALL per subscriber.
#include "reliable_fixture.hpp"

using namespace xmqtest;

namespace {

conf::XmqConfig holding(conf::QueueType type, unsigned hold, unsigned hold_ttl = 3600) {
    conf::XmqConfig config = default_config();
    conf::QueueConfig q = queue(type == conf::QueueType::any ? "hold.localhost" : "fan.localhost", type);
    q.hold = hold;
    q.hold_ttl = hold_ttl;
    config.queues.push_back(q);
    return config;
}

constexpr const char* HOLD = "hold.localhost";
constexpr const char* FAN = "fan.localhost";

}  // namespace

TEST_CASE("ANY with hold: nobody subscribed, the stanza is held and delivered, in order, when one subscribes") {
    Fixture f(holding(conf::QueueType::any, 10));
    for (int i = 0; i < 3; ++i) f.publish(P, HOLD, "t", "m" + std::to_string(i));
    CHECK(f.sink.replies.empty());  // no error to the publisher
    CHECK(f.stats(HOLD).held == 3);
    f.sub(A, HOLD, "t");
    REQUIRE(f.sink.deliveries.size() == 3);
    for (int i = 0; i < 3; ++i) CHECK(f.sink.deliveries[i].stanza.child_text("body") == "m" + std::to_string(i));
    CHECK(f.stats(HOLD).held == 0);
    CHECK(tag_of(f.sink.deliveries[0].stanza) == nullptr);  // once: no tag
}

TEST_CASE("ANY with hold: a full topic answers resource-constraint (wait) from the route") {
    Fixture f(holding(conf::QueueType::any, 2));
    f.publish(P, HOLD, "t");
    f.publish(P, HOLD, "t");
    f.publish(P, HOLD, "t");
    REQUIRE(f.sink.replies.size() == 1);
    const xmpp::Element& reply = f.sink.replies.back();
    CHECK(error_condition(reply) == "resource-constraint");
    CHECK(reply.child("error")->attr_or("type") == "wait");
    CHECK(reply.attr_or("from") == HOLD);
    CHECK(f.stats(HOLD).held == 2);
    CHECK(f.stats(HOLD).rejected_hold_full == 1);
    f.publish(P, HOLD, "other");  // per topic
    CHECK(f.sink.replies.size() == 1);
}

TEST_CASE("ANY with hold: new stanzas queue behind held ones (FIFO per topic)") {
    conf::XmqConfig config = holding(conf::QueueType::any, 10);
    config.queues.back().delivery = conf::DeliveryMode::acked;
    config.queues.back().prefetch = 1;
    Fixture f(config);
    f.sub(A, HOLD, "t");
    for (int i = 0; i < 3; ++i) f.publish(P, HOLD, "t", "m" + std::to_string(i));
    CHECK(f.sink.deliveries.size() == 1);
    for (int i = 1; i < 3; ++i) {
        std::string id(tag_of(f.sink.deliveries.back().stanza)->attr_or("id"));
        f.send(std::string("<iq type='set' id='a' from='") + A + "' to='" + HOLD +
               "'><xmq xmlns='xmq:command' command='ack' id='" + id + "'/></iq>");
        CHECK(f.sink.deliveries.back().stanza.child_text("body") == "m" + std::to_string(i));
    }
}

TEST_CASE("a presence that lowers the load under max_load releases held stanzas") {
    Fixture f(holding(conf::QueueType::any, 10));
    f.sub(A, HOLD, "t", 60, 95);  // above max_load 90
    f.publish(P, HOLD, "t");
    CHECK(f.sink.deliveries.empty());
    f.send(std::string("<presence from='") + A + "' to='" + HOLD + "'><xmq xmlns='xmq:load' load='5'/></presence>");
    CHECK(f.sink.deliveries.size() == 1);
}

TEST_CASE("hold_ttl: an expired held message is dropped and counted; a held iq is answered remote-server-timeout") {
    Fixture f(holding(conf::QueueType::any, 10, 60));
    f.publish(P, HOLD, "t");
    f.send(std::string("<iq type='get' id='q1' from='") + P + "' to='" + HOLD +
           "'><query xmlns='urn:example'/><xmq xmlns='xmq:topic' topic='t'/></iq>");
    CHECK(f.stats(HOLD).held == 2);
    f.clock.advance(59s);
    f.sweep_count();
    CHECK(f.stats(HOLD).held == 2);
    f.clock.advance(2s);
    f.sweep_count();
    CHECK(f.stats(HOLD).held == 0);
    CHECK(f.stats(HOLD).held_expired == 2);
    REQUIRE(f.sink.replies.size() == 1);
    CHECK(error_condition(f.sink.replies[0]) == "remote-server-timeout");
    CHECK(f.sink.replies[0].attr_or("id") == "q1");
    CHECK(f.sink.replies[0].attr_or("to") == P);
    f.sub(A, HOLD, "t");
    CHECK(f.sink.deliveries.empty());
}

TEST_CASE("ALL with hold and prefetch: beyond a subscriber's hold its copies are dropped, publishers are not told") {
    conf::XmqConfig config = holding(conf::QueueType::all, 2);
    config.queues.back().delivery = conf::DeliveryMode::acked;
    config.queues.back().prefetch = 1;
    Fixture f(config);
    f.sub(A, FAN, "t");  // slow: never acks
    f.sub(B, FAN, "t");
    for (int i = 0; i < 5; ++i) f.publish(P, FAN, "t");
    CHECK(f.sink.replies.size() == 2);  // the two sub results only
    CHECK(f.sink.count_to(A) == 1);
    CHECK(f.stats(FAN).held == 4);      // 2 per subscriber
    CHECK(f.stats(FAN).dropped == 4);   // 2 per subscriber beyond the hold
}

TEST_CASE("ALL: a stanza with no subscriber at all is dropped, hold or not") {
    Fixture f(holding(conf::QueueType::all, 10));
    f.publish(P, FAN, "t");
    CHECK(f.sink.replies.empty());
    CHECK(f.stats(FAN).held == 0);
    CHECK(f.stats(FAN).dropped == 1);
}

TEST_CASE("a reload keeps what is held and in flight") {
    conf::XmqConfig config = reliable_config(0, 10);
    ReliableFixture f(0, 10);
    f.sub(A, JOBS, "t");
    f.publish(P, JOBS, "t");
    f.end_session(A);
    f.sub(B, JOBS, "t");
    f.publish(P, JOBS, "t");
    f.end_session(B);
    f.publish(P, JOBS, "t");
    CHECK(f.stats(JOBS).held == 3);
    f.sub(C, FEED, "t");
    f.publish(P, FEED, "t");
    CHECK(f.stats(FEED).unacked == 1);
    config.queues[3].hold = 20;
    config.queues[3].ack_timeout = 60;
    f.engine.reconfigure(config, {"localhost"});
    CHECK(f.stats(JOBS).held == 3);
    CHECK(f.stats(FEED).unacked == 1);
    f.ack(C, FEED, id_of(f.last_to(C)));
}
