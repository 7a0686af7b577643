#include "server/core/module_registry.hpp"

#include <stdexcept>

#include "server/core/module_host.hpp"
#include "server/core/services.hpp"

namespace server {

namespace {

bool has(const Services& services, Service service) {
    switch (service) {
    case Service::stores: return services.stores != nullptr;
    case Service::storage: return services.storage != nullptr;
    case Service::sessions: return services.sessions != nullptr;
    case Service::router: return services.router != nullptr;
    case Service::accounts: return services.accounts != nullptr;
    case Service::xmq: return services.xmq != nullptr;
    case Service::account_deletion: return services.account_deletion != nullptr;
    }
    return false;
}

std::string quoted(std::string_view s) { return '"' + std::string(s) + '"'; }

}  // namespace

std::string_view describe(Service service) {
    switch (service) {
    case Service::stores: return "the stores (Services::stores)";
    case Service::storage: return "the storage executor (Services::storage)";
    case Service::sessions: return "the session table (Services::sessions)";
    case Service::router: return "the router (Services::router)";
    case Service::accounts: return "the account store (Services::accounts)";
    case Service::xmq: return "the XMQ engine (Services::xmq)";
    case Service::account_deletion: return "account deletion (Services::account_deletion)";
    }
    return "an unknown service";
}

ModuleRegistry::ModuleRegistry(std::vector<Module> modules) : modules_(std::move(modules)) {
    for (const Module& module : modules_) {
        if (conf::find_module(catalog_, module.schema.name))
            throw std::logic_error("two modules are named " + quoted(module.schema.name));
        if (!module.load) throw std::logic_error("module " + quoted(module.schema.name) + " has no load function");
        catalog_.push_back(module.schema);
    }
    for (const Module& module : modules_)
        for (const std::string& dependency : module.schema.depends)
            if (!find(dependency))
                throw std::logic_error("module " + quoted(module.schema.name) + " depends on " + quoted(dependency) +
                                       ", which is not a module");
}

const Module* ModuleRegistry::find(std::string_view name) const {
    for (const Module& module : modules_)
        if (module.schema.name == name) return &module;
    return nullptr;
}

std::optional<std::string> ModuleRegistry::check(const Services& services, const conf::ModulesConfig& config) const {
    // A configuration from a file was checked against catalog() when it was
    // loaded; one built in code (tests, embedded defaults) is checked here.
    std::vector<std::string> named = config.disabled;
    if (config.enabled) named.insert(named.end(), config.enabled->begin(), config.enabled->end());
    for (const auto& [name, options] : config.options) named.push_back(name);
    for (const std::string& name : named)
        if (!find(name)) return "the configuration names module " + quoted(name) + ", which this server does not have";
    for (const auto& [name, options] : config.options)
        for (const auto& [option, value] : options) {
            const conf::IntegerOption* declared = nullptr;
            for (const auto& candidate : find(name)->schema.options)
                if (candidate.name == option) declared = &candidate;
            if (!declared)
                return "the configuration sets " + quoted(option) + " of module " + quoted(name) +
                       ", which declares no such option";
            if (value < declared->min || value > declared->max)
                return "the configuration sets " + quoted(option) + " of module " + quoted(name) + " to " +
                       std::to_string(value) + ", outside " + std::to_string(declared->min) + ".." +
                       std::to_string(declared->max);
        }
    for (const Module& module : modules_) {
        if (!config.is_on(module.schema)) continue;
        if (auto missing = conf::missing_dependency(catalog_, config, module.schema))
            return "module " + quoted(module.schema.name) + " needs module " + quoted(*missing) + ", which is disabled";
        for (const Service service : module.needs)
            if (!has(services, service))
                return "module " + quoted(module.schema.name) + " needs " + std::string(describe(service)) +
                       ", which this server does not provide";
    }
    return std::nullopt;
}

xmpp::Result<std::vector<std::string>, std::string> ModuleRegistry::load(ModuleHost& host, Services& services,
                                                                         const conf::ModulesConfig& config) const {
    if (auto error = check(services, config)) return xmpp::fail(std::move(*error));
    std::vector<std::string> loaded;
    for (const Module& module : modules_) {
        if (!config.is_on(module.schema)) continue;
        module.load(host, services, conf::options_of(module.schema, config));
        loaded.push_back(module.schema.name);
    }
    for (const auto& hook : host.hooks().modules_loaded) hook();
    return loaded;
}

}  // namespace server
