// One XMPP login over WebSocket (RFC 7395) for the load generator's ws-login
// scenario: TLS, the WebSocket handshake with the "xmpp" subprotocol, <open/>,
// SCRAM-SHA-1, <open/> again, bind, initial presence, then <close/> and the
// socket closed without waiting for the server. Runs on the caller's executor.
#pragma once

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

#include <string>

#include "connection.hpp"
#include "scram_client.hpp"

namespace loadgen {

// Throws std::runtime_error (or a system error) on failure; bounded by timeout_s.
asio::awaitable<void> ws_login(asio::ssl::context& tls, const Target& target, const std::string& path,
                               const std::string& user, const std::string& resource, ScramCache& cache,
                               double timeout_s);

}  // namespace loadgen
