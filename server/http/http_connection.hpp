// HTTP connections of an "http" or "https" listener (Boost.Beast): requests
// are answered one at a time (keep-alive), and an upgrade on
// /xmpp-websocket hands the connection over to a c2s stream (C2sNegotiation)
// through a WebSocketTransport. Each connection is its own coroutine on the
// worker that accepted it, with its own deadline, so a slow or malformed client only
// ever holds up itself: bad requests get 400, oversized headers 431,
// oversized bodies 413, a request not received within http.request_timeout
// 408, and the connection closes.
//
// An HTTP connection holds a place in the per-IP connection count
// (limits.max_connections_per_ip, shared with c2s connections): the listener
// admits it at accept, and a connection past the limit has its first request
// answered 429 and is closed. A WebSocket XMPP stream keeps its connection's
// place and is shaped like a c2s stream (limits.inbound_rate, inbound_burst).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "server/net/ip_connection_limit.hpp"
#include "server/core/services.hpp"

namespace server::http {

// Serves the connection until it closes or becomes a WebSocket session.
// `slot`: its place in the per-IP count (null when not counted); `refused`:
// the address is at its limit, the connection is turned away.
void serve_connection(Services& services, boost::asio::any_io_executor executor,
                      boost::asio::ip::tcp::socket socket, bool tls,
                      std::unique_ptr<IpConnectionLimit::Slot> slot, bool refused);

}  // namespace server::http
