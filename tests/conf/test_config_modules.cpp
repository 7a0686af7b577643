// The module keys: modules_enabled, modules_disabled and [modules.NAME],
// checked against a catalog of made-up modules (load_helpers.hpp), each
// error at the line of the entry or key that causes it.
#include <doctest/doctest.h>

#include <stdexcept>
#include <string>

#include "conf/config.hpp"
#include "load_helpers.hpp"

using namespace conf;
using conf_test::catalog;
using conf_test::load_errors;
using conf_test::load_ok;
using conf_test::single_error;

namespace config_modules_test {

const ModuleSchema& module(std::string_view name) {
    const ModuleSchema* m = find_module(catalog(), name);
    REQUIRE(m != nullptr);
    return *m;
}

std::vector<std::string> modules_on(const Config& c) {
    std::vector<std::string> on;
    for (const ModuleSchema& m : catalog())
        if (c.modules.is_on(m)) on.push_back(m.name);
    return on;
}

TEST_CASE("without module keys every module runs, each option at its default") {
    const Config c = load_ok("workers = 1\n");
    CHECK(c.modules == ModulesConfig{});
    CHECK(c.modules == default_config().modules);
    CHECK(modules_on(c) == std::vector<std::string>{"base", "echo", "mirror", "quiet"});
    const ModuleOptions options = options_of(module("echo"), c.modules);
    CHECK(options.integer("max_echoes") == 10);
    CHECK(options.integer("delay_ms") == 0);
}

TEST_CASE("modules_disabled leaves modules out; modules_enabled names the only ones, always-on ones aside") {
    CHECK(modules_on(load_ok("modules_disabled = [\"quiet\"]\n")) ==
          std::vector<std::string>{"base", "echo", "mirror"});
    CHECK(modules_on(load_ok("modules_disabled = [\"mirror\", \"echo\"]\n")) ==
          std::vector<std::string>{"base", "quiet"});
    CHECK(modules_on(load_ok("modules_enabled = [\"echo\"]\n")) == std::vector<std::string>{"base", "echo"});
    CHECK(modules_on(load_ok("modules_enabled = [\"base\", \"mirror\", \"echo\"]\n")) ==
          std::vector<std::string>{"base", "echo", "mirror"});
    CHECK(modules_on(load_ok("modules_enabled = []\n")) == std::vector<std::string>{"base"});
    CHECK(modules_on(load_ok("modules_disabled = []\n")) == std::vector<std::string>{"base", "echo", "mirror", "quiet"});
}

TEST_CASE("an unknown module name is an error at its entry, listing the modules") {
    const ConfigError e = single_error("workers = 1\nmodules_enabled = [\"echo\",\n  \"ehco\"]\n", 3,
                                       "modules_enabled[1]", "unknown module \"ehco\"");
    CHECK(e.column == 3);
    CHECK(e.message.find("base, echo, mirror, quiet") != std::string::npos);
    single_error("modules_disabled = [\"nope\"]\n", 1, "modules_disabled[0]", "unknown module \"nope\"");
}

TEST_CASE("a module listed twice, both keys set, or an always-on module disabled are errors") {
    single_error("modules_disabled = [\"quiet\", \"quiet\"]\n", 1, "modules_disabled[1]", "listed twice");
    single_error("modules_enabled = [\"echo\"]\nmodules_disabled = [\"quiet\"]\n", 2, "modules_disabled", "not both");
    single_error("modules_disabled = [\"base\"]\n", 1, "modules_disabled[0]",
                 "\"base\" is always on: the server cannot work without it");
}

TEST_CASE("leaving out a module that a running one needs names both") {
    single_error("modules_disabled = [\"echo\"]\n", 1, "modules_disabled[0]",
                 "\"echo\" is needed by \"mirror\"; disable \"mirror\" too");
    single_error("modules_enabled = [\"quiet\",\n  \"mirror\"]\n", 2, "modules_enabled[1]",
                 "\"mirror\" needs \"echo\"; enable it too");
}

TEST_CASE("[modules.NAME] sets a module's options; the others keep their defaults") {
    const Config c = load_ok("[modules.echo]\nmax_echoes = 100\n");
    const ModuleOptions options = options_of(module("echo"), c.modules);
    CHECK(options.integer("max_echoes") == 100);
    CHECK(options.integer("delay_ms") == 0);
    CHECK(options_of(module("quiet"), c.modules) == ModuleOptions{});
    // A module that does not run has its options checked all the same.
    CHECK(load_ok("modules_disabled = [\"mirror\", \"echo\"]\n[modules.echo]\ndelay_ms = 5\n")
              .modules.options.at("echo")
              .at("delay_ms") == 5);
}

TEST_CASE("module options: unknown module, unknown option, wrong type, out of range") {
    single_error("[modules.ehco]\nmax_echoes = 1\n", 1, "modules.ehco", "unknown module");
    single_error("[modules.echo]\nmax_echos = 1\n", 2, "modules.echo.max_echos", "unknown key");
    single_error("[modules.quiet]\nloud = true\n", 2, "modules.quiet.loud", "unknown key");
    single_error("[modules.echo]\nmax_echoes = \"many\"\n", 2, "modules.echo.max_echoes", "expected an integer");
    single_error("[modules.echo]\n\nmax_echoes = 0\n", 3, "modules.echo.max_echoes", "between 1 and 100 (got 0)");
    single_error("[modules]\necho = 3\n", 2, "modules.echo", "expected a table");
    single_error("modules_enabled = \"echo\"\n", 1, "modules_enabled", "expected an array of strings");
}

TEST_CASE("every module error of a file is reported, in file order") {
    const auto errors = load_errors(
        "modules_disabled = [\"nope\", \"echo\"]\n"
        "[modules.echo]\n"
        "max_echoes = 1000\n"
        "[modules.nope]\n");
    REQUIRE(errors.size() == 4);
    CHECK(errors[0].key == "modules_disabled[0]");
    CHECK(errors[1].key == "modules_disabled[1]");
    CHECK(errors[2].key == "modules.echo.max_echoes");
    CHECK(errors[3].key == "modules.nope");
}

TEST_CASE("a module reading an option it did not declare is a bug, found at once") {
    const ModuleOptions options = options_of(module("echo"), ModulesConfig{});
    CHECK_THROWS_AS(options.integer("max_echos"), std::logic_error);
}

}  // namespace config_modules_test
