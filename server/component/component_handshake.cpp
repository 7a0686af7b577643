#include "server/component/component_handshake.hpp"

#include "xmpp/component.hpp"
#include "xmpp/namespaces.hpp"

namespace server {

namespace {

ComponentStanzaVerdict verdict_of(ComponentStanzaVerdict::Kind kind) {
    ComponentStanzaVerdict verdict;
    verdict.kind = kind;
    return verdict;
}

ComponentStanzaVerdict stream_error(xmpp::StreamError condition, std::string text) {
    ComponentStanzaVerdict verdict = verdict_of(ComponentStanzaVerdict::Kind::stream_error);
    verdict.stream_error = condition;
    verdict.text = std::move(text);
    return verdict;
}

// An error reply, or nothing for a stanza that must not be answered.
ComponentStanzaVerdict reply(const xmpp::Element& stanza, xmpp::StanzaError condition, std::string_view text = {}) {
    if (!xmpp::is_error_reply_allowed(stanza)) return verdict_of(ComponentStanzaVerdict::Kind::drop);
    ComponentStanzaVerdict verdict = verdict_of(ComponentStanzaVerdict::Kind::reply);
    verdict.reply = xmpp::make_error_reply(stanza, condition, text);
    return verdict;
}

}  // namespace

ComponentOpenVerdict check_component_header(const xmpp::StreamHeader& header, const conf::Config& config) {
    ComponentOpenVerdict verdict;
    if (header.default_ns != xmpp::ns::component_accept) {
        verdict.condition = xmpp::StreamError::invalid_namespace;
        verdict.text = "A component stream is in jabber:component:accept";
        return verdict;
    }
    auto domain = xmpp::Jid::normalize_domain(header.to);
    if (header.to.empty() || !domain) {
        verdict.text = "The stream header names no component domain";
        return verdict;
    }
    verdict.component = config.component(*domain);
    if (!verdict.component) verdict.text = "No component is configured for " + *domain;
    return verdict;
}

bool check_component_handshake(const xmpp::Element& element, std::string_view stream_id, std::string_view secret) {
    if (element.name() != "handshake" || element.xmlns() != xmpp::ns::component_accept) return false;
    return xmpp::component::handshake_matches(element.text(), stream_id, secret);
}

ComponentStanzaVerdict check_component_stanza(xmpp::Element& stanza, std::string_view domain) {
    const std::string& name = stanza.name();
    if (stanza.xmlns() != xmpp::ns::component_accept || (name != "message" && name != "presence" && name != "iq"))
        return stream_error(xmpp::StreamError::unsupported_stanza_type, "Unknown stanza " + name);
    xmpp::component::to_client_namespace(stanza);

    const std::string* from_attr = stanza.attr("from");
    auto from = from_attr ? xmpp::Jid::parse(*from_attr) : std::nullopt;
    if (!from || from->domain() != domain)
        return stream_error(xmpp::StreamError::invalid_from, "The from address is not in your domain");
    stanza.set_attr("from", from->full());

    const std::string* to_attr = stanza.attr("to");
    if (!to_attr) return stream_error(xmpp::StreamError::improper_addressing, "A stanza needs a to address");
    auto to = xmpp::Jid::parse(*to_attr);
    if (!to) {
        stanza.remove_attr("to");
        return reply(stanza, xmpp::StanzaError::jid_malformed);
    }

    if (name == "iq") {
        const std::string_view type = stanza.attr_or("type");
        const bool request = type == "get" || type == "set";
        if (!request && type != "result" && type != "error") {
            stanza.set_attr("type", "get");  // so that the error reply is allowed
            return reply(stanza, xmpp::StanzaError::bad_request, "Invalid iq type");
        }
        if (!stanza.attr("id")) {
            if (!request) return verdict_of(ComponentStanzaVerdict::Kind::drop);
            return reply(stanza, xmpp::StanzaError::bad_request, "An iq needs an id");
        }
    }
    ComponentStanzaVerdict verdict;
    verdict.from = std::move(from);
    verdict.to = std::move(to);
    return verdict;
}

}  // namespace server
