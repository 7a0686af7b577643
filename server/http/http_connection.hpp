// HTTP connections of an "http" or "https" listener (Boost.Beast): requests
// are answered one at a time (keep-alive), and an upgrade on
// /xmpp-websocket hands the connection over to a C2sSession through a
// WebSocketTransport. Each connection is its own coroutine on the worker that
// accepted it, with its own deadline, so a slow or malformed client only
// ever holds up itself: bad requests get 400, oversized headers 431,
// oversized bodies 413, a request not received within http.request_timeout
// 408, and the connection closes.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "server/services.hpp"

namespace server::http {

// Serves the connection until it closes or becomes a WebSocket session.
void serve_connection(Services& services, boost::asio::any_io_executor executor,
                      boost::asio::ip::tcp::socket socket, bool tls);

}  // namespace server::http
