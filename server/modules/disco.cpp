// Module "disco", XEP-0030 Service Discovery. For the server's domain: its
// identity, the features every module registered, and as items the service
// domains under it (ModuleHost::add_service_domain), the external components
// (XEP-0114) connected now whose domain's parent it is (irc.HOST), and its
// XMQ queue routes. For a local account's bare JID, answered by the server
// on the account's behalf (RFC 6121 §8.5.1, XEP-0030 §3.1): the identity
// account/registered and the features modules registered for accounts; a JID
// that is no account of ours gets <service-unavailable/>. A node other than
// none is not served (item-not-found), except the nodes whose disco#info is
// the target's own (ModuleHost::add_info_node: the server's caps node
// NODE#VER, XEP-0115 §6.2), answered with that node named.
#include "server/core/storage_executor.hpp"
#include "server/modules/modules.hpp"
#include "server/router/component_table.hpp"
#include "server/router/router.hpp"
#include "xmpp/namespaces.hpp"
#include "xmq/engine.hpp"

namespace server::modules {

namespace {

bool has_node(const IqRequest& request, std::string_view xmlns) {
    const xmpp::Element* query = request.iq.child("query", xmlns);
    return query && query->attr("node");
}

// The node asked for, when the target serves its own disco#info there.
const std::string* info_node(const ModuleHost& host, IqTarget target, const IqRequest& request) {
    const xmpp::Element* query = request.iq.child("query", xmpp::ns::disco_info);
    const std::string* node = query ? query->attr("node") : nullptr;
    return node && host.is_info_node(target, *node) ? node : nullptr;
}

void load_host_disco(ModuleHost& host, Services& services) {
    host.add_identity(IqTarget::host, {"server", "im", "xmqd"});
    host.add_feature(IqTarget::host, std::string(xmpp::ns::disco_info));
    host.add_feature(IqTarget::host, std::string(xmpp::ns::disco_items));

    host.on_iq(IqTarget::host, "get", xmpp::ns::disco_info, [&host](IqRequest&& request, Router& router) {
        const std::string* node = info_node(host, IqTarget::host, request);
        if (!node && has_node(request, xmpp::ns::disco_info))
            return router.bounce(request.iq, xmpp::StanzaError::item_not_found);
        auto result = make_iq_result(request);
        auto& query = result.add_child(host.disco_info(IqTarget::host));
        if (node) query.set_attr("node", *node);
        router.send(result);
    });

    host.on_iq(IqTarget::host, "get", xmpp::ns::disco_items, [&host, &services](IqRequest&& request, Router& router) {
        if (has_node(request, xmpp::ns::disco_items))
            return router.bounce(request.iq, xmpp::StanzaError::item_not_found);
        auto result = make_iq_result(request);
        auto& query = result.add_child(xmpp::Element("query", std::string(xmpp::ns::disco_items)));
        for (const ServiceDomain* service : host.service_domains_of(request.to.domain())) {
            auto& item = query.add_child(xmpp::Element("item", std::string(xmpp::ns::disco_items)));
            item.set_attr("jid", service->domain);
            if (!service->name.empty()) item.set_attr("name", service->name);
        }
        if (services.components)
            for (const std::string& domain : services.components->domains()) {
                const auto dot = domain.find('.');
                if (dot != std::string::npos && std::string_view(domain).substr(dot + 1) == request.to.domain())
                    query.add_child(xmpp::Element("item", std::string(xmpp::ns::disco_items))).set_attr("jid", domain);
            }
        for (const auto& route : services.xmq->routes_of_host(request.to.domain()))
            query.add_child(xmpp::Element("item", std::string(xmpp::ns::disco_items))).set_attr("jid", route);
        router.send(result);
    });
}

void load_account_disco(ModuleHost& host, Services& services) {
    host.add_identity(IqTarget::account, {"account", "registered", ""});
    host.add_feature(IqTarget::account, std::string(xmpp::ns::disco_info));
    host.on_iq(IqTarget::account, "get", xmpp::ns::disco_info, [&host, &services](IqRequest&& request, Router& router) {
        if (has_node(request, xmpp::ns::disco_info))
            return router.bounce(request.iq, xmpp::StanzaError::item_not_found);
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

}  // namespace

Module disco_module() {
    return {
        .schema = {.name = "disco"},
        .protocols = {{"XEP-0030", "Service Discovery"}},
        .needs = {Service::xmq, Service::storage, Service::accounts},
        .load =
            [](ModuleHost& host, Services& services, const conf::ModuleOptions&) {
                load_host_disco(host, services);
                load_account_disco(host, services);
            },
    };
}

}  // namespace server::modules
