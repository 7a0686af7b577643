#include "ws_login.hpp"

#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <stdexcept>

namespace loadgen {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
using asio::use_awaitable;

namespace {

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error(what); }

// The name of the frame's element ("open", "stream:features", "success", ...).
std::string element_name(const std::string& frame) {
    std::size_t lt = frame.find('<');
    while (lt != std::string::npos && frame.compare(lt, 2, "<?") == 0) lt = frame.find('<', lt + 1);
    if (lt == std::string::npos) return {};
    std::size_t end = frame.find_first_of(" \t\r\n/>", lt + 1);
    return frame.substr(lt + 1, end == std::string::npos ? std::string::npos : end - lt - 1);
}

using Stream = websocket::stream<asio::ssl::stream<tcp::socket>>;

asio::awaitable<std::string> next_frame(Stream& ws, beast::flat_buffer& buf) {
    buf.consume(buf.size());
    co_await ws.async_read(buf, use_awaitable);
    co_return beast::buffers_to_string(buf.data());
}

asio::awaitable<void> put(Stream& ws, const std::string& frame) {
    co_await ws.async_write(asio::buffer(frame), use_awaitable);
}

// <open/>, then its answer and the features that follow it.
asio::awaitable<std::string> open_stream(Stream& ws, beast::flat_buffer& buf, const std::string& domain) {
    co_await put(ws, "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='" + domain + "' version='1.0'/>");
    for (;;) {
        std::string frame = co_await next_frame(ws, buf);
        std::string name = element_name(frame);
        if (name == "open") continue;
        if (name.find("features") == std::string::npos) fail("expected stream features, got " + frame.substr(0, 200));
        co_return frame;
    }
}

}  // namespace

asio::awaitable<void> ws_login(asio::ssl::context& tls, const Target& target, const std::string& path,
                               const std::string& user, const std::string& resource, ScramCache& cache,
                               double timeout_s) {
    auto executor = co_await asio::this_coro::executor;
    Stream ws(executor, tls);
    asio::steady_timer watchdog(executor);
    watchdog.expires_after(std::chrono::microseconds(static_cast<long long>(timeout_s * 1e6)));
    watchdog.async_wait([&ws](boost::system::error_code ec) {
        if (!ec) {
            boost::system::error_code ignored;
            beast::get_lowest_layer(ws).close(ignored);
        }
    });
    struct Disarm {
        asio::steady_timer& t;
        ~Disarm() { t.cancel(); }
    } disarm{watchdog};

    auto& socket = beast::get_lowest_layer(ws);
    co_await socket.async_connect(tcp::endpoint(asio::ip::make_address(target.host), target.port), use_awaitable);
    socket.set_option(tcp::no_delay(true));
    co_await ws.next_layer().async_handshake(asio::ssl::stream_base::client, use_awaitable);
    ws.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
        req.set(beast::http::field::sec_websocket_protocol, "xmpp");
    }));
    websocket::response_type res;
    co_await ws.async_handshake(res, target.domain, path, use_awaitable);
    ws.text(true);
    beast::flat_buffer buf;

    std::string features = co_await open_stream(ws, buf, target.domain);
    if (features.find("SCRAM-SHA-1<") == std::string::npos) fail("SCRAM-SHA-1 not offered: " + features);
    ScramExchange scram(user, cache);
    co_await put(ws, "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>" +
                         base64_encode(scram.client_first()) + "</auth>");
    std::string challenge = co_await next_frame(ws, buf);
    if (element_name(challenge) != "challenge") fail(user + ": expected a SASL challenge, got " + challenge);
    auto server_first = base64_decode(element_text(challenge));
    if (!server_first) fail("bad challenge encoding");
    auto final_msg = scram.client_final(*server_first);
    if (!final_msg) fail("bad server-first message: " + *server_first);
    co_await put(ws, "<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" + base64_encode(*final_msg) + "</response>");
    std::string success = co_await next_frame(ws, buf);
    if (element_name(success) != "success") fail(user + ": authentication failed: " + success);
    auto server_final = base64_decode(element_text(success));
    if (!server_final || !scram.verify_server_final(*server_final)) fail("bad server signature");

    co_await open_stream(ws, buf, target.domain);
    co_await put(ws, "<iq type='set' id='bind1' xmlns='jabber:client'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
                     "<resource>" + resource + "</resource></bind></iq>");
    std::string bound = co_await next_frame(ws, buf);
    if (element_name(bound) != "iq" || !is_result(bound)) fail("bind failed: " + bound);
    co_await put(ws, "<presence xmlns='jabber:client'/>");
    co_await put(ws, "<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>");
    boost::system::error_code ignored;
    socket.close(ignored);
}

}  // namespace loadgen
