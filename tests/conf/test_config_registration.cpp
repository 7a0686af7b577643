// In-band registration keys: hosts[i].registration (off unless set) and
// auth.registration_interval (seconds, 0 = no limit).
#include <doctest/doctest.h>

#include "conf/config.hpp"
#include "load_helpers.hpp"

using conf_test::load_ok;
using conf_test::single_error;

TEST_CASE("registration is off by default and switched on per host") {
    CHECK_FALSE(conf::default_config().hosts.front().registration);
    CHECK(conf::default_config().auth.registration_interval == std::chrono::seconds(600));
    const conf::Config c = load_ok(R"([[hosts]]
domain = "example.com"
registration = true

[[hosts]]
domain = "example.org"

[auth]
registration_interval = 0
)");
    REQUIRE(c.hosts.size() == 2);
    CHECK(c.hosts[0].registration);
    CHECK_FALSE(c.hosts[1].registration);
    CHECK(c.auth.registration_interval == std::chrono::seconds(0));
}

TEST_CASE("bad registration keys name file, line and key") {
    single_error("[[hosts]]\ndomain = \"localhost\"\nregistration = \"yes\"\n", 3, "hosts[0].registration",
                 "expected a boolean");
    single_error("[auth]\nregistration_interval = -1\n", 2, "auth.registration_interval");
    single_error("[auth]\nregistration_interval = 86401\n", 2, "auth.registration_interval");
}

TEST_CASE("registration_open: the switch is per host") {
    conf::Config config = conf::default_config();
    config.hosts.assign(2, conf::HostConfig{});
    config.hosts[0].domain = "a.example";
    config.hosts[1].domain = "b.example";
    config.hosts[1].registration = true;
    CHECK_FALSE(config.registration_open("a.example"));
    CHECK(config.registration_open("b.example"));
    CHECK_FALSE(config.registration_open("c.example"));
}
