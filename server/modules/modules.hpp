// The built-in feature modules of xmqd. Each is one file in server/modules/
// named after the module (ping.cpp is module "ping") that declares itself as
// a Module (server/core/module.hpp): its name, specifications, options,
// dependencies, and the function registering its handlers and hooks.
// builtin_modules() is the one list naming them all, in load order (the
// order their hooks run in); a module cannot add itself to it from its own
// file, because the linker drops an object file of a static library that
// nothing refers to. Read-only after its first use: any thread.
#pragma once

#include "server/core/module.hpp"
#include "server/core/module_host.hpp"
#include "server/core/module_registry.hpp"
#include "server/core/services.hpp"

namespace server::modules {

const ModuleRegistry& builtin_modules();

Module core_module();
Module disco_module();
Module ping_module();
Module version_module();
Module roster_module();
Module presence_module();
Module offline_module();
Module mam_module();
Module vcard_module();
Module private_module();
Module time_module();
Module last_module();
Module stream_management_module();
Module blocking_module();
Module register_module();
Module carbons_module();
Module csi_module();
Module caps_module();
Module pep_module();
Module bookmarks_module();
Module pep_vcard_conversion_module();
Module external_services_module();
Module contact_addresses_module();
Module muc_module();
Module push_module();
Module http_upload_module();

}  // namespace server::modules
