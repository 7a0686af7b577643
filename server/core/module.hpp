// Module: what a feature module (server/modules/NAME.cpp) declares about
// itself, after ejabberd's gen_mod: its name, the specifications it
// implements (`xmqd version --features` and the README table come from
// these), its options (their types, defaults and ranges: the configuration
// checks [modules.NAME] against them), the modules and the services it
// needs, and the function that registers its handlers and hooks with the
// ModuleHost. A Module is a plain value, made once at start-up by the
// built-in catalog (server/modules/modules.hpp) and read-only afterwards.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "conf/modules_config.hpp"

namespace server {

class ModuleHost;
struct Services;

// A part of Services a module cannot work without. The module registry
// refuses to start a module whose service is missing, instead of the module
// quietly registering nothing.
enum class Service { stores, storage, sessions, router, accounts, xmq, account_deletion };

// "the stores (Services::stores)", for start-up errors.
std::string_view describe(Service service);

struct Protocol {
    std::string spec;   // "XEP-0199", "RFC 6120"
    std::string title;  // "XMPP Ping"
    // Where it is served when that is not the module's own handlers (the core
    // module declares what the HTTP listener serves: "http"); empty: the module.
    std::string served_by = {};
};

// Registers the module's handlers and hooks; `options` holds every option
// the module declared, at its configured value.
using ModuleLoad = void (*)(ModuleHost& host, Services& services, const conf::ModuleOptions& options);

struct Module {
    conf::ModuleSchema schema;  // name, options, module dependencies, always-on
    std::vector<Protocol> protocols = {};
    std::vector<Service> needs = {};
    ModuleLoad load = nullptr;
};

}  // namespace server
