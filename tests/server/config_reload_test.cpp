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
