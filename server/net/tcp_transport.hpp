// TcpTransport: a TCP connection that is either TLS from the first byte
// (XEP-0368 direct TLS) or plain until STARTTLS upgrades it in place.
//
// TLS runs OpenSSL directly on the non-blocking socket (SSL_set_fd) and waits
// for readiness with Asio, instead of asio::ssl::stream: that stream keeps
// about 68 KiB of buffers per connection (its engine buffers and a BIO pair),
// while an SSL object whose context sets SSL_MODE_RELEASE_BUFFERS holds no
// record buffers at all while the connection is idle. No read or write keeps
// a buffer across a suspension. Used on its session's worker only.
#pragma once

#include <openssl/ssl.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <memory>

#include "server/net/transport.hpp"

namespace server {

class TcpTransport final : public Transport {
public:
    // `tls` must not be null: every listener can do TLS.
    TcpTransport(asio::ip::tcp::socket socket, std::shared_ptr<asio::ssl::context> tls);
    // The connecting side (an outgoing server-to-server stream): handshake()
    // is a TLS client's, asking for `server_name` (SNI) with ALPN
    // `xmpp-server` (XEP-0368). `tls` is a client context.
    TcpTransport(asio::ip::tcp::socket socket, std::shared_ptr<asio::ssl::context> tls, std::string server_name);
    ~TcpTransport() override;

    asio::awaitable<std::pair<error_code, std::size_t>> read_some(asio::mutable_buffer buffer) override;
    asio::awaitable<std::pair<error_code, std::size_t>> write(asio::const_buffer data) override;
    asio::awaitable<error_code> handshake() override;
    bool can_start_tls() const override { return !secure_; }
    bool is_secure() const override { return secure_; }
    std::optional<auth::ChannelBinding> channel_binding() const override;
    void close() override;
    std::string remote_address() const override;
    std::string_view kind() const override { return secure_ ? "tls" : "tcp"; }

private:
    struct SslFree {
        void operator()(SSL* ssl) const { SSL_free(ssl); }
    };
    // Waits until OpenSSL's last call can make progress; an error when it cannot.
    asio::awaitable<error_code> wait_for(int ssl_error);

    // The context is held so a reload can swap the server's without
    // invalidating connections made from the old one.
    std::shared_ptr<asio::ssl::context> tls_ctx_;
    asio::ip::tcp::socket socket_;
    std::unique_ptr<SSL, SslFree> ssl_;
    bool secure_ = false;
    std::string server_name_;  // non-empty: the client side
};

}  // namespace server
