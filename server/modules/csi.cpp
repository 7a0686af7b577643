// Module "csi", Client State Indication (XEP-0352, urn:xmpp:csi:0): the
// switch for what bound sessions do (server/c2s/csi_buffer.hpp): offers the
// stream feature <csi xmlns='urn:xmpp:csi:0'/> after authentication, and
// tells every session how many stanzas it may hold while its client is
// inactive ([modules.csi] max_held; past it, everything held goes out).
// Without this module a session treats <active/> and <inactive/> as the
// unknown elements they then are (<unsupported-stanza-type/>).
#include "server/modules/modules.hpp"
#include "xmpp/namespaces.hpp"

namespace server::modules {

Module csi_module() {
    return {
        .schema = {.name = "csi", .options = {{"max_held", 100, 1, 10000}}},
        .protocols = {{"XEP-0352", "Client State Indication: presence and chat states held while inactive"}},
        .load =
            [](ModuleHost& host, Services&, const conf::ModuleOptions& options) {
                host.session_settings().csi_max_held = static_cast<std::size_t>(options.integer("max_held"));
                host.add_stream_feature(xmpp::Element("csi", std::string(xmpp::ns::csi)));
            },
    };
}

}  // namespace server::modules
