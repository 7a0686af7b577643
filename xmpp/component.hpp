// The jabber:component:accept protocol of external components (XEP-0114),
// as pure functions: the handshake digest a component proves its secret
// with, and the namespace its stanzas travel in. The server's side of the
// stream (server/component/) uses them; pure, any thread.
#pragma once

#include <string>
#include <string_view>

#include "xmpp/element.hpp"

namespace xmpp::component {

// XEP-0114 §3: hex(SHA-1(stream id + secret)), lower case.
std::string handshake_digest(std::string_view stream_id, std::string_view secret);

// Whether the text a component sent in <handshake/> is the digest for this
// stream id and secret. Hex digits of either case are taken (XEP-0114 says
// "in hex"); the comparison takes the same time wherever the texts differ.
bool handshake_matches(std::string_view offered, std::string_view stream_id, std::string_view secret);

// A stanza from a component is in jabber:component:accept, with every child
// that inherited it; inside the server (and to clients) it is jabber:client.
// Renames the namespace on `stanza` and each descendant that has it.
void to_client_namespace(Element& stanza);

}  // namespace xmpp::component
