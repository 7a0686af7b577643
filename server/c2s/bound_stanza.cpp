#include "server/c2s/bound_stanza.hpp"

#include "xmpp/namespaces.hpp"

namespace server {

namespace {

BoundStanzaVerdict verdict_of(BoundStanzaVerdict::Kind kind) {
    BoundStanzaVerdict verdict;
    verdict.kind = kind;
    return verdict;
}

BoundStanzaVerdict reply(xmpp::Element answer) {
    BoundStanzaVerdict verdict = verdict_of(BoundStanzaVerdict::Kind::reply);
    verdict.reply = std::move(answer);
    return verdict;
}

BoundStanzaVerdict stream_error(xmpp::StreamError condition, std::string text) {
    BoundStanzaVerdict verdict = verdict_of(BoundStanzaVerdict::Kind::stream_error);
    verdict.stream_error = condition;
    verdict.text = std::move(text);
    return verdict;
}

}  // namespace

BoundStanzaVerdict check_bound_stanza(xmpp::Element& stanza, const xmpp::Jid& full,
                                      const std::function<bool(std::string_view domain)>& is_queue_route) {
    const std::string& name = stanza.name();
    if (stanza.xmlns() != xmpp::ns::client || (name != "message" && name != "presence" && name != "iq"))
        return stream_error(xmpp::StreamError::unsupported_stanza_type, "Unknown stanza " + name);

    // RFC 6120 §8.1.2.1: a 'from' other than our own full or bare JID is refused.
    if (const std::string* from = stanza.attr("from")) {
        auto claimed = xmpp::Jid::parse(*from);
        if (!claimed || (*claimed != full && *claimed != full.bare()))
            return stream_error(xmpp::StreamError::invalid_from, "The from address is not yours");
    }
    stanza.set_attr("from", full.full());

    std::optional<xmpp::Jid> to;
    if (const std::string* to_attr = stanza.attr("to")) {
        to = xmpp::Jid::parse(*to_attr);
        if (!to) {
            stanza.remove_attr("to");
            if (!xmpp::is_error_reply_allowed(stanza)) return verdict_of(BoundStanzaVerdict::Kind::drop);
            return reply(xmpp::make_error_reply(stanza, xmpp::StanzaError::jid_malformed));
        }
    }

    if (name == "iq") {
        const std::string_view type = stanza.attr_or("type");
        const bool request = type == "get" || type == "set";
        if (!request && type != "result" && type != "error") {
            stanza.set_attr("type", "get");  // so that the error reply is allowed
            return reply(xmpp::make_error_reply(stanza, xmpp::StanzaError::bad_request, "Invalid iq type"));
        }
        if (!stanza.attr("id")) {
            if (!request) return verdict_of(BoundStanzaVerdict::Kind::drop);
            return reply(xmpp::make_error_reply(stanza, xmpp::StanzaError::bad_request, "An iq needs an id"));
        }
        // RFC 6120 §8.2.3: exactly one payload in a request; XMQ queue routes
        // take two (payload and topic), so they are let through.
        const bool to_queue = to && is_queue_route(to->domain());
        if (request && stanza.element_count() != 1 && !to_queue)
            return reply(xmpp::make_error_reply(stanza, xmpp::StanzaError::bad_request,
                                                "An iq request carries exactly one payload"));
        // The legacy session establishment (RFC 3921), kept for old clients.
        if (request && stanza.child("session", xmpp::ns::session) &&
            (!to || (to->local().empty() && to->domain() == full.domain()))) {
            xmpp::Element result("iq", std::string(xmpp::ns::client));
            result.set_attr("type", "result");
            result.set_attr("id", *stanza.attr("id"));
            result.set_attr("to", full.full());
            return reply(std::move(result));
        }
    }
    BoundStanzaVerdict verdict;
    verdict.to = std::move(to);
    return verdict;
}

}  // namespace server
