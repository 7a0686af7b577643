// SubscriptionRegistry on its own: rotation and indexes at scale.
#include "fixture.hpp"

#include "xmq/subscription_registry.hpp"

using namespace xmqtest;

namespace {

xmpp::Jid consumer(int i) { return jid("c" + std::to_string(i) + "@localhost/r"); }

}  // namespace

TEST_CASE("registry: fair rotation over thousands of consumers, overloaded ones kept out") {
    xmq::SubscriptionRegistry registry(conf::Balance::round_robin, 90);
    const auto t0 = std::chrono::steady_clock::time_point(std::chrono::hours(1));
    for (int i = 0; i < 5000; ++i)
        REQUIRE(registry.subscribe(consumer(i), "t", 60s, i % 5 == 0 ? 1 : 95, t0, 10) ==
                xmq::SubscriptionRegistry::Outcome::created);
    CHECK(registry.eligible("t", t0) == 1000);
    CHECK(registry.live(t0) == 5000);

    std::map<std::string, int> got;
    int calls = 0;
    auto deliver = [&](const xmpp::Jid&, const std::string& full) {
        ++calls;
        ++got[full];
        return true;
    };
    for (int i = 0; i < 3000; ++i) REQUIRE(registry.deliver_one("t", t0, deliver).delivered == 1);
    CHECK(calls == 3000);  // one offer per stanza: no scan over ineligible entries
    CHECK(got.size() == 1000);
    for (const auto& [who, n] : got) CHECK(n == 3);
}

TEST_CASE("registry: expiry index removes in time order") {
    xmq::SubscriptionRegistry registry(conf::Balance::least_load, 90);
    const auto t0 = std::chrono::steady_clock::time_point(std::chrono::hours(1));
    for (int i = 1; i <= 100; ++i) registry.subscribe(consumer(i), "t", std::chrono::seconds(i), 0, t0, 10);
    CHECK(registry.remove_expired(t0 + 10s) == 10);
    CHECK(registry.eligible("t", t0 + 10s) == 90);
    CHECK(registry.renew(consumer(11).full(), t0 + 10s, 7) == 1);  // now expires at 21 s
    CHECK(registry.remove_expired(t0 + 20s) == 9);
    CHECK(registry.live(t0 + 20s) == 81);
    CHECK(registry.remove_expired(t0 + 21s) == 2);  // c21 and the renewed c11
    CHECK(registry.expired_total() == 21);
}

TEST_CASE("registry: least-load follows load changes and rotates among equals") {
    xmq::SubscriptionRegistry registry(conf::Balance::least_load, 90);
    const auto t0 = std::chrono::steady_clock::time_point(std::chrono::hours(1));
    for (int i = 0; i < 4; ++i) registry.subscribe(consumer(i), "t", 60s, 10 * (i + 1), t0, 10);
    std::vector<std::string> order;
    auto deliver = [&](const xmpp::Jid&, const std::string& full) {
        order.push_back(full);
        return true;
    };
    registry.deliver_one("t", t0, deliver);
    registry.renew(consumer(0).full(), t0, 40);  // c0 now ties with c3
    registry.renew(consumer(1).full(), t0, 40);
    registry.renew(consumer(2).full(), t0, 40);
    for (int i = 0; i < 8; ++i) registry.deliver_one("t", t0, deliver);
    CHECK(order[0] == "c0@localhost/r");
    std::map<std::string, int> counts;
    for (std::size_t i = 1; i < order.size(); ++i) counts[order[i]]++;
    CHECK(counts.size() == 4);
    for (const auto& [who, n] : counts) CHECK(n == 2);
}

TEST_CASE("registry: unsubscribe_all costs only the client's own entries and leaves others") {
    xmq::SubscriptionRegistry registry(conf::Balance::round_robin, 90);
    const auto t0 = std::chrono::steady_clock::time_point(std::chrono::hours(1));
    for (int i = 0; i < 50; ++i)
        for (int t = 0; t < 3; ++t) registry.subscribe(consumer(i), "t" + std::to_string(t), 60s, 0, t0, 10);
    CHECK(registry.topic_count() == 3);
    CHECK(registry.unsubscribe_all(consumer(7).full()) == 3);
    CHECK(registry.unsubscribe_all(consumer(7).full()) == 0);
    CHECK(registry.live(t0) == 147);
    for (int i = 0; i < 50; ++i) registry.unsubscribe_all(consumer(i).full());
    CHECK(registry.topic_count() == 0);
    CHECK(registry.live(t0) == 0);
}
