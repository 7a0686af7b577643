#include "server/http/websocket_transport.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <vector>

#include "xmpp/websocket_framing.hpp"
#include "server/core/use_tuple.hpp"

namespace server::http {

namespace websocket = boost::beast::websocket;

namespace {
}

template <class NextLayer>
WebSocketTransport<NextLayer>::WebSocketTransport(std::shared_ptr<Stream> ws, bool secure, std::string remote)
    : ws_(std::move(ws)), secure_(secure), remote_(std::move(remote)) {}

template <class NextLayer>
WebSocketTransport<NextLayer>::~WebSocketTransport() {
    close();
}

template <class NextLayer>
asio::awaitable<std::pair<error_code, std::size_t>> WebSocketTransport<NextLayer>::read_some(
    asio::mutable_buffer buffer) {
    while (inbound_pos_ >= inbound_.size()) {
        if (closed_) co_return std::pair{error_code(asio::error::operation_aborted), std::size_t{0}};
        boost::beast::flat_buffer message;
        auto [ec, n] = co_await ws_->async_read(message, use_tuple);
        if (ec) co_return std::pair{ec, std::size_t{0}};
        // RFC 7395 §3.3.3: XMPP travels in text messages only.
        inbound_ = ws_->got_text() ? xmpp::websocket::frame_to_stream(boost::beast::buffers_to_string(message.data()))
                                   : std::string("</>");
        inbound_pos_ = 0;
        if (inbound_.capacity() > 64 * 1024 && inbound_.empty()) std::string().swap(inbound_);
    }
    const std::size_t n = std::min(buffer.size(), inbound_.size() - inbound_pos_);
    std::copy_n(inbound_.data() + inbound_pos_, n, static_cast<char*>(buffer.data()));
    inbound_pos_ += n;
    if (inbound_pos_ == inbound_.size()) {
        inbound_.clear();
        inbound_pos_ = 0;
        if (inbound_.capacity() > 64 * 1024) std::string().swap(inbound_);  // don't pin a big stanza's buffer
    }
    co_return std::pair{error_code{}, n};
}

template <class NextLayer>
asio::awaitable<std::pair<error_code, std::size_t>> WebSocketTransport<NextLayer>::write(asio::const_buffer data) {
    std::vector<std::string> frames;
    std::vector<std::size_t> ends;
    xmpp::websocket::stream_to_frames(std::string_view(static_cast<const char*>(data.data()), data.size()), frames, &ends);
    ws_->text(true);
    std::size_t sent = 0;  // of `data`: up to the end of the last message written whole
    for (std::size_t k = 0; k < frames.size(); ++k) {
        if (closed_) co_return std::pair{error_code(asio::error::operation_aborted), sent};
        auto [ec, n] = co_await ws_->async_write(asio::buffer(frames[k]), use_tuple);
        if (ec) co_return std::pair{ec, sent};
        sent = ends[k];
    }
    co_return std::pair{error_code{}, data.size()};
}

template <class NextLayer>
asio::awaitable<error_code> WebSocketTransport<NextLayer>::handshake() {
    co_return error_code{};  // the HTTP listener completed TLS and the WebSocket upgrade
}

template <class NextLayer>
void WebSocketTransport<NextLayer>::close() {
    if (closed_) return;
    closed_ = true;
    // The closing handshake runs on after the session is gone; Beast's
    // handshake timeout bounds it, and the stream dies with the operation.
    auto ws = ws_;
    auto closing = [ws]() -> asio::awaitable<void> {
        auto [ec] = co_await ws->async_close(websocket::close_code::normal, use_tuple);
        (void)ec;
    };
    asio::co_spawn(ws_->get_executor(), std::move(closing), asio::detached);
}

template class WebSocketTransport<boost::beast::tcp_stream>;
template class WebSocketTransport<boost::asio::ssl::stream<boost::beast::tcp_stream>>;

}  // namespace server::http
