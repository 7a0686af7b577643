// The feature modules of xmqd. Each module is one file that registers its
// iq handlers, disco features and protocols with the ModuleHost; this list is
// the only place that names them all.
#pragma once

#include "server/module_host.hpp"
#include "server/services.hpp"

namespace server::modules {

void register_core(ModuleHost& host, Services& services);
void register_disco(ModuleHost& host, Services& services);
void register_ping(ModuleHost& host, Services& services);
void register_version(ModuleHost& host, Services& services);

inline void register_all(ModuleHost& host, Services& services) {
    register_core(host, services);
    register_disco(host, services);
    register_ping(host, services);
    register_version(host, services);
}

}  // namespace server::modules
