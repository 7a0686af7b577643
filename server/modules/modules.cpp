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
        // Before offline: it notifies the app servers of a message offline
        // storage then keeps (its hook takes the message).
        push_module(),
        offline_module(),
        // Before carbons (XEP-0280): the archive stamps the stanza-id on a
        // routed message before any copy of it is made.
        mam_module(),
        vcard_module(),
        private_module(),
        time_module(),
        last_module(),
        blocking_module(),
        register_module(),
        carbons_module(),
        csi_module(),
        stream_management_module(),
        caps_module(),
        // After caps: PEP filters its notifications by the cache caps fills.
        pep_module(),
        // After pep: they convert other views into PEP items and back.
        bookmarks_module(),
        pep_vcard_conversion_module(),
        external_services_module(),
        contact_addresses_module(),
        muc_module(),
        http_upload_module(),
    });
    return registry;
}

}  // namespace server::modules
