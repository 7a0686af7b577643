// check_bound_stanza: what becomes of an element the client of a bound
// stream sent (RFC 6120 §8), decided without I/O. It is routed, with its
// 'from' stamped as the session's full JID; or answered without routing (a
// stanza error, or the result of the legacy session request); or dropped
// (an error that must not be answered); or it ends the stream (a stream
// error). The bound session acts on the verdict. Pure and thread-agnostic.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "xmpp/element.hpp"
#include "xmpp/errors.hpp"
#include "xmpp/jid.hpp"

namespace server {

struct BoundStanzaVerdict {
    enum class Kind { route, reply, drop, stream_error };
    Kind kind = Kind::route;
    std::optional<xmpp::Jid> to;         // route: the stanza's 'to', when it has one
    xmpp::Element reply;                 // reply: what the client gets
    xmpp::StreamError stream_error = xmpp::StreamError::undefined_condition;
    std::string text;                    // stream_error
};

// `stanza` as the client of `full` sent it; its 'from' is set (route), or a
// malformed 'to' removed. `is_queue_route`: whether a domain is an XMQ
// queue, whose iq requests carry two payloads.
BoundStanzaVerdict check_bound_stanza(xmpp::Element& stanza, const xmpp::Jid& full,
                                      const std::function<bool(std::string_view domain)>& is_queue_route);

}  // namespace server
