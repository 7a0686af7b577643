// XMPP framing for WebSocket (RFC 7395): translation between the c2s
// session's stream bytes and WebSocket text messages, so the session code
// stays the one used for TCP.
//
// Inbound, each message becomes stream text for the session's StreamParser:
// <open/> a <stream:stream> header carrying its to/from/version/xml:lang,
// <close/> the stream end tag, a stanza itself. A message that is not exactly
// one complete element becomes "</>", which the parser reports as
// not-well-formed (RFC 7395 §3.3.3: one stanza per message).
//
// Outbound, the session's output (always whole pieces: the XML declaration,
// a stream header, complete top-level elements, the stream end tag) is split
// into one message per top-level element: the header becomes <open/>, the end
// tag <close/>, stream-namespace elements (features, error) declare the
// "stream" prefix and stanzas declare jabber:client (§3.3.3, §3.4).
//
// Pure functions: no I/O, callable from any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace xmpp::websocket {

// The stream text for one received WebSocket text message.
std::string frame_to_stream(std::string_view message);

// The WebSocket text messages for session output `xml`, appended to `out`.
// With `ends`, also the offset in `xml` just past what each message came from
// (so that a writer can tell how much of `xml` its peer was sent).
void stream_to_frames(std::string_view xml, std::vector<std::string>& out,
                      std::vector<std::size_t>* ends = nullptr);

}  // namespace xmpp::websocket
