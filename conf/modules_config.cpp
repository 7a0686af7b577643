#include "conf/modules_config.hpp"

#include <algorithm>
#include <stdexcept>

namespace conf {

namespace {

bool listed(const std::vector<std::string>& names, std::string_view name) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

bool ModulesConfig::is_on(const ModuleSchema& module) const {
    if (module.always_on) return true;
    if (enabled) return listed(*enabled, module.name);
    return !listed(disabled, module.name);
}

std::int64_t ModuleOptions::integer(std::string_view name) const {
    auto it = values_.find(name);
    if (it == values_.end()) throw std::logic_error("module option " + std::string(name) + " is not declared");
    return it->second;
}

ModuleOptions options_of(const ModuleSchema& module, const ModulesConfig& config) {
    std::map<std::string, std::int64_t, std::less<>> values;
    for (const IntegerOption& option : module.options) values[option.name] = option.default_value;
    if (auto set = config.options.find(module.name); set != config.options.end())
        for (const auto& [name, value] : set->second) values[name] = value;
    return ModuleOptions(std::move(values));
}

std::optional<std::string> missing_dependency(const ModuleCatalog& catalog, const ModulesConfig& config,
                                              const ModuleSchema& module) {
    for (const std::string& name : module.depends) {
        const ModuleSchema* dependency = find_module(catalog, name);
        if (!dependency || !config.is_on(*dependency)) return name;
    }
    return std::nullopt;
}

const ModuleSchema* find_module(const ModuleCatalog& catalog, std::string_view name) {
    for (const ModuleSchema& module : catalog)
        if (module.name == name) return &module;
    return nullptr;
}

}  // namespace conf
