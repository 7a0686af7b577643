#include "conf/modules_reader.hpp"

#include <algorithm>

namespace conf::detail {

namespace {

std::string in_quotes(std::string_view s) { return '"' + std::string(s) + '"'; }

std::string known_modules(const ModuleCatalog& catalog) {
    std::string names;
    for (const ModuleSchema& module : catalog) names += (names.empty() ? "" : ", ") + module.name;
    return "the modules are: " + names;
}

using Items = std::vector<TomlReader::StringItem>;

const TomlReader::StringItem* item_named(const Items& items, std::string_view name) {
    for (const auto& item : items)
        if (item.value == name) return &item;
    return nullptr;
}

// A list of module names; nullopt when the key is absent or not a list.
// Unknown and repeated names are reported and left out.
std::optional<Items> module_list(TomlReader& r, const toml::table& root, std::string_view key,
                                 const ModuleCatalog& catalog) {
    Items items;
    if (!r.string_array(root, "", key, items)) return std::nullopt;
    Items known;
    for (auto& item : items) {
        if (!find_module(catalog, item.value))
            r.error(*item.node, item.key,
                    "unknown module " + in_quotes(item.value) + " (" + known_modules(catalog) + ")");
        else if (item_named(known, item.value))
            r.error(*item.node, item.key, in_quotes(item.value) + " is listed twice");
        else
            known.push_back(std::move(item));
    }
    return known;
}

std::vector<std::string> names_of(const Items& items) {
    std::vector<std::string> names;
    for (const auto& item : items) names.push_back(item.value);
    return names;
}

// Each module that is on needs its dependencies on: the error goes where the
// file turned the dependency off (its modules_disabled entry), or where it
// turned the module on without it (its modules_enabled entry, else the list).
void check_dependencies(TomlReader& r, const toml::table& root, const ModuleCatalog& catalog,
                        const std::optional<Items>& enabled, const std::optional<Items>& disabled,
                        const ModulesConfig& chosen) {
    for (const ModuleSchema& module : catalog) {
        if (!chosen.is_on(module)) continue;
        const auto missing = missing_dependency(catalog, chosen, module);
        if (!missing) continue;
        const std::string why = module.always_on ? ", which is always on" : "";
        if (const auto* off = disabled ? item_named(*disabled, *missing) : nullptr) {
            r.error(*off->node, off->key,
                    in_quotes(*missing) + " is needed by " + in_quotes(module.name) + why +
                        (module.always_on ? "" : "; disable " + in_quotes(module.name) + " too"));
        } else if (const auto* on = enabled ? item_named(*enabled, module.name) : nullptr) {
            r.error(*on->node, on->key,
                    in_quotes(module.name) + " needs " + in_quotes(*missing) + "; enable it too");
        } else if (const toml::node* list = enabled ? root.get("modules_enabled") : nullptr) {
            r.error(*list, "modules_enabled",
                    in_quotes(module.name) + why + " needs " + in_quotes(*missing) + "; enable it too");
        }
    }
}

// An option written as one of its words: the word's index.
bool read_word(TomlReader& r, const toml::table& table, const std::string& path, const IntegerOption& option,
               std::int64_t& value) {
    std::string word;
    const toml::node* node = r.string(table, path, option.name, word);
    if (!node) return false;
    for (std::size_t i = 0; i < option.words.size(); ++i)
        if (option.words[i] == word) {
            value = static_cast<std::int64_t>(i);
            return true;
        }
    std::string expected;
    for (const auto& w : option.words) expected += (expected.empty() ? "" : ", ") + in_quotes(w);
    r.error(*node, TomlReader::join(path, option.name), "must be one of " + expected + " (got " + in_quotes(word) + ")");
    return false;
}

void read_options(TomlReader& r, const toml::table& root, const ModuleCatalog& catalog, ModulesConfig& out) {
    const toml::table* tables = r.table(root, "", "modules");
    if (!tables) return;
    for (const auto& [key, node] : *tables) {
        const std::string path = TomlReader::join("modules", key.str());
        const ModuleSchema* module = find_module(catalog, key.str());
        if (!module) {
            r.error(TomlReader::key_source(key, node), path, "unknown module (" + known_modules(catalog) + ")");
            continue;
        }
        const toml::table* table = r.table(*tables, "modules", key.str());
        if (!table) continue;
        std::vector<std::string> names;
        for (const IntegerOption& option : module->options) names.push_back(option.name);
        r.check_keys(*table, path, names);
        for (const IntegerOption& option : module->options) {
            std::int64_t value = 0;
            if (option.words.empty() ? r.integer(*table, path, option.name, option.min, option.max, value) != nullptr
                                     : read_word(r, *table, path, option, value))
                out.options[module->name][option.name] = value;
        }
    }
}

}  // namespace

void read_modules(TomlReader& r, const toml::table& root, const ModuleCatalog& catalog, ModulesConfig& out) {
    const auto enabled = module_list(r, root, "modules_enabled", catalog);
    const auto disabled = module_list(r, root, "modules_disabled", catalog);
    if (enabled && disabled) {
        r.error(*root.get("modules_disabled"), "modules_disabled",
                "set modules_enabled (the modules to run) or modules_disabled (the modules not to run), not both");
    } else if (enabled) {
        out.enabled = names_of(*enabled);
        check_dependencies(r, root, catalog, enabled, std::nullopt, out);
    } else if (disabled) {
        for (const auto& item : *disabled) {
            if (find_module(catalog, item.value)->always_on)
                r.error(*item.node, item.key,
                        in_quotes(item.value) + " is always on: the server cannot work without it");
            else
                out.disabled.push_back(item.value);
        }
        check_dependencies(r, root, catalog, std::nullopt, disabled, out);
    }
    read_options(r, root, catalog, out);
}

}  // namespace conf::detail
