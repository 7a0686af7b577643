// RegistrationLimit: one in-band registration per address per interval; a
// failed creation gives its slot back.
#include <doctest/doctest.h>

#include "server/c2s/registration_limit.hpp"

using server::RegistrationLimit;
using namespace std::chrono_literals;

TEST_CASE("one registration per address per interval") {
    RegistrationLimit limit;
    const auto t0 = RegistrationLimit::Clock::time_point{} + 1h;
    REQUIRE(limit.acquire("192.0.2.1", 600s, t0));
    CHECK_FALSE(limit.acquire("192.0.2.1", 600s, t0 + 599s));
    CHECK(limit.acquire("192.0.2.2", 600s, t0 + 1s));  // another address is not held back
    CHECK(limit.acquire("192.0.2.1", 600s, t0 + 600s));
    CHECK_FALSE(limit.acquire("192.0.2.1", 600s, t0 + 601s));  // counted from the latest one
}

TEST_CASE("interval 0 is no limit and remembers nothing") {
    RegistrationLimit limit;
    const auto t0 = RegistrationLimit::Clock::time_point{} + 1h;
    for (int i = 0; i < 5; ++i) CHECK(limit.acquire("::1", 0s, t0));
    CHECK(limit.size() == 0);
}

TEST_CASE("a failed creation gives the slot back, and restores the one before") {
    RegistrationLimit limit;
    const auto t0 = RegistrationLimit::Clock::time_point{} + 1h;
    auto first = limit.acquire("192.0.2.1", 600s, t0);
    REQUIRE(first);
    limit.release("192.0.2.1", *first);  // e.g. the name was taken
    auto second = limit.acquire("192.0.2.1", 600s, t0 + 1s);
    REQUIRE(second);  // not held back by an account that was never made

    // Created (kept); then, an interval later, a failure restores that one.
    auto third = limit.acquire("192.0.2.1", 600s, t0 + 700s);
    REQUIRE(third);
    limit.release("192.0.2.1", *third);
    CHECK(limit.acquire("192.0.2.1", 600s, t0 + 701s));  // 700 s after `second`: allowed
    CHECK_FALSE(limit.acquire("192.0.2.1", 600s, t0 + 702s));
}

TEST_CASE("a stale release does not free a newer slot") {
    RegistrationLimit limit;
    const auto t0 = RegistrationLimit::Clock::time_point{} + 1h;
    auto first = limit.acquire("192.0.2.1", 600s, t0);
    auto second = limit.acquire("192.0.2.1", 600s, t0 + 600s);
    REQUIRE((first && second));
    limit.release("192.0.2.1", *first);
    CHECK_FALSE(limit.acquire("192.0.2.1", 600s, t0 + 601s));
}

TEST_CASE("addresses past their interval are forgotten") {
    RegistrationLimit limit;
    const auto t0 = RegistrationLimit::Clock::time_point{} + 1h;
    for (int i = 0; i < 100; ++i) REQUIRE(limit.acquire("192.0.2." + std::to_string(i), 60s, t0));
    CHECK(limit.size() == 100);
    REQUIRE(limit.acquire("198.51.100.1", 60s, t0 + 61s));
    CHECK(limit.size() == 1);
}
