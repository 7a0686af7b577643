// XEP-0092 Software Version: name and version of the server. The operating
// system is not disclosed (XEP-0092 §4 leaves it optional for privacy).
#include "server/modules/modules.hpp"
#include "server/router/router.hpp"
#include "server/system/version.hpp"
#include "xmpp/namespaces.hpp"

namespace server::modules {

void register_version(ModuleHost& host, Services&) {
    host.declare_protocol({"XEP-0092", "Software Version", "version"});
    host.add_feature(IqTarget::host, std::string(xmpp::ns::version));
    host.on_iq(IqTarget::host, "get", xmpp::ns::version, [](IqRequest&& request, Router& router) {
        auto result = make_iq_result(request);
        xmpp::Element query("query", std::string(xmpp::ns::version));
        query.add_child(xmpp::Element("name", std::string(xmpp::ns::version))).add_text("xmqd");
        query.add_child(xmpp::Element("version", std::string(xmpp::ns::version))).add_text(std::string(xmqd_version));
        result.add_child(std::move(query));
        router.send(result);
    });
}

}  // namespace server::modules
