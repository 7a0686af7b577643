#include "server/c2s/sm_protocol.hpp"

#include <algorithm>
#include <charconv>

#include "xmpp/namespaces.hpp"
#include "xmpp/serializer.hpp"

namespace server::sm {

namespace {

bool is_true(std::string_view value) { return value == "true" || value == "1"; }

std::string element(std::string_view name) {
    return "<" + std::string(name) + " xmlns='" + std::string(xmpp::ns::sm) + "'";
}

}  // namespace

bool is_nonza(const xmpp::Element& element) { return element.xmlns() == xmpp::ns::sm; }

std::optional<std::uint32_t> parse_counter(std::string_view text) {
    if (text.empty() || text.size() > 10) return std::nullopt;
    std::uint64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value > 0xffffffffULL) return std::nullopt;
    return static_cast<std::uint32_t>(value);
}

Nonza parse(const xmpp::Element& element) {
    Nonza nonza;
    if (!is_nonza(element)) return nonza;
    const std::string& name = element.name();
    if (name == "enable") {
        nonza.kind = Nonza::Kind::enable;
        nonza.resume = is_true(element.attr_or("resume"));
        if (const std::string* max = element.attr("max")) nonza.max = parse_counter(*max);
    } else if (name == "r") {
        nonza.kind = Nonza::Kind::request;
    } else if (name == "a" || name == "resume") {
        const auto h = parse_counter(element.attr_or("h"));
        if (!h) return nonza;
        nonza.h = *h;
        nonza.kind = name == "a" ? Nonza::Kind::ack : Nonza::Kind::resume;
        if (nonza.kind == Nonza::Kind::resume) {
            nonza.previd = element.attr_or("previd");
            if (nonza.previd.empty()) nonza.kind = Nonza::Kind::unknown;
        }
    }
    return nonza;
}

AckCheck check_ack(std::uint32_t last_acked, std::uint32_t h, std::uint32_t sent) {
    const std::uint32_t advance = h - last_acked;  // modulo 2^32
    if (static_cast<std::int32_t>(advance) < 0) return AckCheck::stale;
    return advance <= sent - last_acked ? AckCheck::ok : AckCheck::too_high;
}

std::chrono::seconds resume_timeout(std::optional<std::uint32_t> requested, std::chrono::seconds server_max) {
    if (!requested || *requested == 0) return server_max;
    return std::min(std::chrono::seconds(*requested), server_max);
}

std::string enabled(std::string_view id, std::chrono::seconds max) {
    std::string out = element("enabled");
    if (!id.empty()) {
        out += " id='";
        xmpp::escape_attr(id, out);
        out += "' resume='true' max='" + std::to_string(max.count()) + "'";
    }
    return out + "/>";
}

std::string resumed(std::string_view previd, std::uint32_t h) {
    std::string out = element("resumed") + " previd='";
    xmpp::escape_attr(previd, out);
    return out + "' h='" + std::to_string(h) + "'/>";
}

std::string failed(xmpp::StanzaError condition, std::optional<std::uint32_t> h) {
    std::string out = element("failed");
    if (h) out += " h='" + std::to_string(*h) + "'";
    return out + "><" + std::string(xmpp::to_string(condition)) + " xmlns='" + std::string(xmpp::ns::stanzas) +
           "'/></failed>";
}

std::string ack(std::uint32_t h) { return element("a") + " h='" + std::to_string(h) + "'/>"; }

std::string request() { return element("r") + "/>"; }

std::string handled_count_too_high(std::uint32_t h, std::uint32_t sent) {
    return "<stream:error><undefined-condition xmlns='" + std::string(xmpp::ns::streams) + "'/>" +
           element("handled-count-too-high") + " h='" + std::to_string(h) + "' send-count='" + std::to_string(sent) +
           "'/><text xmlns='" + std::string(xmpp::ns::streams) +
           "'>You acknowledged more stanzas than were sent</text></stream:error>";
}

}  // namespace server::sm
