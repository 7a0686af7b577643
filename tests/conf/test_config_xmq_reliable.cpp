// The reliability keys of a queue (docs/xmq.md "Reliable queues"): values,
// bounds, keys that need delivery = "acked", dead_letter targets, durable.
#include <doctest/doctest.h>

#include <string>

#include "conf/config.hpp"
#include "load_helpers.hpp"

using namespace conf;
using conf_test::load_ok;
using conf_test::single_error;

namespace {

std::string queue(const std::string& keys, const std::string& route = "jobs.localhost") {
    return "[[xmq.queues]]\nroute = \"" + route + "\"\n" + keys;
}

}  // namespace

TEST_CASE("every reliability key is read") {
    Config c = load_ok(queue("type = \"any\"\ndelivery = \"acked\"\nack_timeout = 12\nmax_attempts = 4\n"
                             "prefetch = 10\nhold = 100\nhold_ttl = 60\ndurable = false\n"
                             "dead_letter = \"Dead.localhost\"\n") +
                       queue("", "dead.localhost"));
    const QueueConfig& q = c.xmq.queues.at(0);
    CHECK(q.delivery == DeliveryMode::acked);
    CHECK(q.ack_timeout == 12);
    CHECK(q.max_attempts == 4);
    CHECK(q.prefetch == 10);
    CHECK(q.hold == 100);
    CHECK(q.hold_ttl == 60);
    CHECK(q.dead_letter == "dead.localhost");
    CHECK_FALSE(q.durable);
}

TEST_CASE("defaults are mod_xmq's behaviour") {
    Config c = load_ok(queue(""));
    const QueueConfig& q = c.xmq.queues.at(0);
    CHECK(q.delivery == DeliveryMode::once);
    CHECK(q.hold == 0);
    CHECK(q.prefetch == 0);
    CHECK(q.ack_timeout == 30);
    CHECK(q.max_attempts == 5);
    CHECK(q.hold_ttl == 3600);
    CHECK(q.dead_letter.empty());
}

TEST_CASE("bad values name file, line and key") {
    single_error(queue("delivery = \"sometimes\"\n"), 3, "xmq.queues[0].delivery", "must be one of");
    single_error(queue("delivery = \"acked\"\nprefetch = -1\n"), 4, "xmq.queues[0].prefetch");
    single_error(queue("delivery = \"acked\"\nprefetch = 100001\n"), 4, "xmq.queues[0].prefetch");
    single_error(queue("hold = 1000001\n"), 3, "xmq.queues[0].hold");
    single_error(queue("hold = -5\n"), 3, "xmq.queues[0].hold");
    single_error(queue("hold_ttl = 0\n"), 3, "xmq.queues[0].hold_ttl");
    single_error(queue("delivery = \"acked\"\nack_timeout = 0\n"), 4, "xmq.queues[0].ack_timeout");
    single_error(queue("delivery = \"acked\"\nmax_attempts = 0\n"), 4, "xmq.queues[0].max_attempts");
    single_error(queue("delivery = \"acked\"\nmax_attempts = 1001\n"), 4, "xmq.queues[0].max_attempts");
}

TEST_CASE("keys only for acked delivery are refused on a once queue") {
    single_error(queue("prefetch = 5\n"), 3, "xmq.queues[0].prefetch", "only valid with delivery = \"acked\"");
    single_error(queue("ack_timeout = 5\n"), 3, "xmq.queues[0].ack_timeout", "only valid");
    single_error(queue("max_attempts = 5\n"), 3, "xmq.queues[0].max_attempts", "only valid");
    single_error(queue("dead_letter = \"dead.localhost\"\n") + queue("", "dead.localhost"), 3,
                 "xmq.queues[0].dead_letter", "only valid");
}

TEST_CASE("durable = true needs something to keep: acked delivery or a hold") {
    single_error(queue("durable = true\n"), 3, "xmq.queues[0].durable", "set delivery = \"acked\" or hold > 0");
    CHECK(load_ok(queue("delivery = \"acked\"\ndurable = true\n")).xmq.queues.at(0).durable);
    CHECK(load_ok(queue("hold = 10\ndurable = true\n")).xmq.queues.at(0).durable);
    CHECK_FALSE(load_ok(queue("delivery = \"acked\"\n")).xmq.queues.at(0).durable);
    single_error(queue("delivery = \"acked\"\ndurable = 1\n"), 4, "xmq.queues[0].durable", "");
}

TEST_CASE("dead_letter must name another configured queue, without a cycle") {
    const std::string acked = "delivery = \"acked\"\n";
    single_error(queue(acked + "dead_letter = \"nowhere.localhost\"\n"), 4, "xmq.queues[0].dead_letter",
                 "not a configured queue route");
    single_error(queue(acked + "dead_letter = \"jobs.localhost\"\n"), 4, "xmq.queues[0].dead_letter",
                 "this queue itself");
    auto errors = conf_test::load_errors(queue(acked + "dead_letter = \"b.localhost\"\n", "a.localhost") +
                                         queue(acked + "dead_letter = \"a.localhost\"\n", "b.localhost"));
    REQUIRE(errors.size() == 2);
    CHECK(errors[0].key == "xmq.queues[0].dead_letter");
    CHECK(errors[0].message.find("leads back") != std::string::npos);
}
