// TcpTransport: a TCP connection that is either TLS from the first byte
// (XEP-0368 direct TLS) or plain until STARTTLS upgrades it in place.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <memory>

#include "server/transport.hpp"

namespace server {

class TcpTransport final : public Transport {
public:
    // `tls` must not be null: every listener can do TLS.
    TcpTransport(asio::ip::tcp::socket socket, std::shared_ptr<asio::ssl::context> tls);

    asio::awaitable<std::pair<error_code, std::size_t>> read_some(asio::mutable_buffer buffer) override;
    asio::awaitable<error_code> write(asio::const_buffer data) override;
    asio::awaitable<error_code> handshake() override;
    bool can_start_tls() const override { return !secure_; }
    bool is_secure() const override { return secure_; }
    std::optional<auth::ChannelBinding> channel_binding() const override;
    void close() override;
    std::string remote_address() const override;
    std::string_view kind() const override { return secure_ ? "tls" : "tcp"; }

private:
    // The context is held so a reload can swap the server's without
    // invalidating streams made from the old one.
    std::shared_ptr<asio::ssl::context> tls_ctx_;
    asio::ssl::stream<asio::ip::tcp::socket> stream_;
    bool secure_ = false;
};

}  // namespace server
