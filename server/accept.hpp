// What an accepted connection becomes, by the kind of its listener: a c2s
// session (TCP with STARTTLS, or direct TLS), an external component's stream
// (XEP-0114), another server's stream (s2s, with `s2s` the federation it
// belongs to; null when federation is off), or an HTTP connection (which may upgrade to XMPP over WebSocket). The listeners (server/net/) call it on the
// connection's worker; it lives here, at the top, because it is the one place
// that knows every kind of session.
#pragma once

#include "server/core/services.hpp"
#include "server/net/listener.hpp"

namespace server {

class S2sManager;

ConnectionHandler connection_handler(Services& services, S2sManager* s2s);

}  // namespace server
