// Which modules run: every built-in module in the harness by default (none
// skips for a missing part), modules_disabled and modules_enabled as the
// configuration says, and a module left without a module it needs stopping
// the start with an error naming both.
#include <doctest/doctest.h>

#include <algorithm>

#include "conversation.hpp"

namespace module_selection_test {

using test::Client;
using test::disco_features;
using test::error_condition;

std::vector<std::string> builtin_names() {
    std::vector<std::string> names;
    for (const auto& module : server::modules::builtin_modules().modules()) names.push_back(module.schema.name);
    return names;
}

bool has(const std::vector<std::string>& list, std::string_view name) {
    return std::find(list.begin(), list.end(), name) != list.end();
}

const std::string disco_info = "<query xmlns='http://jabber.org/protocol/disco#info'/>";

TEST_CASE("the unit harness runs every built-in module, in the registry's order") {
    test::C2sHarness h;
    CHECK(h.parts->loaded_modules == builtin_names());
    CHECK(h.parts->loaded_modules ==
          std::vector<std::string>{"core", "disco", "ping", "version", "roster", "presence", "push", "offline", "mam", "vcard",
                                   "private", "time", "last", "blocking", "register", "carbons", "csi",
                                   "stream_management", "caps", "pep", "bookmarks", "pep_vcard_conversion",
                                   "external_services", "contact_addresses", "muc", "http_upload"});
}

TEST_CASE("a module in modules_disabled serves nothing and is not advertised") {
    conf::Config config = conf::default_config();
    config.modules.disabled = {"vcard"};
    test::C2sHarness h(config);
    CHECK_FALSE(has(h.parts->loaded_modules, "vcard"));
    Client juliet(h, "juliet", "r0meo", "balcony");
    CHECK(error_condition(juliet.iq("get", "<vCard xmlns='vcard-temp'/>")) == "service-unavailable");
    CHECK_FALSE(has(disco_features(juliet.iq("get", disco_info, "localhost")), "vcard-temp"));
    CHECK(juliet.iq("get", "<ping xmlns='urn:xmpp:ping'/>", "localhost").attr_or("type") == "result");
}

TEST_CASE("modules_enabled runs only the modules it names, and the always-on core") {
    conf::Config config = conf::default_config();
    config.modules.enabled = std::vector<std::string>{"disco", "ping"};
    test::C2sHarness h(config);
    CHECK(h.parts->loaded_modules == std::vector<std::string>{"core", "disco", "ping"});
    Client juliet(h, "juliet", "r0meo", "balcony");
    CHECK(juliet.iq("get", "<ping xmlns='urn:xmpp:ping'/>", "localhost").attr_or("type") == "result");
    CHECK(error_condition(juliet.iq("get", "<query xmlns='jabber:iq:version'/>", "localhost")) ==
          "service-unavailable");
    CHECK(error_condition(juliet.iq("get", "<query xmlns='jabber:iq:roster'/>")) == "service-unavailable");
}

TEST_CASE("a module whose dependency is disabled stops the start, naming both") {
    conf::Config config = conf::default_config();
    config.modules.disabled = {"roster"};
    auto parts = server::ServerParts::build(std::make_shared<const conf::Config>(config),
                                            {.store = server::ServerParts::Store::memory});
    REQUIRE_FALSE(parts.ok());
    CHECK(parts.error() == "modules: module \"presence\" needs module \"roster\", which is disabled");

    config.modules.disabled = {"roster", "presence"};
    CHECK(server::ServerParts::build(std::make_shared<const conf::Config>(config),
                                     {.store = server::ServerParts::Store::memory})
              .ok());
}

}  // namespace module_selection_test
