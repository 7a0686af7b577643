// The feature modules of xmqd. Each module is one file that registers its
// iq handlers, disco features and protocols with the ModuleHost; this list is
// the only place that names them all.
#pragma once

#include "server/core/module_host.hpp"
#include "server/core/services.hpp"

namespace server::modules {

void register_core(ModuleHost& host, Services& services);
void register_disco(ModuleHost& host, Services& services);
void register_ping(ModuleHost& host, Services& services);
void register_version(ModuleHost& host, Services& services);
void register_im(ModuleHost& host, Services& services);  // roster + presence (im_context.cpp)
void register_offline(ModuleHost& host, Services& services);
void register_vcard(ModuleHost& host, Services& services);
void register_private_storage(ModuleHost& host, Services& services);
void register_entity_time(ModuleHost& host, Services& services);
void register_last_activity(ModuleHost& host, Services& services);
void register_account_disco(ModuleHost& host, Services& services);
void register_blocking(ModuleHost& host, Services& services);
void register_registration(ModuleHost& host, Services& services);  // XEP-0077 after authentication

inline void register_all(ModuleHost& host, Services& services) {
    register_core(host, services);
    register_disco(host, services);
    register_ping(host, services);
    register_version(host, services);
    register_im(host, services);
    register_offline(host, services);
    register_vcard(host, services);
    register_private_storage(host, services);
    register_entity_time(host, services);
    register_last_activity(host, services);
    register_account_disco(host, services);
    register_blocking(host, services);
    register_registration(host, services);
}

}  // namespace server::modules
