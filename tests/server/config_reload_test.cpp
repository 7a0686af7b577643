// Reload: the keys that need a restart keep their running values and are
// named; everything else comes from the new file.
#include <doctest/doctest.h>

#include "server/system/config_reload.hpp"

TEST_CASE("reload keeps listeners, data_dir and workers and names them") {
    const conf::Config running = conf::default_config();
    conf::Config fresh = running;
    fresh.listeners = {conf::ListenerConfig{conf::ListenerKind::c2s, "127.0.0.1", 15222}};
    fresh.data_dir = "/elsewhere";
    fresh.workers = 7;
    fresh.log.level = conf::LogLevel::debug;
    fresh.limits.max_stanza_bytes = 4096;

    const auto plan = server::plan_reload(running, fresh, {});
    CHECK(plan.ignored == std::vector<std::string>{"listeners", "data_dir", "workers"});
    CHECK(plan.config.listeners == running.listeners);
    CHECK(plan.config.data_dir == running.data_dir);
    CHECK(plan.config.workers == running.workers);
    CHECK(plan.config.log.level == conf::LogLevel::debug);
    CHECK(plan.config.limits.max_stanza_bytes == 4096);
}

TEST_CASE("reload of an unchanged file ignores nothing") {
    const conf::Config running = conf::default_config();
    const auto plan = server::plan_reload(running, running, {});
    CHECK(plan.ignored.empty());
    CHECK(plan.config == running);
}

TEST_CASE("reload keeps the modules and their options as they run, and names each module key that changed") {
    const conf::ModuleCatalog catalog{
        {.name = "ping"},
        {.name = "blocking", .options = {{"max_blocked", 1000, 1, 1000000}}},
        {.name = "vcard", .options = {{"max_bytes", 65536, 1024, 16777216}}},
    };
    conf::Config running = conf::default_config();
    running.modules.options["vcard"]["max_bytes"] = 2048;
    conf::Config fresh = running;
    fresh.modules.disabled = {"ping"};
    fresh.modules.options["blocking"]["max_blocked"] = 10;
    fresh.modules.options["vcard"]["max_bytes"] = 2048;
    fresh.log.level = conf::LogLevel::debug;

    const auto plan = server::plan_reload(running, fresh, catalog);
    CHECK(plan.ignored == std::vector<std::string>{"modules_disabled", "modules.blocking"});
    CHECK(plan.config.modules == running.modules);
    CHECK(plan.config.log.level == conf::LogLevel::debug);
}

TEST_CASE("reload: spelling out a default, or listing the modules that run anyway, changes nothing") {
    const conf::ModuleCatalog catalog{{.name = "blocking", .options = {{"max_blocked", 1000, 1, 1000000}}}};
    const conf::Config running = conf::default_config();
    conf::Config fresh = running;
    fresh.modules.options["blocking"]["max_blocked"] = 1000;
    fresh.modules.enabled = std::vector<std::string>{"blocking"};
    CHECK(server::plan_reload(running, fresh, catalog).ignored.empty());
}

TEST_CASE("reload keeps the external services and contact addresses as they run, and names them") {
    const conf::Config running = conf::default_config();
    conf::Config fresh = running;
    xmpp::extdisco::Service turn;
    turn.type = xmpp::extdisco::ServiceType::turn;
    turn.host = "turn.example.org";
    turn.secret = "north";
    fresh.external_services = {turn};
    fresh.contact_addresses.abuse = {"mailto:abuse@example.org"};
    const auto plan = server::plan_reload(running, fresh, {});
    CHECK(plan.ignored == std::vector<std::string>{"external_services", "contact_addresses"});
    CHECK(plan.config.external_services.empty());
    CHECK(plan.config.contact_addresses.empty());
}
