#include "server/s2s/s2s_negotiation_machine.hpp"

#include "xmpp/namespaces.hpp"

namespace server {

namespace {

S2sStep step(S2sStep::Kind kind) {
    S2sStep s;
    s.kind = kind;
    return s;
}

S2sStep fail(xmpp::StreamError condition, std::string text) {
    S2sStep s = step(S2sStep::Kind::stream_error);
    s.error = condition;
    s.text = std::move(text);
    return s;
}

std::optional<std::string> domain_attr(const xmpp::Element& element, std::string_view name) {
    const std::string* value = element.attr(name);
    if (!value || value->empty()) return std::nullopt;
    return xmpp::Jid::normalize_domain(*value);
}

// Stanzas on an s2s stream are in jabber:server; inside the server, jabber:client.
void to_client_namespace(xmpp::Element& element) {
    if (element.is_text()) return;
    if (element.xmlns() == xmpp::ns::server) element.set_xmlns(std::string(xmpp::ns::client));
    for (xmpp::Element& child : element.children()) to_client_namespace(child);
}

S2sStep header_error(const xmpp::StreamHeader& header) {
    if (header.default_ns != xmpp::ns::server)
        return fail(xmpp::StreamError::invalid_namespace, "A server-to-server stream is in jabber:server");
    if (header.version.empty() || header.version[0] != '1')
        return fail(xmpp::StreamError::unsupported_version, "Version 1.0 is required");
    return step(S2sStep::Kind::ignore);
}

bool is_stanza_name(const std::string& name) { return name == "message" || name == "presence" || name == "iq"; }

}  // namespace

// ---- incoming -------------------------------------------------------------

S2sStep S2sIncomingMachine::on_header(const xmpp::StreamHeader& header, bool secure) {
    if (S2sStep bad = header_error(header); bad.kind != S2sStep::Kind::ignore) return bad;
    auto to = xmpp::Jid::normalize_domain(header.to);
    if (header.to.empty() || !to || !is_local_(*to))
        return fail(xmpp::StreamError::host_unknown, "This server does not serve " + header.to);
    opened_ = true;
    S2sStep s = step(S2sStep::Kind::send_features);
    s.local = *to;
    s.valid = secure;
    return s;
}

S2sStep S2sIncomingMachine::on_element(xmpp::Element& element, bool secure) {
    if (!opened_) return fail(xmpp::StreamError::not_authorized, "No stream is open");
    const std::string& name = element.name();
    const std::string& ns = element.xmlns();
    if (name == "starttls" && ns == xmpp::ns::tls) {
        if (secure) return fail(xmpp::StreamError::policy_violation, "STARTTLS is not offered now");
        opened_ = false;  // a new stream follows the handshake
        return step(S2sStep::Kind::proceed_tls);
    }
    if (require_tls_ && !secure) return fail(xmpp::StreamError::policy_violation, "TLS is required first");
    if (ns == xmpp::ns::dialback) {
        const auto from = domain_attr(element, "from");
        const auto to = domain_attr(element, "to");
        if (!to || !is_local_(*to)) return fail(xmpp::StreamError::host_unknown, "Not a domain of this server");
        if (!from) return fail(xmpp::StreamError::invalid_from, "A dialback element needs a from domain");
        if (element.attr("type")) {
            // A verdict on this, the incoming stream: not a thing a peer sends here.
            return fail(xmpp::StreamError::unsupported_stanza_type, "Dialback answers go on the other stream");
        }
        S2sStep s;
        s.local = *to;
        s.remote = *from;
        s.key = element.text();
        if (name == "result") {
            if (s.key.empty()) return fail(xmpp::StreamError::not_authorized, "A dialback claim needs a key");
            s.kind = S2sStep::Kind::verify_claim;
            // Asked again for a pair already accepted: the verdict stands.
            if (accepted_.count({s.local, s.remote})) s.kind = S2sStep::Kind::claim_accepted;
            else if (!pending_.insert({s.local, s.remote}).second)
                return fail(xmpp::StreamError::conflict, "That claim is being verified already");
            return s;
        }
        if (name == "verify") {
            const std::string* id = element.attr("id");
            if (!id || id->empty()) return fail(xmpp::StreamError::invalid_xml, "db:verify needs an id");
            s.kind = S2sStep::Kind::answer_verify;
            s.id = *id;
            return s;
        }
        return fail(xmpp::StreamError::unsupported_stanza_type, "Unknown dialback element " + name);
    }
    if (ns == xmpp::ns::server && is_stanza_name(name)) return stanza(element);
    return fail(xmpp::StreamError::unsupported_stanza_type, "Unknown element " + name);
}

void S2sIncomingMachine::claim_decided(const std::string& local, const std::string& remote, bool valid) {
    pending_.erase({local, remote});
    if (valid) accepted_.insert({local, remote});
}

S2sStep S2sIncomingMachine::stanza(xmpp::Element& element) {
    const std::string* from_attr = element.attr("from");
    const std::string* to_attr = element.attr("to");
    auto from = from_attr ? xmpp::Jid::parse(*from_attr) : std::nullopt;
    auto to = to_attr ? xmpp::Jid::parse(*to_attr) : std::nullopt;
    if (!from || !to)
        return fail(xmpp::StreamError::improper_addressing, "A server-to-server stanza needs from and to");
    if (!is_local_(to->domain())) return fail(xmpp::StreamError::host_unknown, "Not a domain of this server");
    if (!accepted_.count({to->domain(), from->domain()}))
        return fail(xmpp::StreamError::invalid_from, "The from domain is not authenticated on this stream");
    if (element.name() == "iq") {
        const std::string_view type = element.attr_or("type");
        if (type != "get" && type != "set" && type != "result" && type != "error")
            return fail(xmpp::StreamError::invalid_xml, "Invalid iq type");
        if (!element.attr("id")) return fail(xmpp::StreamError::invalid_xml, "An iq needs an id");
    }
    to_client_namespace(element);
    element.set_attr("from", from->full());
    element.set_attr("to", to->full());
    S2sStep s = step(S2sStep::Kind::stanza);
    s.local = to->domain();
    s.remote = from->domain();
    return s;
}

// ---- outgoing -------------------------------------------------------------

S2sStep S2sOutgoingMachine::on_header(const xmpp::StreamHeader& header) {
    if (S2sStep bad = header_error(header); bad.kind != S2sStep::Kind::ignore) return bad;
    if (header.id.empty()) return fail(xmpp::StreamError::invalid_xml, "Dialback needs a stream id");
    stream_id_ = header.id;
    state_ = State::features;
    return step(S2sStep::Kind::ignore);
}

S2sStep S2sOutgoingMachine::on_element(xmpp::Element& element, bool secure) {
    const std::string& name = element.name();
    const std::string& ns = element.xmlns();
    if (ns == xmpp::ns::dialback && name == "verify") {
        const std::string* id = element.attr("id");
        const std::string_view type = element.attr_or("type");
        if (!id || (type != "valid" && type != "invalid" && type != "error"))
            return fail(xmpp::StreamError::invalid_xml, "A db:verify answer needs an id and a type");
        S2sStep s = step(S2sStep::Kind::verify_answered);
        s.id = *id;
        s.valid = type == "valid";
        s.remote = domain_attr(element, "from").value_or("");
        s.local = domain_attr(element, "to").value_or("");
        return s;
    }
    switch (state_) {
    case State::header:
        return fail(xmpp::StreamError::not_authorized, "No stream is open");
    case State::features: {
        if (name != "features" || ns != xmpp::ns::stream)
            return fail(xmpp::StreamError::not_authorized, "Stream features were expected");
        if (!secure && element.child("starttls", xmpp::ns::tls)) {
            state_ = State::proceed;
            return step(S2sStep::Kind::request_tls);
        }
        if (!secure && require_tls_)
            return fail(xmpp::StreamError::policy_violation, "This server requires TLS, and the peer offers none");
        can_verify_ = true;
        state_ = State::result;
        S2sStep s = step(S2sStep::Kind::send_dialback);
        s.local = local_;
        s.remote = remote_;
        s.id = stream_id_;
        return s;
    }
    case State::proceed:
        if (name == "proceed" && ns == xmpp::ns::tls) {
            state_ = State::header;
            return step(S2sStep::Kind::start_tls);
        }
        return fail(xmpp::StreamError::policy_violation, "The peer refused STARTTLS");
    case State::result:
        if (name == "result" && ns == xmpp::ns::dialback) {
            if (domain_attr(element, "from") != remote_ || domain_attr(element, "to") != local_)
                return fail(xmpp::StreamError::invalid_from, "A dialback verdict for other domains");
            const bool valid = element.attr_or("type") == "valid";
            state_ = valid ? State::established : State::result;
            S2sStep s = step(valid ? S2sStep::Kind::established : S2sStep::Kind::rejected);
            s.local = local_;
            s.remote = remote_;
            return s;
        }
        break;
    case State::established:
        break;
    }
    return fail(xmpp::StreamError::unsupported_stanza_type, "Nothing but dialback answers on this stream");
}

}  // namespace server
