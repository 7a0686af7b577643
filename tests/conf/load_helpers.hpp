// Helpers shared by the conf tests: load a TOML text and expect success or
// failure, printing the collected errors when the expectation is not met.
// Files are loaded against catalog(), made-up modules standing in for the
// server's (conf/ does not know them).
#pragma once

#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

#include "conf/config.hpp"

namespace conf_test {

// "base" is always on, "echo" has options, "mirror" needs "echo", "quiet" is plain.
inline const conf::ModuleCatalog& catalog() {
    static const conf::ModuleCatalog modules{
        {.name = "base", .always_on = true},
        {.name = "echo", .options = {{"max_echoes", 10, 1, 100}, {"delay_ms", 0, 0, 60000}}},
        {.name = "mirror", .depends = {"echo"}},
        {.name = "quiet"},
    };
    return modules;
}

inline conf::Config load_ok(std::string_view text, std::string_view name = "test.toml") {
    conf::ConfigResult r = conf::load_config_string(text, name, catalog());
    if (!r.ok())
        for (const conf::ConfigError& e : r.error()) MESSAGE(e.to_string());
    REQUIRE(r.ok());
    return std::move(r).value();
}

inline std::vector<conf::ConfigError> load_errors(std::string_view text) {
    conf::ConfigResult r = conf::load_config_string(text, "test.toml", catalog());
    REQUIRE_FALSE(r.ok());
    for (const conf::ConfigError& e : r.error()) MESSAGE(e.to_string());
    return r.error();
}

// Exactly one error, on `line`, about `key`, whose message contains `text`.
inline conf::ConfigError single_error(std::string_view toml, unsigned line, std::string_view key,
                                      std::string_view text = {}) {
    std::vector<conf::ConfigError> errors = load_errors(toml);
    REQUIRE(errors.size() == 1);
    const conf::ConfigError& e = errors.front();
    CHECK(e.file == "test.toml");
    CHECK(e.line == line);
    CHECK(e.column >= 1);
    CHECK(e.key == key);
    CHECK_MESSAGE(e.message.find(text) != std::string::npos, e.message);
    return e;
}

}  // namespace conf_test
