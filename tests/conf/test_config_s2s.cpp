// Federation's configuration: the s2s listener (5269 on :: unless set), which
// turns federation on, and [s2s] with its defaults and bounds.
#include <doctest/doctest.h>

#include "load_helpers.hpp"

using namespace conf;
using conf_test::load_ok;
using conf_test::single_error;

TEST_CASE("no s2s listener: no federation") {
    const Config c = load_ok("");
    CHECK_FALSE(c.federates());
    CHECK(c.s2s == S2sConfig{});
}

TEST_CASE("an s2s listener: port 5269 on :: unless set, and federation is on") {
    Config c = load_ok("[[listeners]]\nkind = \"s2s\"\n");
    REQUIRE(c.listeners.size() == 1);
    CHECK(c.listeners[0] == ListenerConfig{ListenerKind::s2s, "::", 5269});
    CHECK(c.federates());
    c = load_ok("[[listeners]]\nkind = \"s2s\"\naddress = \"127.0.0.3\"\nport = 15269\n");
    CHECK(c.listeners[0] == ListenerConfig{ListenerKind::s2s, "127.0.0.3", 15269});
}

TEST_CASE("[s2s] keys") {
    const Config c = load_ok("[s2s]\nrequire_tls = false\ndialback_secret = \"x\"\nresolve_timeout = 2\n"
                             "connect_timeout = 12\nidle_timeout = 60\nmax_queued_stanzas = 50\n");
    CHECK_FALSE(c.s2s.require_tls);
    CHECK(c.s2s.dialback_secret == "x");
    CHECK(c.s2s.resolve_timeout == std::chrono::seconds(2));
    CHECK(c.s2s.connect_timeout == std::chrono::seconds(12));
    CHECK(c.s2s.idle_timeout == std::chrono::seconds(60));
    CHECK(c.s2s.max_queued_stanzas == 50);
    const S2sConfig defaults;
    CHECK(defaults.require_tls);
    CHECK(defaults.connect_timeout <= std::chrono::seconds(30));
}

TEST_CASE("[s2s] mistakes name the line and key") {
    single_error("[s2s]\nconnect_timeout = 1\n", 2, "s2s.connect_timeout", "");
    single_error("[s2s]\nresolve_timeout = 0\n", 2, "s2s.resolve_timeout", "");
    single_error("[s2s]\nrequire_tls = \"yes\"\n", 2, "s2s.require_tls", "");
    single_error("[s2s]\nbogus = 1\n", 2, "s2s.bogus", "");
}
