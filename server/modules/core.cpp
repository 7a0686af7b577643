// The protocols the c2s session, the router and the HTTP listener implement, declared
// here so that `xmqd version --features` and the README list them too.
#include "server/modules/modules.hpp"

namespace server::modules {

void register_core(ModuleHost& host, Services&) {
    host.declare_protocol({"RFC 6120", "XMPP Core: TLS, SASL, resource binding (c2s)", "core"});
    host.declare_protocol({"RFC 6121", "XMPP IM: message routing to full and bare JIDs", "core"});
    host.declare_protocol({"RFC 7622", "XMPP Address Format", "core"});
    host.declare_protocol({"XEP-0368", "Direct TLS listener", "core"});
    host.declare_protocol({"XMQ", "mod_xmq queues: ANY and ALL routes (docs/xmq.md)", "core"});
    // Served by the HTTP listener (server/http/), which is not a module.
    host.declare_protocol({"RFC 7395", "XMPP over WebSocket (/xmpp-websocket)", "http"});
    host.declare_protocol({"XEP-0156", "Discovering connection methods (host-meta)", "http"});
}

}  // namespace server::modules
