// Entity Time (XEP-0202): the server's clock, in UTC (the offset is always
// +00:00: the server does not disclose its local time zone).
#include <chrono>
#include <ctime>

#include "server/modules/modules.hpp"
#include "server/router.hpp"

namespace server::modules {

namespace {
constexpr std::string_view time_ns = "urn:xmpp:time";
}

void register_entity_time(ModuleHost& host, Services&) {
    host.declare_protocol({"XEP-0202", "Entity Time", "time"});
    host.add_feature(IqTarget::host, std::string(time_ns));
    host.on_iq(IqTarget::host, "get", time_ns, [](IqRequest&& request, Router& router) {
        const auto now = std::chrono::system_clock::now();
        const std::time_t t = std::chrono::system_clock::to_time_t(now);
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
        std::tm tm{};
        gmtime_r(&t, &tm);
        char utc[40];
        std::size_t n = std::strftime(utc, sizeof utc, "%Y-%m-%dT%H:%M:%S", &tm);
        std::snprintf(utc + n, sizeof utc - n, ".%03dZ", static_cast<int>(ms));
        auto result = make_iq_result(request);
        auto& time = result.add_child(xmpp::Element("time", std::string(time_ns)));
        time.add_child(xmpp::Element("tzo", std::string(time_ns))).add_text("+00:00");
        time.add_child(xmpp::Element("utc", std::string(time_ns))).add_text(utc);
        router.send(result);
    });
}

}  // namespace server::modules
