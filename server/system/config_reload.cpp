#include "server/system/config_reload.hpp"

namespace server {

namespace {

// The module keys of `fresh` that change what runs under `running`.
std::vector<std::string> changed_module_keys(const conf::ModulesConfig& running, const conf::ModulesConfig& fresh,
                                             const conf::ModuleCatalog& catalog) {
    std::vector<std::string> keys;
    bool selection_changed = false;
    for (const auto& module : catalog) selection_changed |= running.is_on(module) != fresh.is_on(module);
    if (selection_changed) {
        if (running.enabled != fresh.enabled) keys.push_back("modules_enabled");
        if (running.disabled != fresh.disabled) keys.push_back("modules_disabled");
    }
    for (const auto& module : catalog)
        if (conf::options_of(module, running) != conf::options_of(module, fresh)) keys.push_back("modules." + module.name);
    return keys;
}

}  // namespace

ReloadPlan plan_reload(const conf::Config& running, conf::Config fresh, const conf::ModuleCatalog& modules) {
    ReloadPlan plan;
    if (fresh.listeners != running.listeners) plan.ignored.push_back("listeners");
    if (fresh.data_dir != running.data_dir) plan.ignored.push_back("data_dir");
    if (fresh.workers != running.workers) plan.ignored.push_back("workers");
    if (fresh.external_services != running.external_services) plan.ignored.push_back("external_services");
    if (fresh.contact_addresses != running.contact_addresses) plan.ignored.push_back("contact_addresses");
    for (auto& key : changed_module_keys(running.modules, fresh.modules, modules)) plan.ignored.push_back(key);
    fresh.listeners = running.listeners;
    fresh.data_dir = running.data_dir;
    fresh.workers = running.workers;
    fresh.external_services = running.external_services;
    fresh.contact_addresses = running.contact_addresses;
    fresh.modules = running.modules;
    plan.config = std::move(fresh);
    return plan;
}

}  // namespace server
