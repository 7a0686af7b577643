// The server's TLS context and TcpTransport over real TLS on loopback: what
// OpenSSL reads ahead of the record it returns is handed out without waiting
// for more socket input.
#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <chrono>
#include <future>
#include <string>
#include <thread>

#include "conf/config.hpp"
#include "server/net/tcp_transport.hpp"
#include "server/net/tls_context.hpp"
#include "tests/temp_dir.hpp"

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

std::shared_ptr<asio::ssl::context> server_context(const test::TempDir& dir) {
    conf::Config config;
    config.data_dir = dir.path.string();
    conf::HostConfig host;
    host.domain = "localhost";
    config.hosts.push_back(host);
    auto ctx = server::make_tls_context(config);
    REQUIRE(ctx);
    return ctx.value();
}

}  // namespace

TEST_CASE("the TLS context sends one session ticket per connection") {
    test::TempDir dir;
    CHECK(SSL_CTX_get_num_tickets(server_context(dir)->native_handle()) == 1);
}

TEST_CASE("TLS records read ahead of the one returned come out without more socket input") {
    test::TempDir dir;
    auto tls = server_context(dir);
    CHECK(SSL_CTX_get_read_ahead(tls->native_handle()) == 1);  // one read(2) for header and body

    asio::io_context io;
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    const auto endpoint = acceptor.local_endpoint();

    // The client writes two records back to back, then holds the connection
    // open (a close would wake a reader that wrongly waits on the socket).
    std::promise<void> written, finished;
    std::thread client([&] {
        asio::io_context cio;
        asio::ssl::context cctx(asio::ssl::context::tls_client);
        asio::ssl::stream<tcp::socket> stream(cio, cctx);
        stream.lowest_layer().connect(endpoint);
        stream.handshake(asio::ssl::stream_base::client);
        asio::write(stream, asio::buffer(std::string("<a/>")));
        asio::write(stream, asio::buffer(std::string("<b/>")));
        written.set_value();
        finished.get_future().wait();
    });

    server::TcpTransport transport(acceptor.accept(), tls);
    std::string received;
    bool handshake_ok = false;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            handshake_ok = !(co_await transport.handshake());
            written.get_future().wait();  // both records are on their way before the first read
            // Let both arrive, so that one read(2) takes them together: without this
            // wait a reader that waits on the socket first slipped through 1 run in 5.
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            std::array<char, 64> buffer;
            while (received.size() < 8) {
                auto [ec, n] = co_await transport.read_some(asio::buffer(buffer));
                if (ec) break;
                received.append(buffer.data(), n);
            }
        },
        asio::detached);
    io.run_for(std::chrono::seconds(5));
    const std::string received_in_time = received;
    transport.close();  // ends a read that waits on the socket, so the coroutine is done
    io.restart();
    io.run_for(std::chrono::seconds(1));

    CHECK(handshake_ok);
    CHECK(received_in_time == "<a/><b/>");
    finished.set_value();
    client.join();
}
