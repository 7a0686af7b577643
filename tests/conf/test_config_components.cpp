// [[components]] (XEP-0114) and the component listener: defaults, and each
// mistake reported as file:line:key without the secret.
#include <doctest/doctest.h>

#include "load_helpers.hpp"

using namespace conf;
using conf_test::load_errors;
using conf_test::load_ok;
using conf_test::single_error;

TEST_CASE("no [[components]]: no component listener") {
    const Config c = load_ok("");
    CHECK(c.components.empty());
    for (const ListenerConfig& l : c.listeners) CHECK(l.kind != ListenerKind::component);
}

TEST_CASE("a component entry adds the loopback component listener when none is configured") {
    const Config c = load_ok("[[components]]\ndomain = \"IRC.Localhost\"\nsecret = \"s3cret\"\n");
    REQUIRE(c.components.size() == 1);
    CHECK(c.components[0] == ComponentConfig{"irc.localhost", "s3cret"});
    CHECK(c.component("irc.localhost") == &c.components[0]);
    CHECK(c.component("other.localhost") == nullptr);
    CHECK(c.listeners.back() == ListenerConfig{ListenerKind::component, "127.0.0.1", 5347});
}

TEST_CASE("a component listener: loopback and 5347 unless set") {
    Config c = load_ok("[[listeners]]\nkind = \"component\"\n");
    REQUIRE(c.listeners.size() == 1);
    CHECK(c.listeners[0] == ListenerConfig{ListenerKind::component, "127.0.0.1", 5347});
    c = load_ok("[[listeners]]\nkind = \"component\"\naddress = \"::1\"\nport = 15347\n"
                "[[components]]\ndomain = \"bot.localhost\"\nsecret = \"x\"\n");
    REQUIRE(c.listeners.size() == 1);  // the file's, no second one
    CHECK(c.listeners[0] == ListenerConfig{ListenerKind::component, "::1", 15347});
    // Other kinds still need their port.
    single_error("[[listeners]]\nkind = \"c2s\"\n", 1, "listeners[0].port", "missing");
}

TEST_CASE("component mistakes name the file, line and key, never the secret") {
    single_error("[[components]]\ndomain = \"bot.localhost\"\n", 1, "components[0].secret", "missing");
    single_error("[[components]]\ndomain = \"bot.localhost\"\nsecret = \"\"\n", 3, "components[0].secret",
                 "must not be empty");
    single_error("[[components]]\nsecret = \"hidden-value\"\n", 1, "components[0].domain", "missing");
    single_error("[[components]]\ndomain = \"bad domain!\"\nsecret = \"hidden-value\"\n", 2,
                 "components[0].domain", "not a valid domain");
    single_error("[[components]]\ndomain = \"localhost\"\nsecret = \"hidden-value\"\n", 2,
                 "components[0].domain", "served host");
    single_error("[[components]]\ndomain = \"queue1.localhost\"\nsecret = \"hidden-value\"\n", 2,
                 "components[0].domain", "queue route");
    single_error("[[components]]\ndomain = \"bot.localhost\"\nsecret = \"hidden-value\"\n"
                 "[[components]]\ndomain = \"BOT.localhost\"\nsecret = \"hidden-value\"\n",
                 5, "components[1].domain", "duplicate component \"bot.localhost\" (also components[0])");
    single_error("[[components]]\ndomain = \"bot.localhost\"\nsecret = \"hidden-value\"\nport = 1\n", 4,
                 "components[0].port", "unknown");
    single_error("[[listeners]]\nkind = \"c2s\"\naddress = \"127.0.0.1\"\nport = 5347\n"
                 "[[components]]\ndomain = \"bot.localhost\"\nsecret = \"hidden-value\"\n",
                 5, "components", "component listener");
    for (const ConfigError& e :
         load_errors("[[components]]\ndomain = \"localhost\"\nsecret = \"hidden-value\"\n"
                     "[[components]]\ndomain = \"\"\nsecret = \"hidden-value\"\n"))
        CHECK(e.to_string().find("hidden-value") == std::string::npos);
}
