// Module "core": the protocols the c2s session, the router, the component
// listener, federation (s2s) and the HTTP listener implement, declared here so that `xmqd version --features` and
// the README list them too. It registers nothing, and it is always on: the
// server cannot run without what it stands for.
#include "server/modules/modules.hpp"

namespace server::modules {

Module core_module() {
    return {
        .schema = {.name = "core", .always_on = true},
        .protocols =
            {
                {"RFC 6120", "XMPP Core: TLS, SASL, resource binding (c2s)"},
                {"RFC 6121", "XMPP IM: message routing to full and bare JIDs"},
                {"RFC 7622", "XMPP Address Format"},
                {"XEP-0368", "Direct TLS listener"},
                // The component listener (server/component/), which is not a module.
                {"XEP-0114", "Jabber Component Protocol: external components ([[components]])", "component"},
                // Federation (server/s2s/), which is not a module: on with an s2s listener.
                {"RFC 6120", "XMPP Core: server-to-server streams ([[listeners]] kind s2s)", "s2s"},
                {"XEP-0220", "Server Dialback", "s2s"},
                {"XEP-0185", "Dialback Key Generation and Validation", "s2s"},
                {"XMQ", "mod_xmq queues: ANY and ALL routes; acked, holding queues, durable subscriptions and durable queues (docs/xmq.md)"},
                // Served by the HTTP listener (server/http/), which is not a module.
                {"RFC 7395", "XMPP over WebSocket (/xmpp-websocket)", "http"},
                {"XEP-0156", "Discovering connection methods (host-meta)", "http"},
            },
        .load = [](ModuleHost&, Services&, const conf::ModuleOptions&) {},
    };
}

}  // namespace server::modules
