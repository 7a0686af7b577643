#include "server/modules/modules.hpp"

namespace server::modules {

const ModuleRegistry& builtin_modules() {
    static const ModuleRegistry registry({
        core_module(),
        disco_module(),
        ping_module(),
        version_module(),
        roster_module(),
        presence_module(),
        offline_module(),
        vcard_module(),
        private_module(),
        time_module(),
        last_module(),
        blocking_module(),
        register_module(),
        carbons_module(),  // after mam (stanza-id stamped first, XEP-0359), when it is there
        csi_module(),
    });
    return registry;
}

}  // namespace server::modules
