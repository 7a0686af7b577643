// XEP-0030 Service Discovery for the server's domain: its identity, the
// features every module registered, and the XMQ queue routes under it as
// items. A node other than none is not served (item-not-found).
#include "server/modules/modules.hpp"
#include "server/router/router.hpp"
#include "xmpp/namespaces.hpp"
#include "xmq/engine.hpp"

namespace server::modules {

namespace {

bool has_node(const IqRequest& request, std::string_view xmlns) {
    const xmpp::Element* query = request.iq.child("query", xmlns);
    return query && query->attr("node");
}

}  // namespace

void register_disco(ModuleHost& host, Services& services) {
    host.declare_protocol({"XEP-0030", "Service Discovery", "disco"});
    host.add_identity(IqTarget::host, {"server", "im", "xmqd"});
    host.add_feature(IqTarget::host, std::string(xmpp::ns::disco_info));
    host.add_feature(IqTarget::host, std::string(xmpp::ns::disco_items));

    host.on_iq(IqTarget::host, "get", xmpp::ns::disco_info, [&host](IqRequest&& request, Router& router) {
        if (has_node(request, xmpp::ns::disco_info))
            return router.bounce(request.iq, xmpp::StanzaError::item_not_found);
        auto result = make_iq_result(request);
        result.add_child(host.disco_info(IqTarget::host));
        router.send(result);
    });

    host.on_iq(IqTarget::host, "get", xmpp::ns::disco_items, [&services](IqRequest&& request, Router& router) {
        if (has_node(request, xmpp::ns::disco_items))
            return router.bounce(request.iq, xmpp::StanzaError::item_not_found);
        auto result = make_iq_result(request);
        auto& query = result.add_child(xmpp::Element("query", std::string(xmpp::ns::disco_items)));
        if (services.xmq)
            for (const auto& route : services.xmq->routes_of_host(request.to.domain()))
                query.add_child(xmpp::Element("item", std::string(xmpp::ns::disco_items))).set_attr("jid", route);
        router.send(result);
    });
}

}  // namespace server::modules
