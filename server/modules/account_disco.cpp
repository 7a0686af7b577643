// XEP-0030 disco#info of a local account's bare JID, answered by the server
// on the account's behalf (RFC 6121 §8.5.1, XEP-0030 §3.1): the identity
// account/registered and the features modules registered for accounts. A JID
// that is no account of ours gets <service-unavailable/>.
#include <memory>

#include "server/modules/modules.hpp"
#include "server/router/router.hpp"
#include "server/core/storage_executor.hpp"
#include "xmpp/namespaces.hpp"

namespace server::modules {

void register_account_disco(ModuleHost& host, Services& services) {
    if (!services.storage || !services.accounts) return;
    host.add_identity(IqTarget::account, {"account", "registered", ""});
    host.add_feature(IqTarget::account, std::string(xmpp::ns::disco_info));
    host.on_iq(IqTarget::account, "get", xmpp::ns::disco_info, [&host, &services](IqRequest&& request, Router& router) {
        const xmpp::Element* query = request.iq.child("query", xmpp::ns::disco_info);
        if (query && query->attr("node")) return router.bounce(request.iq, xmpp::StanzaError::item_not_found);
        auto work = [&host, &services, request = std::move(request), &router]() mutable {
            if (!services.accounts->find(request.to.local(), request.to.domain()))
                return router.bounce(request.iq, xmpp::StanzaError::service_unavailable);
            auto result = make_iq_result(request);
            result.add_child(host.disco_info(IqTarget::account));
            router.send(result);
        };
        services.storage->post(std::move(work));
    });
}

}  // namespace server::modules
