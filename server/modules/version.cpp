// Module "version", XEP-0092 Software Version: name and version of the
// server. The operating system is not disclosed (XEP-0092 §4 leaves it
// optional for privacy).
#include "server/modules/modules.hpp"
#include "server/router/router.hpp"
#include "server/system/version.hpp"
#include "xmpp/namespaces.hpp"

namespace server::modules {

namespace {

void load_version(ModuleHost& host, Services&, const conf::ModuleOptions&) {
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

}  // namespace

Module version_module() {
    return {
        .schema = {.name = "version"},
        .protocols = {{"XEP-0092", "Software Version"}},
        .load = load_version,
    };
}

}  // namespace server::modules
