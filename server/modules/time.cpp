// Module "time", XEP-0202 Entity Time: the server's clock, in UTC (the
// offset is always +00:00: the server does not disclose its local time zone).
#include <chrono>

#include "server/modules/modules.hpp"
#include "server/router/router.hpp"
#include "xmpp/datetime.hpp"
#include "xmpp/namespaces.hpp"

namespace server::modules {

namespace {

void load_time(ModuleHost& host, Services&, const conf::ModuleOptions&) {
    const std::string ns(xmpp::ns::time);
    host.add_feature(IqTarget::host, ns);
    host.on_iq(IqTarget::host, "get", ns, [ns](IqRequest&& request, Router& router) {
        auto result = make_iq_result(request);
        auto& time = result.add_child(xmpp::Element("time", ns));
        time.add_child(xmpp::Element("tzo", ns)).add_text("+00:00");
        time.add_child(xmpp::Element("utc", ns)).add_text(xmpp::xep82_datetime_ms(std::chrono::system_clock::now()));
        router.send(result);
    });
}

}  // namespace

Module time_module() {
    return {
        .schema = {.name = "time"},
        .protocols = {{"XEP-0202", "Entity Time"}},
        .load = load_time,
    };
}

}  // namespace server::modules
