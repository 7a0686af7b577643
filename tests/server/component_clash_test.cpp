// component_clash: a [[components]] domain that a module serves itself (a
// service domain) would never be reached; the server refuses to start, or a
// reload, with it.
#include <doctest/doctest.h>

#include "server/server_parts.hpp"

TEST_CASE("a component domain that a module serves is refused") {
    conf::Config config = conf::default_config();
    config.components = {conf::ComponentConfig{"rooms.localhost", "s3cret"}};
    server::ModuleHost modules;
    CHECK_FALSE(server::component_clash(config, modules).has_value());
    modules.add_service_domain({"rooms.localhost", "localhost", "Rooms", {}});
    auto clash = server::component_clash(config, modules);
    REQUIRE(clash.has_value());
    CHECK(clash->find("rooms.localhost") != std::string::npos);
    CHECK(clash->find("s3cret") == std::string::npos);
    config.components = {conf::ComponentConfig{"irc.localhost", "s3cret"}};
    CHECK_FALSE(server::component_clash(config, modules).has_value());
}
