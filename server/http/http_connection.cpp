#include "server/http/http_connection.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <limits>
#include <memory>
#include <optional>
#include <tuple>

#include "auth/scram.hpp"
#include "server/c2s/c2s_negotiation.hpp"
#include "server/core/storage_executor.hpp"
#include "server/http/http_routes.hpp"
#include "server/http/upload_transfer.hpp"
#include "server/modules/http_upload_service.hpp"
#include "server/core/metrics.hpp"
#include "server/http/websocket_transport.hpp"
#include "server/net/limited_transport.hpp"
#include "server/system/log.hpp"
#include "server/core/use_tuple.hpp"

namespace server::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace websocket = boost::beast::websocket;

namespace {

constexpr std::size_t kHeaderLimit = 8 * 1024;
constexpr std::size_t kBodyLimit = 16 * 1024;
constexpr unsigned kMaxRequestsPerConnection = 1000;

bool is_loopback(const asio::ip::address& a) {
    if (a.is_v6() && a.to_v6().is_v4_mapped())
        return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).is_loopback();
    return a.is_loopback();
}

// True when the comma-separated Sec-WebSocket-Protocol list names `xmpp`.
bool offers_xmpp(std::string_view list) {
    while (!list.empty()) {
        const auto comma = list.find(',');
        std::string_view item = list.substr(0, comma);
        while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
        while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
        if (item == "xmpp") return true;
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    return false;
}

std::string_view path_of(std::string_view target) { return target.substr(0, target.find('?')); }

// HTTP Basic credentials (RFC 7617) of an account listed in http.admins. A
// user without a domain is taken on the first host.
asio::awaitable<bool> admin_authorized(Services& services, const conf::Config& config, const Request& req) {
    const std::string_view header = req[bhttp::field::authorization];
    if (config.http.admins.empty() || !header.starts_with("Basic ")) co_return false;
    const auto decoded = auth::base64_decode(header.substr(6));
    if (!decoded) co_return false;
    const auto colon = decoded->find(':');
    if (colon == std::string::npos) co_return false;
    std::string user = decoded->substr(0, colon);
    if (user.find('@') == std::string::npos) user += "@" + config.hosts.front().domain;
    const auto jid = xmpp::Jid::parse(user);
    if (!jid || jid->local().empty() || !jid->resource().empty()) co_return false;
    if (std::find(config.http.admins.begin(), config.http.admins.end(), jid->full()) == config.http.admins.end())
        co_return false;
    if (!services.accounts || !services.storage) co_return false;
    // A named closure: g++ 12 mishandles closure temporaries in co_await.
    auto lookup = [accounts = services.accounts, local = jid->local(), domain = jid->domain()] {
        return accounts->find(local, domain);
    };
    std::optional<auth::Account> lost;  // a failed storage commit refuses, like an unknown account
    const std::optional<auth::Account> account = co_await services.storage->run(std::move(lookup), std::move(lost));
    if (!account) co_return false;
    const std::string password = decoded->substr(colon + 1);
    for (const auto& secret : account->secrets)
        if (auth::verify_password(secret, password)) co_return true;
    co_return false;
}

// Why an upgrade to XMPP over WebSocket is refused, or nullopt to accept it.
std::optional<Response> refuse_upgrade(const conf::Config& config, const Request& req, bool tls, bool loopback) {
    const unsigned v = req.version();
    if (path_of(req.target()) != kWebSocketPath)
        return plain_response(bhttp::status::not_found, v, "No WebSocket endpoint here");
    if (!offers_xmpp(req[bhttp::field::sec_websocket_protocol]))
        return plain_response(bhttp::status::bad_request, v, "The WebSocket subprotocol must be xmpp (RFC 7395)");
    if (!tls) {
        const auto mode = config.http.plain_websocket;
        if (mode == conf::PlainWebSocket::never || (mode == conf::PlainWebSocket::loopback && !loopback))
            return plain_response(bhttp::status::forbidden, v, "Plain ws:// is not allowed here; use wss://");
    }
    if (!config.http.origins.empty()) {
        const auto origin = req[bhttp::field::origin];
        if (origin.empty() ||
            std::find(config.http.origins.begin(), config.http.origins.end(), origin) == config.http.origins.end())
            return plain_response(bhttp::status::forbidden, v, "Origin not allowed");
    }
    return std::nullopt;
}

// A WebSocket and what must outlive it (the TLS context its SSL* came from).
template <class Stream>
struct WebSocketHolder {
    WebSocketHolder(Stream s, std::shared_ptr<asio::ssl::context> c) : context(std::move(c)), ws(std::move(s)) {}
    std::shared_ptr<asio::ssl::context> context;
    websocket::stream<Stream> ws;
};

// `secure`: wss://, or a plain ws:// that refuse_upgrade() let through, which
// the operator vouches for (http.plain_websocket).
template <class Stream>
asio::awaitable<void> start_websocket(Services& services, asio::any_io_executor executor, Stream stream,
                                      std::shared_ptr<asio::ssl::context> context, Request request, bool secure,
                                      std::string remote, std::unique_ptr<IpConnectionLimit::Slot> slot) {
    auto config = services.current_config();
    beast::get_lowest_layer(stream).expires_never();  // the websocket timeout takes over
    auto holder = std::make_shared<WebSocketHolder<Stream>>(std::move(stream), std::move(context));
    std::shared_ptr<websocket::stream<Stream>> ws(holder, &holder->ws);
    websocket::stream_base::timeout timeout;
    timeout.handshake_timeout = std::chrono::seconds(5);
    timeout.idle_timeout = config->http.websocket_idle_timeout;
    timeout.keep_alive_pings = true;
    ws->set_option(timeout);
    ws->set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
        res.set(bhttp::field::server, kServerName);
        res.set(bhttp::field::sec_websocket_protocol, "xmpp");
    }));
    // A message carries one stanza: the stanza cap plus room for framing.
    ws->read_message_max(config->limits.max_stanza_bytes + 1024);
    auto [ec] = co_await ws->async_accept(request, use_tuple);
    if (ec) {
        XLOG(debug) << "websocket handshake from " << remote << " failed: " << ec.message();
        co_return;
    }
    std::unique_ptr<Transport> transport = std::make_unique<WebSocketTransport<Stream>>(ws, secure, std::move(remote));
    // The stream keeps the connection's place in the per-IP count, and is
    // shaped like a c2s stream (limited_transport.hpp).
    transport = std::make_unique<LimitedTransport>(std::move(transport), std::move(slot), config->limits.inbound_rate,
                                                   config->limits.inbound_burst);
    auto c2s = std::make_shared<C2sNegotiation>(services, std::move(executor), std::move(transport), false);
    c2s->start();
}

