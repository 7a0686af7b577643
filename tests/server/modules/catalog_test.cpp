// The built-in modules as the configuration sees them: packaging/xmqd.toml
// loads with them, names each module, sets each option to its default (the
// file documents every key with its default), and the checks of conf/ run
// against the real catalog.
#include <doctest/doctest.h>

#include <fstream>
#include <iterator>
#include <string>

#include "conf/config.hpp"
#include "server/modules/modules.hpp"

namespace catalog_test {

const conf::ModuleCatalog& catalog() { return server::modules::builtin_modules().catalog(); }

const std::string example = std::string(XMQD_SOURCE_DIR) + "/packaging/xmqd.toml";

TEST_CASE("the example in packaging/ loads with the built-in modules and matches the defaults") {
    conf::ConfigResult r = conf::load_config_file(example, catalog());
    if (!r.ok())
        for (const conf::ConfigError& e : r.error()) MESSAGE(e.to_string());
    REQUIRE(r.ok());
    conf::Config c = r.value();
    CHECK(c.source == example);
    const conf::Config defaults = conf::default_config();
    for (const conf::ModuleSchema& module : catalog()) {
        CAPTURE(module.name);
        CHECK(c.modules.is_on(module));
        CHECK(conf::options_of(module, c.modules) == conf::options_of(module, defaults.modules));
        // Each option is written out, with its default.
        for (const conf::IntegerOption& option : module.options) {
            CAPTURE(option.name);
            CHECK(c.modules.options[module.name].count(option.name) == 1);
        }
    }
    c.source = defaults.source;
    c.modules = defaults.modules;
    CHECK(c == defaults);
}

TEST_CASE("packaging/xmqd.toml names every built-in module in its list of modules") {
    std::ifstream in(example);
    const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    for (const conf::ModuleSchema& module : catalog()) {
        CAPTURE(module.name);
        CHECK(text.find("\n#   " + module.name + " ") != std::string::npos);
    }
}

TEST_CASE("the built-in catalog: core is always on, presence needs roster, blocking's limit is an option") {
    const auto* core = conf::find_module(catalog(), "core");
    REQUIRE(core != nullptr);
    CHECK(core->always_on);
    CHECK(conf::find_module(catalog(), "presence")->depends == std::vector<std::string>{"roster"});

    auto errors = conf::load_config_string("modules_disabled = [\"core\"]\n", "x.toml", catalog());
    REQUIRE_FALSE(errors.ok());
    CHECK(errors.error().at(0).to_string() ==
          "x.toml:1:21: modules_disabled[0]: \"core\" is always on: the server cannot work without it");

    errors = conf::load_config_string("modules_disabled = [\"roster\"]\n", "x.toml", catalog());
    REQUIRE_FALSE(errors.ok());
    CHECK(errors.error().at(0).to_string() ==
          "x.toml:1:21: modules_disabled[0]: \"roster\" is needed by \"presence\"; disable \"presence\" too");

    errors = conf::load_config_string("[modules.blocking]\nmax_blocked = 0\n", "x.toml", catalog());
    REQUIRE_FALSE(errors.ok());
    CHECK(errors.error().at(0).to_string() ==
          "x.toml:2:15: modules.blocking.max_blocked: must be between 1 and 1000000 (got 0)");
}

TEST_CASE("an option written as a word: one of its words, read as its index; anything else at its line") {
    auto ok = conf::load_config_string("[modules.mam]\ndefault = \"roster\"\n", "x.toml", catalog());
    REQUIRE(ok.ok());
    const auto* mam = conf::find_module(catalog(), "mam");
    REQUIRE(mam != nullptr);
    CHECK(conf::options_of(*mam, ok.value().modules).integer("default") == 2);
    CHECK(conf::options_of(*mam, conf::default_config().modules).integer("default") == 0);

    auto errors = conf::load_config_string("[modules.mam]\ndefault = \"sometimes\"\n", "x.toml", catalog());
    REQUIRE_FALSE(errors.ok());
    CHECK(errors.error().at(0).to_string() ==
          "x.toml:2:11: modules.mam.default: must be one of \"always\", \"never\", \"roster\" (got \"sometimes\")");
    errors = conf::load_config_string("[modules.mam]\ndefault = 1\n", "x.toml", catalog());
    REQUIRE_FALSE(errors.ok());
    CHECK(errors.error().at(0).to_string().starts_with("x.toml:2:11: modules.mam.default: "));
}

}  // namespace catalog_test
