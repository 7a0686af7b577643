// Serializer: Element trees to XML text, with the escaping XMPP needs.
// Pure functions; callable from any thread.
#pragma once

#include <string>
#include <string_view>

#include "xmpp/element.hpp"
#include "xmpp/namespaces.hpp"

namespace xmpp {

// Escapes &, <, > (text) and also ', " (attribute values).
void escape_text(std::string_view in, std::string& out);
void escape_attr(std::string_view in, std::string& out);

// Appends the XML of `e` to `out`. `parent_ns` is the default namespace in
// scope where `e` is written (jabber:client inside a c2s stream); an xmlns
// attribute is emitted only when e.xmlns() differs from it. An element with an
// empty xmlns() inherits its parent's namespace (convenient for builders), and
// an element of the stream namespace is written with the "stream:" prefix the
// stream header binds (<stream:features/>, <stream:error/>). Attributes named
// "xmlns" are skipped: the namespace is xmlns().
void serialize(const Element& e, std::string& out, std::string_view parent_ns = ns::client);
std::string to_string(const Element& e, std::string_view parent_ns = ns::client);

// The server's stream header (RFC 6120 §4.7), with the XML declaration.
// `to` may be empty (omitted). `content_ns`: the stream's default namespace,
// jabber:client, or jabber:component:accept for a component (XEP-0114).
std::string stream_header(std::string_view from, std::string_view to, std::string_view id,
                          std::string_view version = "1.0", std::string_view lang = "en",
                          std::string_view content_ns = ns::client);
// A server-to-server stream header (RFC 6120 §4.7): jabber:server 1.0, with
// the dialback prefix "db" declared (XEP-0220) for peers that look for it.
// An empty `id` is left out (the originating server's header has none).
std::string server_stream_header(std::string_view from, std::string_view to, std::string_view id);
inline constexpr std::string_view stream_close = "</stream:stream>";

}  // namespace xmpp
