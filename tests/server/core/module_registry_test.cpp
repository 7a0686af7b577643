// ModuleRegistry with made-up modules: modules load in order with their
// options, all of them or none; a missing service, a disabled dependency or
// a configuration naming what is not there is an error naming the module
// and what it lacks; a malformed registry is refused when it is made.
#include <doctest/doctest.h>

#include <stdexcept>

#include "server/core/module_host.hpp"
#include "server/core/module_registry.hpp"
#include "server/core/services.hpp"
#include "server/store/sqlite/sqlite_storage.hpp"

namespace module_registry_test {

using server::Module;
using server::ModuleHost;
using server::ModuleRegistry;
using server::Service;
using server::Services;

// Each made-up module adds the host feature "urn:test:<id>", its option "id".
void add_own_feature(ModuleHost& host, Services&, const conf::ModuleOptions& options) {
    host.add_feature(server::IqTarget::host, "urn:test:" + std::to_string(options.integer("id")));
}

Module made_up(std::string name, std::int64_t id, std::vector<Service> needs = {},
               std::vector<std::string> depends = {}) {
    return {.schema = {.name = std::move(name), .options = {{"id", id, 0, 100}}, .depends = std::move(depends)},
            .needs = std::move(needs),
            .load = add_own_feature};
}

ModuleRegistry three() {
    return ModuleRegistry({made_up("alpha", 1), made_up("beta", 2, {Service::stores}),
                           made_up("gamma", 3, {}, {"alpha"})});
}

TEST_CASE("modules load in the registry's order, each with its options") {
    const ModuleRegistry registry = three();
    auto db = server::store::SqliteStorage::open_in_memory();
    REQUIRE(db.ok());
    Services services;
    services.stores = db.value().get();
    ModuleHost host;
    conf::ModulesConfig config;
    config.options["gamma"]["id"] = 30;
    auto loaded = registry.load(host, services, config);
    REQUIRE(loaded.ok());
    CHECK(loaded.value() == std::vector<std::string>{"alpha", "beta", "gamma"});
    CHECK(host.features(server::IqTarget::host) == std::vector<std::string>{"urn:test:1", "urn:test:2", "urn:test:30"});
}

TEST_CASE("a missing service is an error naming the module and the service, and nothing loads") {
    const ModuleRegistry registry = three();
    Services services;
    ModuleHost host;
    auto loaded = registry.load(host, services, {});
    REQUIRE_FALSE(loaded.ok());
    CHECK(loaded.error() == "module \"beta\" needs the stores (Services::stores), which this server does not provide");
    CHECK(host.features(server::IqTarget::host).empty());  // not even alpha, which needs nothing

    conf::ModulesConfig without_beta;
    without_beta.disabled = {"beta"};
    CHECK(registry.load(host, services, without_beta).value() == std::vector<std::string>{"alpha", "gamma"});
}

TEST_CASE("a disabled dependency, an unknown module or option in the configuration are errors naming them") {
    const ModuleRegistry registry = three();
    Services services;
    ModuleHost host;
    conf::ModulesConfig config;
    config.enabled = std::vector<std::string>{"gamma"};
    CHECK(registry.load(host, services, config).error() == "module \"gamma\" needs module \"alpha\", which is disabled");

    config = {};
    config.disabled = {"beta", "delta"};
    CHECK(registry.load(host, services, config).error() ==
          "the configuration names module \"delta\", which this server does not have");

    config = {};
    config.disabled = {"beta"};
    config.options["alpha"]["ids"] = 1;
    CHECK(registry.load(host, services, config).error() ==
          "the configuration sets \"ids\" of module \"alpha\", which declares no such option");
    config.options["alpha"] = {{"id", 101}};
    CHECK(registry.load(host, services, config).error() ==
          "the configuration sets \"id\" of module \"alpha\" to 101, outside 0..100");
}

TEST_CASE("a registry with two modules of one name, or a dependency on no module, is refused") {
    CHECK_THROWS_AS(ModuleRegistry({made_up("alpha", 1), made_up("alpha", 2)}), std::logic_error);
    CHECK_THROWS_AS(ModuleRegistry({made_up("gamma", 3, {}, {"alpha"})}), std::logic_error);
    Module without_load = made_up("alpha", 1);
    without_load.load = nullptr;
    CHECK_THROWS_AS(ModuleRegistry({without_load}), std::logic_error);
}

TEST_CASE("modules that share state get one object from the host") {
    ModuleHost host;
    int made = 0;
    auto make = [&made] {
        ++made;
        return std::make_shared<int>(7);
    };
    auto first = host.shared<int>(make);
    auto second = host.shared<int>(make);
    CHECK(first == second);
    CHECK(made == 1);
}

}  // namespace module_registry_test
