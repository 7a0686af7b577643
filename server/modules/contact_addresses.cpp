// Module "contact_addresses", XEP-0157 Contact Addresses for XMPP Services:
// the operators' addresses of [contact_addresses] (abuse, admin, feedback,
// sales, security, support) as the serverinfo form in the disco#info of
// every served host, where clients and the XMPP Providers list read them.
// Nothing is added when none are configured; they are read once at start-up
// (the caps module hashes the server's disco#info with them).
#include "server/modules/modules.hpp"
#include "xmpp/contact_addresses.hpp"

namespace server::modules {

Module contact_addresses_module() {
    return {
        .schema = {.name = "contact_addresses"},
        .protocols = {{"XEP-0157", "Contact Addresses for XMPP Services"}},
        .load =
            [](ModuleHost& host, Services& services, const conf::ModuleOptions&) {
                const auto config = services.current_config();
                if (config->contact_addresses.empty()) return;
                host.add_info_form(IqTarget::host, xmpp::contact::serverinfo_form(config->contact_addresses));
            },
    };
}

}  // namespace server::modules
