// Transport: the byte stream under one client session. The c2s session speaks
// XMPP through this interface only, so the same session code runs over TCP
// (with STARTTLS), direct TLS, WebSocket, or an in-memory pipe in tests.
// Errors are values (error_code), not exceptions. Owned by its session and
// used on the session's worker thread only.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/system/error_code.hpp>
#include <optional>
#include <string>
#include <utility>

#include "auth/sasl_server.hpp"

namespace server {

namespace asio = boost::asio;
using boost::system::error_code;

class Transport {
public:
    virtual ~Transport() = default;

    // Writes into `buffer` only after its last suspension, just before it
    // returns: sessions on one worker share a single read buffer.
    virtual asio::awaitable<std::pair<error_code, std::size_t>> read_some(asio::mutable_buffer buffer) = 0;
    // Writes all of `data`; on failure, says how much of it the connection
    // took before (for TLS: whole records handed to the socket).
    virtual asio::awaitable<std::pair<error_code, std::size_t>> write(asio::const_buffer data) = 0;

    // Direct TLS: the handshake before any XMPP. STARTTLS: after <proceed/>.
    virtual asio::awaitable<error_code> handshake() = 0;
    virtual bool can_start_tls() const = 0;
    virtual bool is_secure() const = 0;
    // RFC 9266 tls-exporter (TLS 1.3) or RFC 5929 tls-unique (TLS 1.2).
    virtual std::optional<auth::ChannelBinding> channel_binding() const = 0;

    virtual void close() = 0;
    virtual std::string remote_address() const = 0;
    virtual std::string_view kind() const = 0;  // "tcp", "tls", "websocket", "memory"
};

}  // namespace server
