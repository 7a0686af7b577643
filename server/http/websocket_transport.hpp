// WebSocketTransport: the Transport of a c2s session over an accepted
// WebSocket (RFC 7395), plain (ws://) or inside TLS (wss://).
//
// The session keeps speaking stream bytes: read_some() hands it each received
// text message translated by frame_to_stream(), and write() splits the
// session's output into one text message per top-level element with
// stream_to_frames(), so framing stays out of the c2s code. STARTTLS is never
// offered (TLS comes from wss); SASL sees the stream as secure when it runs
// over TLS or when the HTTP listener trusted a plain connection (config
// http.plain_websocket). Keep-alive pings and the idle close are Beast's
// websocket timeout. close() starts the closing handshake and returns; the
// stream lives on in that operation until it completes or times out.
//
// Owned by its session; used on the session's worker thread only.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <memory>
#include <string>

#include "server/net/transport.hpp"

namespace server::http {

template <class NextLayer>
class WebSocketTransport final : public Transport {
public:
    using Stream = boost::beast::websocket::stream<NextLayer>;

    // `ws` has completed its handshake. `secure`: counts as secure for SASL.
    WebSocketTransport(std::shared_ptr<Stream> ws, bool secure, std::string remote);
    ~WebSocketTransport() override;

    asio::awaitable<std::pair<error_code, std::size_t>> read_some(asio::mutable_buffer buffer) override;
    asio::awaitable<std::pair<error_code, std::size_t>> write(asio::const_buffer data) override;
    asio::awaitable<error_code> handshake() override;
    bool can_start_tls() const override { return false; }
    bool is_secure() const override { return secure_; }
    std::optional<auth::ChannelBinding> channel_binding() const override { return std::nullopt; }
    void close() override;
    std::string remote_address() const override { return remote_; }
    std::string_view kind() const override { return "websocket"; }

private:
    std::shared_ptr<Stream> ws_;
    bool secure_;
    std::string remote_;
    std::string inbound_;  // translated input not yet handed to the session
    std::size_t inbound_pos_ = 0;
    bool closed_ = false;
};

using PlainWebSocket = boost::beast::websocket::stream<boost::beast::tcp_stream>;
using TlsWebSocket = boost::beast::websocket::stream<boost::asio::ssl::stream<boost::beast::tcp_stream>>;

extern template class WebSocketTransport<boost::beast::tcp_stream>;
extern template class WebSocketTransport<boost::asio::ssl::stream<boost::beast::tcp_stream>>;

}  // namespace server::http
