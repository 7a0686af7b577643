// Module "ping", XEP-0199 XMPP Ping: the server answers a ping addressed to it.
#include "server/modules/modules.hpp"
#include "server/router/router.hpp"
#include "xmpp/namespaces.hpp"

namespace server::modules {

Module ping_module() {
    return {
        .schema = {.name = "ping"},
        .protocols = {{"XEP-0199", "XMPP Ping"}},
        .load =
            [](ModuleHost& host, Services&, const conf::ModuleOptions&) {
                host.add_feature(IqTarget::host, std::string(xmpp::ns::ping));
                host.on_iq(IqTarget::host, "get", xmpp::ns::ping,
                           [](IqRequest&& request, Router& router) { router.send(make_iq_result(request)); });
            },
    };
}

}  // namespace server::modules
