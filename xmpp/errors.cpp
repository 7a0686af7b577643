#include "xmpp/errors.hpp"

#include <array>

#include "xmpp/namespaces.hpp"
#include "xmpp/serializer.hpp"

namespace xmpp {
namespace {

// Indexed by the enum values; the order must follow the declarations in errors.hpp.
constexpr std::array<std::string_view, 25> kStreamNames = {
    "bad-format", "bad-namespace-prefix", "conflict", "connection-timeout", "host-gone",
    "host-unknown", "improper-addressing", "internal-server-error", "invalid-from",
    "invalid-namespace", "invalid-xml", "not-authorized", "not-well-formed", "policy-violation",
    "remote-connection-failed", "reset", "resource-constraint", "restricted-xml",
    "see-other-host", "system-shutdown", "undefined-condition", "unsupported-encoding",
    "unsupported-feature", "unsupported-stanza-type", "unsupported-version",
};
static_assert(static_cast<std::size_t>(StreamError::unsupported_version) + 1 == kStreamNames.size());

struct StanzaInfo {
    std::string_view name;
    ErrorType type;  // RFC 6120 §8.3.3: the type each condition "SHOULD" carry
};

constexpr std::array<StanzaInfo, 22> kStanzaInfo = {{
    {"bad-request", ErrorType::modify},
    {"conflict", ErrorType::cancel},
    {"feature-not-implemented", ErrorType::cancel},
    {"forbidden", ErrorType::auth},
    {"gone", ErrorType::cancel},
    {"internal-server-error", ErrorType::cancel},
    {"item-not-found", ErrorType::cancel},
    {"jid-malformed", ErrorType::modify},
    {"not-acceptable", ErrorType::modify},
    {"not-allowed", ErrorType::cancel},
    {"not-authorized", ErrorType::auth},
    {"policy-violation", ErrorType::modify},
    {"recipient-unavailable", ErrorType::wait},
    {"redirect", ErrorType::modify},
    {"registration-required", ErrorType::auth},
    {"remote-server-not-found", ErrorType::cancel},
    {"remote-server-timeout", ErrorType::wait},
    {"resource-constraint", ErrorType::wait},
    {"service-unavailable", ErrorType::cancel},
    {"subscription-required", ErrorType::auth},
    {"undefined-condition", ErrorType::cancel},  // any type allowed; cancel is the safe one
    {"unexpected-request", ErrorType::wait},
}};
static_assert(static_cast<std::size_t>(StanzaError::unexpected_request) + 1 == kStanzaInfo.size());

}  // namespace

std::string_view to_string(StreamError e) { return kStreamNames[static_cast<std::size_t>(e)]; }

std::string_view to_string(StanzaError e) { return kStanzaInfo[static_cast<std::size_t>(e)].name; }

std::string_view to_string(ErrorType t) {
    switch (t) {
        case ErrorType::auth: return "auth";
        case ErrorType::cancel: return "cancel";
        case ErrorType::continue_: return "continue";
        case ErrorType::modify: return "modify";
        case ErrorType::wait: return "wait";
    }
    return "cancel";
}

std::optional<StanzaError> stanza_error_from_string(std::string_view s) {
    for (std::size_t i = 0; i < kStanzaInfo.size(); ++i) {
        if (kStanzaInfo[i].name == s) return static_cast<StanzaError>(i);
    }
    return std::nullopt;
}

ErrorType default_type(StanzaError e) { return kStanzaInfo[static_cast<std::size_t>(e)].type; }

std::string stream_error_xml(StreamError e, std::string_view text) {
    std::string out;
    out.reserve(128 + text.size());
    out += "<stream:error><";
    out += to_string(e);
    out += " xmlns='";
    out += ns::streams;
    out += "'/>";
    if (!text.empty()) {
        out += "<text xmlns='";
        out += ns::streams;
        out += "'>";
        escape_text(text, out);
        out += "</text>";
    }
    out += "</stream:error>";
    return out;
}

Element stanza_error_element(StanzaError e, std::string_view text, std::optional<ErrorType> type) {
    Element error("error");
    error.append_attr("type", std::string(to_string(type.value_or(default_type(e)))));
    error.add_child(Element(std::string(to_string(e)), std::string(ns::stanzas)));
    if (!text.empty()) {
        Element t("text", std::string(ns::stanzas));
        t.add_text(std::string(text));
        error.add_child(std::move(t));
    }
    return error;
}

Element make_error_reply(const Element& stanza, StanzaError e, std::string_view text,
                         std::optional<ErrorType> type) {
    Element reply(stanza.name(), stanza.xmlns());
    const std::string* to = stanza.attr("to");
    const std::string* from = stanza.attr("from");
    // The original's sender becomes the addressee; without a 'to' the stanza
    // was for the server itself, which then answers without a 'from'.
    if (from) reply.append_attr("to", *from);
    if (to) reply.append_attr("from", *to);
    for (const auto& a : stanza.attributes()) {
        if (a.name == "to" || a.name == "from" || a.name == "type") continue;
        reply.append_attr(a.name, a.value);
    }
    reply.append_attr("type", "error");
    reply.children().reserve(stanza.children().size() + 1);
    for (const auto& c : stanza.children()) {
        if (!c.is_text() && c.name() == "error") continue;  // never two <error/>
        reply.children().push_back(c);
    }
    Element error = stanza_error_element(e, text, type);
    error.set_xmlns(stanza.xmlns());  // as a parser would resolve it
    reply.add_child(std::move(error));
    return reply;
}

bool is_error_reply_allowed(const Element& stanza) {
    std::string_view type = stanza.attr_or("type");
    if (type == "error") return false;
    if (type == "result" && stanza.name() == "iq") return false;
    return true;
}

}  // namespace xmpp
