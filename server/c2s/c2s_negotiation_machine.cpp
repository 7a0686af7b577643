#include "server/c2s/c2s_negotiation_machine.hpp"

#include "xmpp/in_band_registration.hpp"
#include "xmpp/jid.hpp"
#include "xmpp/namespaces.hpp"

namespace server {

namespace {

using State = C2sNegotiationMachine::State;
using Verdict = C2sNegotiationMachine::Verdict;

// RFC 6120 §4.7.5: we speak 1.0; a major version other than 1 is refused.
bool version_supported(std::string_view version) {
    if (version.empty()) return false;  // a pre-XMPP 1.0 stream
    return version.substr(0, version.find('.')) == "1";
}

}  // namespace

C2sNegotiationMachine::Event C2sNegotiationMachine::event_of(const xmpp::Element& element) {
    const std::string& name = element.name();
    const std::string& ns = element.xmlns();
    if (ns == xmpp::ns::tls && name == "starttls") return Event::starttls;
    if (ns == xmpp::ns::sasl) {
        if (name == "auth") return Event::auth;
        if (name == "response") return Event::response;
        if (name == "abort") return Event::abort;
    }
    if (ns == xmpp::ns::sm) return Event::stream_management;
    if (xmpp::ibr::is_registration_request(element)) return Event::registration;
    if (ns == xmpp::ns::client && name == "iq" && element.attr_or("type") == "set" &&
        element.child("bind", xmpp::ns::bind))
        return Event::bind;
    return Event::stanza;
}

Verdict C2sNegotiationMachine::refuse(xmpp::StreamError condition, std::string_view text) {
    state_ = State::closing;
    return Verdict::stream_error(condition, text);
}

bool C2sNegotiationMachine::before_auth() const {
    return state_ == State::features_before_tls || state_ == State::awaiting_auth ||
           state_ == State::sasl_exchange;
}

State C2sNegotiationMachine::awaiting_auth_state() const {
    return !security_.encrypted && security_.can_start_tls ? State::features_before_tls : State::awaiting_auth;
}

Verdict C2sNegotiationMachine::stream_opened(const xmpp::StreamHeader& header, Security security) {
    if (state_ == State::closing) return Verdict::ignore();
    if (state_ != State::awaiting_stream_header && state_ != State::awaiting_restart)
        return refuse(xmpp::StreamError::bad_format, "The stream is already open");

    // The host of the first header stays the stream's: a restart may not change it.
    auto host = xmpp::Jid::normalize_domain(header.to);
    if (host && config_.serves_host(*host) && (host_.empty() || *host == host_)) host_ = *host;

    if (header.name != "stream" || header.xmlns != xmpp::ns::stream)
        return refuse(xmpp::StreamError::invalid_namespace, "The stream element is stream:stream");
    if (header.default_ns != xmpp::ns::client)
        return refuse(xmpp::StreamError::invalid_namespace, "This port serves jabber:client streams");
    if (!version_supported(header.version))
        return refuse(xmpp::StreamError::unsupported_version, "XMPP 1.0 is required");
    if (header.to.empty()) return refuse(xmpp::StreamError::host_unknown, "The stream header needs a 'to'");
    if (!host || !config_.serves_host(*host)) return refuse(xmpp::StreamError::host_unknown, {});
    if (*host != host_) return refuse(xmpp::StreamError::host_unknown, "The host changed on stream restart");

    features_ = {};
    if (state_ == State::awaiting_restart) {
        features_.bind = true;
        state_ = State::awaiting_bind;
        return Verdict::proceed();
    }
    security_ = security;
    features_.starttls = !security.encrypted && security.can_start_tls;
    features_.tls_required = features_.starttls && config_.auth.require_tls;
    features_.mechanisms = security.encrypted || !config_.auth.require_tls;
    features_.registration = features_.mechanisms && config_.registration_open(host_);
    state_ = awaiting_auth_state();
    return Verdict::proceed();
}

Verdict C2sNegotiationMachine::on(Event event) {
    switch (state_) {
    case State::closing:
        return Verdict::ignore();
    case State::bound:
        return Verdict::proceed();  // every element is a bound stanza: the bound session checks it
    case State::awaiting_stream_header:
    case State::tls_handshake:
    case State::awaiting_restart:
        // The parser delivers nothing before a stream header; a restart
        // resets it, and the handshake reads nothing from the stream.
        return refuse(xmpp::StreamError::bad_format, "No stream is open");
    case State::awaiting_bind:
        if (event == Event::bind) return Verdict::proceed();
        if (event == Event::stream_management) {
            // XEP-0198 §5: <resume/> comes instead of a bind; the driver
            // answers <enable/> before one with <failed/>. A server without
            // stream management knows no such element.
            if (stream_management_) return Verdict::proceed();
            return refuse(xmpp::StreamError::unsupported_stanza_type, "Stream management is not offered");
        }
        return refuse(xmpp::StreamError::not_authorized, "Bind a resource first");
    case State::features_before_tls:
    case State::awaiting_auth:
    case State::sasl_exchange:
        break;
    }

    switch (event) {
    case Event::starttls:
        // RFC 6120 §5.4.2.2: a stream that cannot start TLS answers <failure/> and ends.
        if (security_.encrypted || !security_.can_start_tls) {
            state_ = State::closing;
            return Verdict::tls_failure();
        }
        state_ = State::tls_handshake;  // an exchange begun in the clear is dropped
        return Verdict::proceed();
    case Event::auth:
        if (!security_.encrypted && config_.auth.require_tls)
            return Verdict::sasl_failure(auth::SaslFailure::encryption_required);
        state_ = State::sasl_exchange;  // a new <auth/> during an exchange starts over
        return Verdict::proceed();
    case Event::response:
        if (state_ != State::sasl_exchange)
            return refuse(xmpp::StreamError::not_authorized, "No authentication in progress");
        return Verdict::proceed();
    case Event::abort:
        // Answered <aborted/> (sasl_failed) whether or not an exchange ran.
        return Verdict::proceed();
    case Event::registration:
        return Verdict::proceed();
    case Event::bind:
    case Event::stream_management:
    case Event::stanza:
        break;
    }
    return refuse(xmpp::StreamError::not_authorized, "Authenticate first");
}

bool C2sNegotiationMachine::tls_established() {
    if (state_ != State::tls_handshake) return false;
    security_.encrypted = true;
    state_ = State::awaiting_stream_header;
    return true;
}

bool C2sNegotiationMachine::sasl_succeeded(std::string user) {
    if (state_ != State::sasl_exchange) return false;
    user_ = std::move(user);
    state_ = State::awaiting_restart;
    return true;
}

bool C2sNegotiationMachine::sasl_failed(auth::SaslFailure failure) {
    if (!before_auth()) return false;
    state_ = awaiting_auth_state();
    if (failure == auth::SaslFailure::aborted || failure == auth::SaslFailure::temporary_auth_failure) return false;
    if (++failures_ < config_.auth.max_failures) return false;
    state_ = State::closing;
    return true;
}

bool C2sNegotiationMachine::bound() {
    if (state_ != State::awaiting_bind) return false;
    state_ = State::bound;
    return true;
}

}  // namespace server
