// The server's side of a component stream (XEP-0114, jabber:component:accept)
// decided without I/O: whether a stream header names a component we know,
// whether its <handshake/> proves the secret, and what becomes of each
// stanza the component sends once it is connected. ComponentStream acts on
// the verdicts. Pure and thread-agnostic; the secret never leaves here in a
// verdict or a text.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "conf/config.hpp"
#include "xmpp/element.hpp"
#include "xmpp/errors.hpp"
#include "xmpp/jid.hpp"
#include "xmpp/stream_parser.hpp"

namespace server {

// The stream a component opened: the component it is for, or the stream
// error that ends it (wrong namespace: invalid-namespace; a 'to' naming no
// [[components]] entry, or none: host-unknown).
struct ComponentOpenVerdict {
    const conf::ComponentConfig* component = nullptr;  // in the config checked; null: refused
    xmpp::StreamError condition = xmpp::StreamError::host_unknown;
    std::string text;
};
ComponentOpenVerdict check_component_header(const xmpp::StreamHeader& header, const conf::Config& config);

// A top-level element before the component authenticated: true for a
// <handshake/> whose digest matches this stream id and secret. Anything else
// (a stanza before the handshake, a wrong digest) is not-authorized.
bool check_component_handshake(const xmpp::Element& element, std::string_view stream_id, std::string_view secret);

struct ComponentStanzaVerdict {
    enum class Kind { route, reply, drop, stream_error };
    Kind kind = Kind::route;
    std::optional<xmpp::Jid> from;  // route: the checked 'from'
    std::optional<xmpp::Jid> to;    // route: the checked 'to'
    xmpp::Element reply;            // reply: the stanza error the component gets
    xmpp::StreamError stream_error = xmpp::StreamError::undefined_condition;
    std::string text;               // stream_error
};

// A stanza of the component connected for `domain` (normalised). Routed
// only with a 'from' at that domain (RFC 6120 §4.9.3.9 invalid-from
// otherwise) and a 'to' (improper-addressing without one); renamed into
// jabber:client for the rest of the server. A malformed 'to', an iq without
// an id or of no known type: the stanza error c2s gives.
ComponentStanzaVerdict check_component_stanza(xmpp::Element& stanza, std::string_view domain);

}  // namespace server
