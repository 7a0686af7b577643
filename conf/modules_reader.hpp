// Reads the module keys of a configuration file: modules_enabled,
// modules_disabled and the [modules.NAME] tables, checked against the
// catalog of modules the caller passed (modules_config.hpp says what each
// key means). Internal to conf/: the config loader is its only user, on the
// thread that loads.
#pragma once

#include <toml++/toml.h>

#include "conf/modules_config.hpp"
#include "conf/toml_reader.hpp"

namespace conf::detail {

void read_modules(TomlReader& reader, const toml::table& root, const ModuleCatalog& catalog, ModulesConfig& out);

}  // namespace conf::detail
