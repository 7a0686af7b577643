#include "server/accept.hpp"

#include "server/c2s/c2s_negotiation.hpp"
#include "server/component/component_stream.hpp"
#include "server/http/http_connection.hpp"
#include "server/net/limited_transport.hpp"
#include "server/net/tcp_transport.hpp"
#include "server/s2s/s2s_incoming.hpp"

namespace server {

ConnectionHandler connection_handler(Services& services, S2sManager* s2s) {
    return [&services, s2s](const conf::ListenerConfig& listener, boost::asio::ip::tcp::socket socket,
                       boost::asio::io_context& worker, std::unique_ptr<IpConnectionLimit::Slot> slot, bool refused) {
        if (listener.kind == conf::ListenerKind::http || listener.kind == conf::ListenerKind::https) {
            http::serve_connection(services, worker.get_executor(), std::move(socket),
                                   listener.kind == conf::ListenerKind::https, std::move(slot), refused);
            return;
        }
        // Per-IP connection count, c2s, s2s, components and HTTP together, and inbound shaper
        // (limited_transport.hpp).
        const auto config = services.current_config();
        std::unique_ptr<Transport> transport = std::make_unique<TcpTransport>(std::move(socket), services.tls.load());
        transport = std::make_unique<LimitedTransport>(std::move(transport), std::move(slot),
                                                       config->limits.inbound_rate, config->limits.inbound_burst);
        if (listener.kind == conf::ListenerKind::component) {
            auto stream = std::make_shared<ComponentStream>(services, worker.get_executor(), std::move(transport));
            stream->start();
            if (refused)
                stream->close_with(xmpp::StreamError::policy_violation, "Too many connections from your address");
            return;
        }
        if (listener.kind == conf::ListenerKind::s2s) {
            if (!s2s) return;  // no federation: not reached (an s2s listener turns it on)
            auto stream = std::make_shared<S2sIncoming>(services, *s2s, worker.get_executor(), std::move(transport));
            stream->start();
            if (refused)
                stream->close_with(xmpp::StreamError::policy_violation, "Too many connections from your address");
            return;
        }
        auto stream = std::make_shared<C2sNegotiation>(services, worker.get_executor(), std::move(transport),
                                                       listener.kind == conf::ListenerKind::c2s_tls);
        stream->start();
        if (refused)
            stream->close_with(xmpp::StreamError::policy_violation, "Too many connections from your address");
    };
}

}  // namespace server