template <class Stream>
asio::awaitable<void> serve_requests(Services& services, asio::any_io_executor executor, Stream stream,
                                     std::shared_ptr<asio::ssl::context> context, bool loopback, std::string remote,
                                     std::unique_ptr<IpConnectionLimit::Slot> slot, bool refused) {
    const bool tls = context != nullptr;
    beast::flat_buffer buffer;
    for (unsigned served = 0; served < kMaxRequestsPerConnection; ++served) {
        auto config = services.current_config();
        // The header first: an upload's body is streamed to disk by
        // upload_transfer, every other body is read whole, bounded by kBodyLimit.
        bhttp::request_parser<bhttp::empty_body> header_parser;
        header_parser.header_limit(kHeaderLimit);
        // Beast checks a Content-Length against the body limit with the
        // header; an upload's limit is its slot's, so the check is ours below.
        header_parser.body_limit(std::numeric_limits<std::uint64_t>::max());
        std::optional<bhttp::request_parser<bhttp::string_body>> parser;
        // Our own deadline rather than the stream's: on expiry tcp_stream
        // closes the socket, and a slow client is owed its 408 first.
        beast::get_lowest_layer(stream).expires_never();
        asio::steady_timer deadline(executor, config->http.request_timeout);
        auto armed = std::make_shared<bool>(true);
        bool timed_out = false;
        deadline.async_wait([armed, &timed_out, &stream](error_code e) {
            if (e || !*armed) return;  // the read finished first
            timed_out = true;
            error_code ignored;
            beast::get_lowest_layer(stream).socket().cancel(ignored);
        });
        auto [ec, n] = co_await bhttp::async_read_header(stream, buffer, header_parser, use_tuple);
        std::shared_ptr<upload::UploadService> upload;
        if (!ec && !refused) upload = upload_service_for(services, header_parser.get().target());
        if (!ec && !upload && header_parser.content_length().value_or(0) > kBodyLimit) ec = bhttp::error::body_limit;
        if (!ec && !upload) {
            parser.emplace(std::move(header_parser));
            parser->body_limit(kBodyLimit);
            if (!parser->is_done()) std::tie(ec, n) = co_await bhttp::async_read(stream, buffer, *parser, use_tuple);
        }
        *armed = false;
        deadline.cancel();
        if (timed_out) ec = beast::error::timeout;
        if (ec == bhttp::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
            ec == asio::error::operation_aborted)
            co_return;
        if (ec) {
            bhttp::status status = bhttp::status::bad_request;
            if (ec == bhttp::error::header_limit) status = bhttp::status::request_header_fields_too_large;
            else if (ec == bhttp::error::body_limit) status = bhttp::status::payload_too_large;
            else if (ec == beast::error::timeout) status = bhttp::status::request_timeout;
            // Nothing (or only a partial line) received before the timeout: just close.
            const bool got_some = parser ? parser->got_some() : header_parser.got_some();
            if (ec == beast::error::timeout && !got_some && buffer.size() == 0) co_return;
            XLOG(debug) << "http from " << remote << ": " << ec.message();
            auto res = plain_response(status, 11, std::string(bhttp::obsolete_reason(status)));
            res.keep_alive(false);
            beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(5));
            co_await bhttp::async_write(stream, res, use_tuple);
            co_return;
        }
        if (upload) {
            metrics::http_request();
            if (!co_await serve_upload(*upload, stream, buffer, header_parser, config->http.request_timeout)) break;
            continue;
        }
        Request request = parser->release();
        metrics::http_request();
        if (refused) {
            // RFC 6585 §4: too many requests (here: connections) from this client.
            auto res = plain_response(bhttp::status::too_many_requests, request.version(),
                                      "Too many connections from your address");
            res.keep_alive(false);
            beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(5));
            co_await bhttp::async_write(stream, res, use_tuple);
            break;
        }
        if (websocket::is_upgrade(request)) {
            if (auto refusal = refuse_upgrade(*config, request, tls, loopback)) {
                refusal->keep_alive(false);
                beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(5));
                co_await bhttp::async_write(stream, *refusal, use_tuple);
                co_return;
            }
            co_return co_await start_websocket(services, std::move(executor), std::move(stream), std::move(context),
                                               std::move(request), true, std::move(remote), std::move(slot));
        }
        bool operator_allowed = loopback && config->http.operator_loopback;
        if (!operator_allowed && is_operator_path(request.target()))
            operator_allowed = co_await admin_authorized(services, *config, request);
        Response res = answer(services, request, RequestContext{tls, operator_allowed});
        beast::get_lowest_layer(stream).expires_after(config->http.request_timeout);
        auto [wec, wn] = co_await bhttp::async_write(stream, res, use_tuple);
        if (wec || !res.keep_alive()) break;
    }
    error_code ignored;
    beast::get_lowest_layer(stream).socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
}

