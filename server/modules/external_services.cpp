// Module "external_services", XEP-0215 External Service Discovery
// (urn:xmpp:extdisco:2): the STUN and TURN servers of [[external_services]],
// for the audio and video calls of Conversations, Dino, Monal and Gajim. A
// TURN server with a shared secret gets time-limited credentials in the REST
// form coturn checks with use-auth-secret, made for each answer, in the
// <services/> list (where clients read them) and on a <credentials/>
// request. The secret stays in the configuration; it is never logged nor
// sent. Only the server's own users are answered (forbidden for anyone
// else). Nothing is advertised and nothing answered unless services are
// configured; the list is read once at start-up (a reload names it).
#include "server/modules/modules.hpp"
#include "server/router/router.hpp"
#include "xmpp/datetime.hpp"
#include "xmpp/external_services.hpp"
#include "xmpp/namespaces.hpp"

namespace server::modules {

namespace {

void load_external_services(ModuleHost& host, Services& services, const conf::ModuleOptions&) {
    const auto config = services.current_config();
    if (config->external_services.empty()) return;
    host.add_feature(IqTarget::host, std::string(xmpp::ns::extdisco));
    host.on_iq(IqTarget::host, "get", xmpp::ns::extdisco, [config](IqRequest&& request, Router& router) {
        if (!config->serves_host(request.from.domain())) return router.bounce(request.iq, xmpp::StanzaError::forbidden);
        const xmpp::Element* payload = request.iq.child_ns(xmpp::ns::extdisco);
        const std::int64_t now = xmpp::unix_seconds_now();
        const std::string user = request.from.bare().full();
        if (!payload || (payload->name() != "services" && payload->name() != "credentials"))
            return router.bounce(request.iq, xmpp::StanzaError::bad_request);
        auto answer = payload->name() == "services"
                          ? xmpp::extdisco::answer_services(*payload, config->external_services, now, user)
                          : xmpp::extdisco::answer_credentials(*payload, config->external_services, now, user);
        if (!answer.ok()) return router.bounce(request.iq, answer.error());
        auto result = make_iq_result(request);
        result.add_child(std::move(answer.value()));
        router.send(result);
    });
}

}  // namespace

Module external_services_module() {
    return {
        .schema = {.name = "external_services"},
        .protocols = {{"XEP-0215", "External Service Discovery"}},
        .load = load_external_services,
    };
}

}  // namespace server::modules
