// ModuleRegistry: the modules a server can run, by name, in the order they
// load (which is the order their hooks run in). It gives the configuration
// loader their schemas (catalog()), and loads into a ModuleHost the modules
// a configuration turns on: all of them or none, since every module's
// dependencies and required services are checked before the first one
// registers anything; what is missing is an error naming the module and
// what it lacks, never a module silently left out.
//
// Made once (the built-in registry: server/modules/modules.hpp; tests make
// their own), read-only afterwards: any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conf/modules_config.hpp"
#include "server/core/module.hpp"
#include "xmpp/result.hpp"

namespace server {

class ModuleRegistry {
public:
    // Throws std::logic_error when two modules share a name or a module
    // depends on one that is not in `modules` (a bug in a declaration).
    explicit ModuleRegistry(std::vector<Module> modules);

    const std::vector<Module>& modules() const { return modules_; }
    const Module* find(std::string_view name) const;
    // Every module's schema, in order: what a configuration is checked against.
    const conf::ModuleCatalog& catalog() const { return catalog_; }

    // Registers, in order, every module `config` turns on; the names of the
    // modules loaded, or why none was. `services` must outlive `host`.
    xmpp::Result<std::vector<std::string>, std::string> load(ModuleHost& host, Services& services,
                                                             const conf::ModulesConfig& config) const;

private:
    std::optional<std::string> check(const Services& services, const conf::ModulesConfig& config) const;

    std::vector<Module> modules_;
    conf::ModuleCatalog catalog_;
};

}  // namespace server
