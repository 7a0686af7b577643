#include "server/net/tcp_transport.hpp"
#include "server/core/use_tuple.hpp"

#include <openssl/err.h>

#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace server {

namespace {

error_code tls_error() {
    ERR_clear_error();  // don't leave this connection's errors to the next one on the thread
    return asio::error::make_error_code(asio::error::connection_aborted);
}

}  // namespace

TcpTransport::TcpTransport(asio::ip::tcp::socket socket, std::shared_ptr<asio::ssl::context> tls)
    : tls_ctx_(std::move(tls)), socket_(std::move(socket)) {
    error_code ignored;
    socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
    socket_.non_blocking(true, ignored);
}

TcpTransport::TcpTransport(asio::ip::tcp::socket socket, std::shared_ptr<asio::ssl::context> tls,
                           std::string server_name)
    : TcpTransport(std::move(socket), std::move(tls)) {
    server_name_ = std::move(server_name);
}

TcpTransport::~TcpTransport() = default;

asio::awaitable<error_code> TcpTransport::wait_for(int ssl_error) {
    if (ssl_error == SSL_ERROR_WANT_READ) {
        auto [ec] = co_await socket_.async_wait(asio::socket_base::wait_read, use_tuple);
        co_return ec;
    }
    if (ssl_error == SSL_ERROR_WANT_WRITE) {
        auto [ec] = co_await socket_.async_wait(asio::socket_base::wait_write, use_tuple);
        co_return ec;
    }
    if (ssl_error == SSL_ERROR_ZERO_RETURN) co_return error_code(asio::error::eof);
    co_return tls_error();
}

asio::awaitable<std::pair<error_code, std::size_t>> TcpTransport::read_some(asio::mutable_buffer buffer) {
    for (;;) {
        if (!secure_) {
            error_code ec;
            std::size_t n = socket_.read_some(buffer, ec);
            if (ec != asio::error::would_block) co_return std::pair{ec, n};
            auto [wait_ec] = co_await socket_.async_wait(asio::socket_base::wait_read, use_tuple);
            if (wait_ec) co_return std::pair{wait_ec, std::size_t{0}};
            continue;
        }
        std::size_t n = 0;
        if (SSL_read_ex(ssl_.get(), buffer.data(), buffer.size(), &n) == 1) co_return std::pair{error_code(), n};
        if (error_code ec = co_await wait_for(SSL_get_error(ssl_.get(), 0))) co_return std::pair{ec, std::size_t{0}};
    }
}

asio::awaitable<std::pair<error_code, std::size_t>> TcpTransport::write(asio::const_buffer data) {
    if (!secure_) {
        auto [ec, n] = co_await asio::async_write(socket_, data, use_tuple);
        co_return std::pair{ec, n};
    }
    const char* p = static_cast<const char*>(data.data());
    std::size_t left = data.size();
    while (left > 0) {
        std::size_t n = 0;
        if (SSL_write_ex(ssl_.get(), p, left, &n) == 1) {
            p += n;
            left -= n;
            continue;
        }
        if (error_code ec = co_await wait_for(SSL_get_error(ssl_.get(), 0)))
            co_return std::pair{ec, data.size() - left};
    }
    co_return std::pair{error_code(), data.size()};
}

asio::awaitable<error_code> TcpTransport::handshake() {
    ssl_.reset(SSL_new(tls_ctx_->native_handle()));
    if (!ssl_ || SSL_set_fd(ssl_.get(), socket_.native_handle()) != 1) co_return tls_error();
    // Partial writes and a moving buffer let write() resume after WANT_WRITE.
    SSL_set_mode(ssl_.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (server_name_.empty()) {
        SSL_set_accept_state(ssl_.get());
    } else {
        static constexpr unsigned char alpn[] = {11, 'x', 'm', 'p', 'p', '-', 's', 'e', 'r', 'v', 'e', 'r'};
        SSL_set_tlsext_host_name(ssl_.get(), server_name_.c_str());
        SSL_set_alpn_protos(ssl_.get(), alpn, sizeof alpn);
        SSL_set_connect_state(ssl_.get());
    }
    for (;;) {
        if (SSL_do_handshake(ssl_.get()) == 1) break;
        if (error_code ec = co_await wait_for(SSL_get_error(ssl_.get(), 0))) co_return ec;
    }
    secure_ = true;
    co_return error_code();
}

std::optional<auth::ChannelBinding> TcpTransport::channel_binding() const {
    if (!secure_) return std::nullopt;
    SSL* ssl = ssl_.get();
    // TLS 1.3 would take tls-exporter (RFC 9266), but clients disagree on the
    // type without XEP-0440 negotiation (slixmpp sends tls-unique even on
    // 1.3, and a 'y' flag when it sees -PLUS it won't use, which RFC 5802
    // obliges us to refuse). So -PLUS is offered on TLS 1.2 only.
    if (SSL_version(ssl) >= TLS1_3_VERSION) return std::nullopt;
    // TLS 1.2: the first Finished message of the handshake; on a full
    // handshake that is the client's, which the server sees as the peer's.
    if (SSL_session_reused(ssl)) return std::nullopt;
    unsigned char fin[64];
    std::size_t n = SSL_get_peer_finished(ssl, fin, sizeof fin);
    if (n == 0) return std::nullopt;
    return auth::ChannelBinding{"tls-unique", std::string(reinterpret_cast<char*>(fin), n)};
}

void TcpTransport::close() {
    if (!socket_.is_open()) return;
    // One non-blocking close_notify; no waiting for the peer's.
    if (ssl_ && secure_) SSL_shutdown(ssl_.get());
    ERR_clear_error();
    error_code ignored;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
}

std::string TcpTransport::remote_address() const {
    error_code ec;
    auto ep = socket_.remote_endpoint(ec);
    if (ec) return "?";
    return ep.address().to_string() + ":" + std::to_string(ep.port());
}

}  // namespace server
