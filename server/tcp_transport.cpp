#include "server/tcp_transport.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <openssl/ssl.h>

namespace server {

namespace {
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
}

TcpTransport::TcpTransport(asio::ip::tcp::socket socket, std::shared_ptr<asio::ssl::context> tls)
    : tls_ctx_(std::move(tls)),
      stream_(std::move(socket), *tls_ctx_) {
    stream_.next_layer().set_option(asio::ip::tcp::no_delay(true));
}

asio::awaitable<std::pair<error_code, std::size_t>> TcpTransport::read_some(asio::mutable_buffer buffer) {
    if (secure_) {
        auto [ec, n] = co_await stream_.async_read_some(buffer, use_tuple);
        co_return std::pair{ec, n};
    }
    auto [ec, n] = co_await stream_.next_layer().async_read_some(buffer, use_tuple);
    co_return std::pair{ec, n};
}

asio::awaitable<error_code> TcpTransport::write(asio::const_buffer data) {
    if (secure_) {
        auto [ec, n] = co_await asio::async_write(stream_, data, use_tuple);
        co_return ec;
    }
    auto [ec, n] = co_await asio::async_write(stream_.next_layer(), data, use_tuple);
    co_return ec;
}

asio::awaitable<error_code> TcpTransport::handshake() {
    auto [ec] = co_await stream_.async_handshake(asio::ssl::stream_base::server, use_tuple);
    if (!ec) secure_ = true;
    co_return ec;
}

std::optional<auth::ChannelBinding> TcpTransport::channel_binding() const {
    if (!secure_) return std::nullopt;
    SSL* ssl = const_cast<asio::ssl::stream<asio::ip::tcp::socket>&>(stream_).native_handle();
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
    error_code ignored;
    stream_.next_layer().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    stream_.next_layer().close(ignored);
}

std::string TcpTransport::remote_address() const {
    error_code ec;
    auto ep = stream_.next_layer().remote_endpoint(ec);
    if (ec) return "?";
    return ep.address().to_string() + ":" + std::to_string(ep.port());
}

}  // namespace server
