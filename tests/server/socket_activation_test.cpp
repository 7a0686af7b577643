// Which configured listener gets which socket inherited from systemd: by
// address and port first, then by FileDescriptorName= equal to the kind;
// the rest are reported unmatched. (The socket hand-over itself is tested
// with systemd-socket-activate in tests/integration/test_systemd.py.)
#include <doctest/doctest.h>

#include "server/net/socket_activation.hpp"

namespace {

using boost::asio::ip::make_address;
using boost::asio::ip::tcp;
using conf::ListenerConfig;
using conf::ListenerKind;

server::InheritedSocket inherited(int fd, std::string name, const char* address, unsigned short port) {
    return {fd, std::move(name), tcp::endpoint(make_address(address), port)};
}

}  // namespace

TEST_CASE("inherited sockets go to the listener on the same address and port") {
    const std::vector<ListenerConfig> listeners{{ListenerKind::c2s, "::", 5222},
                                                {ListenerKind::c2s_tls, "::", 5223},
                                                {ListenerKind::http, "127.0.0.1", 5280}};
    // ListenStream=5223 and ListenStream=5222 of xmqd.socket: dual-stack [::],
    // named after the unit, in the unit's order.
    const std::vector<server::InheritedSocket> sockets{inherited(3, "xmqd.socket", "::", 5223),
                                                       inherited(4, "xmqd.socket", "::", 5222)};
    const auto a = server::assign_inherited_sockets(listeners, sockets);
    REQUIRE(a.by_listener.size() == 3);
    CHECK(a.by_listener[0] == std::optional<std::size_t>(1));
    CHECK(a.by_listener[1] == std::optional<std::size_t>(0));
    CHECK_FALSE(a.by_listener[2].has_value());  // bound by xmqd itself
    CHECK(a.unmatched.empty());
}

TEST_CASE("\"0.0.0.0\" in the config takes a socket on every address; a specific address must be equal") {
    const std::vector<ListenerConfig> listeners{{ListenerKind::c2s, "0.0.0.0", 5222},
                                                {ListenerKind::http, "127.0.0.1", 5280}};
    const std::vector<server::InheritedSocket> sockets{inherited(3, "a", "::", 5222),
                                                       inherited(4, "b", "127.0.0.2", 5280)};
    const auto a = server::assign_inherited_sockets(listeners, sockets);
    CHECK(a.by_listener[0] == std::optional<std::size_t>(0));
    CHECK_FALSE(a.by_listener[1].has_value());
    CHECK(a.unmatched == std::vector<std::size_t>{1});
}

TEST_CASE("a socket named after a kind goes to the first listener of that kind not matched by address") {
    const std::vector<ListenerConfig> listeners{{ListenerKind::c2s, "127.0.0.1", 5222},
                                                {ListenerKind::c2s, "127.0.0.1", 6222},
                                                {ListenerKind::c2s_tls, "127.0.0.1", 5223}};
    const std::vector<server::InheritedSocket> sockets{inherited(3, "c2s", "127.0.0.1", 7000),
                                                       inherited(4, "c2s", "127.0.0.1", 5222),
                                                       inherited(5, "c2s_tls", "::1", 7001),
                                                       inherited(6, "c2s", "127.0.0.1", 7002)};
    const auto a = server::assign_inherited_sockets(listeners, sockets);
    CHECK(a.by_listener[0] == std::optional<std::size_t>(1));  // its own address wins over the name
    CHECK(a.by_listener[1] == std::optional<std::size_t>(0));
    CHECK(a.by_listener[2] == std::optional<std::size_t>(2));
    CHECK(a.unmatched == std::vector<std::size_t>{3});  // a third "c2s" with no listener left
}

TEST_CASE("a socket that is not a listening TCP socket is never assigned") {
    const std::vector<ListenerConfig> listeners{{ListenerKind::c2s, "::", 5222}};
    const std::vector<server::InheritedSocket> sockets{{3, "c2s", std::nullopt}};
    const auto a = server::assign_inherited_sockets(listeners, sockets);
    CHECK_FALSE(a.by_listener[0].has_value());
    CHECK(a.unmatched == std::vector<std::size_t>{0});
}
