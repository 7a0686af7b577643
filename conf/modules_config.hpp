// What the configuration knows about feature modules. conf/ does not know
// which modules exist (they live in server/modules/): whoever loads a file
// passes the catalog, each module's ModuleSchema (its name, its options with
// their defaults and ranges, the modules it needs, whether the server cannot
// work without it), declared by the module itself. Against it the loader
// checks the top-level keys modules_enabled and modules_disabled and each
// [modules.NAME] table, with the same file:line:column errors as every other
// key, and keeps what the file chose in a ModulesConfig.
//
// Which modules are on:
//   neither key          every module;
//   modules_disabled     every module but these;
//   modules_enabled      exactly these;
// and in every case the always-on ones. Setting both keys, naming an unknown
// module, disabling an always-on module, or leaving off a module that an
// enabled one needs are errors.
//
// Plain values and pure functions; any thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace conf {

// An option whose value is an integer in [min, max]; or, when `words` is
// set, a word: the file says one of `words` (anything else is an error naming
// them) and the module reads its index (min 0, max words.size() - 1).
struct IntegerOption {
    std::string name;
    std::int64_t default_value = 0;
    std::int64_t min = 0;
    std::int64_t max = 0;
    std::vector<std::string> words = {};
};

struct ModuleSchema {
    std::string name;                    // "blocking": its table is [modules.blocking]
    std::vector<IntegerOption> options = {};  // in the order they are documented
    std::vector<std::string> depends = {};    // modules that must be on while this one is
    bool always_on = false;              // the server cannot work without it
};

using ModuleCatalog = std::vector<ModuleSchema>;

// What a file chose; module names and option values are already checked
// against the catalog it was loaded with.
struct ModulesConfig {
    std::optional<std::vector<std::string>> enabled;  // modules_enabled, when set
    std::vector<std::string> disabled;                // modules_disabled
    // [modules.NAME] tables: option name -> value, only the options the file sets.
    std::map<std::string, std::map<std::string, std::int64_t>> options;

    // Whether `module` runs under this choice.
    bool is_on(const ModuleSchema& module) const;

    friend bool operator==(const ModulesConfig&, const ModulesConfig&) = default;
};

// The values of one module's options: each option it declares, as the file
// set it or else its default.
class ModuleOptions {
public:
    ModuleOptions() = default;
    explicit ModuleOptions(std::map<std::string, std::int64_t, std::less<>> values) : values_(std::move(values)) {}

    // Throws std::logic_error for an option the module did not declare: a
    // bug in the module, found the first time the server starts.
    std::int64_t integer(std::string_view name) const;

    friend bool operator==(const ModuleOptions&, const ModuleOptions&) = default;

private:
    std::map<std::string, std::int64_t, std::less<>> values_;
};

ModuleOptions options_of(const ModuleSchema& module, const ModulesConfig& config);

// The first module `module` depends on that is not on under `config`, if any.
std::optional<std::string> missing_dependency(const ModuleCatalog& catalog, const ModulesConfig& config,
                                              const ModuleSchema& module);

const ModuleSchema* find_module(const ModuleCatalog& catalog, std::string_view name);

}  // namespace conf
