// Entity Time (XEP-0202): the server's clock, in UTC (the offset is always
// +00:00: the server does not disclose its local time zone).
#include <chrono>
#include <ctime>

#include "server/modules/modules.hpp"
#include "server/router/router.hpp"
#include "xmpp/datetime.hpp"

namespace server::modules {

namespace {
constexpr std::string_view time_ns = "urn:xmpp:time";
}

void register_entity_time(ModuleHost& host, Services&) {
    host.declare_protocol({"XEP-0202", "Entity Time", "time"});
    host.add_feature(IqTarget::host, std::string(time_ns));
    host.on_iq(IqTarget::host, "get", time_ns, [](IqRequest&& request, Router& router) {
        auto result = make_iq_result(request);
        auto& time = result.add_child(xmpp::Element("time", std::string(time_ns)));
        time.add_child(xmpp::Element("tzo", std::string(time_ns))).add_text("+00:00");
        time.add_child(xmpp::Element("utc", std::string(time_ns))).add_text(xmpp::xep82_datetime_ms(std::chrono::system_clock::now()));
        router.send(result);
    });
}

}  // namespace server::modules
