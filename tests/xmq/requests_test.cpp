// iq requests through an acked ANY queue (docs/xmq.md "Reliable queues"):
// settled by the consumer's answer, late answers dropped, recipient-unavailable
// after max_attempts, never dead-lettered.
#include "reliable_fixture.hpp"

using namespace xmqtest;

namespace {

void request(ReliableFixture& f, const std::string& id) {
    f.send(std::string("<iq type='get' id='") + id + "' from='" + P + "' to='" + JOBS +
           "'><query xmlns='urn:example'/><xmq xmlns='xmq:topic' topic='t'/></iq>");
}

// The consumer's answer as the router would see it: from the consumer to the requester.
bool answer(ReliableFixture& f, const std::string& consumer, const std::string& id) {
    xmpp::Element iq = xml("<iq type='result' id='" + id + "' from='" + consumer + "' to='" + P + "'/>");
    REQUIRE(f.engine.awaits_answers());
    return f.engine.consumer_answer(iq, jid(consumer), jid(P), f.sink);
}

}  // namespace

TEST_CASE("the consumer's answer settles an iq request; no ack needed") {
    ReliableFixture f;
    f.sub(A, JOBS, "t");
    request(f, "r1");
    REQUIRE(f.sink.count_to(A) == 1);
    CHECK(f.stats(JOBS).unacked == 1);
    CHECK_FALSE(answer(f, A, "r1"));  // passed on to the requester
    CHECK(f.stats(JOBS).unacked == 0);
    // Acking an iq delivery is refused: its answer settles it.
    request(f, "r2");
    xmpp::Element reply = f.command(A, JOBS, "command='ack' id='" + id_of(f.last_to(A)) + "'");
    CHECK(error_condition(reply) == "item-not-found");
}

TEST_CASE("a late answer from an earlier consumer is dropped and counted") {
    ReliableFixture f;
    f.sub(A, JOBS, "t");
    f.sub(B, JOBS, "t");
    request(f, "r1");
    const Delivery first = f.sink.deliveries.back();
    std::string second_consumer = first.to == A ? B : A;
    f.end_session(first.to);  // leaves without answering
    CHECK(f.last_to(second_consumer).stanza.attr_or("id") == "r1");
    CHECK(answer(f, first.to, "r1"));            // late: dropped
    CHECK_FALSE(answer(f, second_consumer, "r1"));  // settles
    CHECK(answer(f, first.to, "r1"));            // still late after settlement
    CHECK(f.stats(JOBS).late_answers == 2);
    // An answer to an unrelated iq is not ours.
    CHECK_FALSE(answer(f, A, "other"));
}

TEST_CASE("after max_attempts the requester gets recipient-unavailable (wait) from the route, never a dead letter") {
    ReliableFixture f;  // max_attempts = 3
    f.sub(A, JOBS, "t", 100000);
    f.sub(C, DEAD, "t");
    request(f, "r9");
    for (int i = 0; i < 3; ++i) {
        f.clock.advance(31s);
        f.sweep_count();
    }
    CHECK(f.sink.count_to(A) == 3);
    REQUIRE_FALSE(f.sink.replies.empty());
    const xmpp::Element& reply = f.sink.replies.back();
    CHECK(error_condition(reply) == "recipient-unavailable");
    CHECK(reply.child("error")->attr_or("type") == "wait");
    CHECK(reply.attr_or("id") == "r9");
    CHECK(reply.attr_or("from") == JOBS);
    CHECK(reply.attr_or("to") == P);
    CHECK(f.sink.count_to(C) == 0);
    CHECK(f.stats(JOBS).dead_lettered == 0);
}