asio::awaitable<void> serve(Services& services, asio::any_io_executor executor, asio::ip::tcp::socket socket,
                            bool tls, std::unique_ptr<IpConnectionLimit::Slot> slot, bool refused) {
    error_code ec;
    const auto endpoint = socket.remote_endpoint(ec);
    if (ec) co_return;
    const bool loopback = is_loopback(endpoint.address());
    std::string remote = endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
    socket.set_option(asio::ip::tcp::no_delay(true), ec);
    beast::tcp_stream tcp(std::move(socket));
    if (!tls) {
        co_await serve_requests(services, std::move(executor), std::move(tcp), nullptr, loopback,
                                std::move(remote), std::move(slot), refused);
        co_return;
    }
    auto context = services.tls.load();  // held for the stream's life: a reload may swap the server's
    asio::ssl::stream<beast::tcp_stream> stream(std::move(tcp), *context);
    beast::get_lowest_layer(stream).expires_after(services.current_config()->http.request_timeout);
    auto [hec] = co_await stream.async_handshake(asio::ssl::stream_base::server, use_tuple);
    if (hec) {
        XLOG(debug) << "https TLS handshake from " << remote << " failed: " << hec.message();
        co_return;
    }
    co_await serve_requests(services, std::move(executor), std::move(stream), std::move(context), loopback,
                            std::move(remote), std::move(slot), refused);
}

}  // namespace

void serve_connection(Services& services, asio::any_io_executor executor, asio::ip::tcp::socket socket, bool tls,
                      std::unique_ptr<IpConnectionLimit::Slot> slot, bool refused) {
    auto run = [&services, executor, socket = std::move(socket), tls, slot = std::move(slot), refused]() mutable {
        return serve(services, executor, std::move(socket), tls, std::move(slot), refused);
    };
    asio::co_spawn(executor, std::move(run), asio::detached);
}

}  // namespace server::http
