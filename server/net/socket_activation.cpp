#include "server/net/socket_activation.hpp"

#include <sys/socket.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "server/net/listener.hpp"
#include "server/system/log.hpp"

namespace server {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

bool same_address(const conf::ListenerConfig& listener, const tcp::endpoint& local) {
    if (listener.port != local.port()) return false;
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(listener.address, ec);
    if (ec) return false;
    // "::" and "0.0.0.0" both mean every address: a dual-stack [::] socket
    // from systemd (ListenStream=5222) serves either.
    if (address.is_unspecified() && local.address().is_unspecified()) return true;
    return address == local.address();
}

std::optional<tcp::endpoint> listening_tcp_endpoint(int fd) {
    if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) <= 0) return std::nullopt;
    sockaddr_storage storage{};
    socklen_t length = sizeof storage;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) return std::nullopt;
    if (storage.ss_family != AF_INET && storage.ss_family != AF_INET6) return std::nullopt;
    tcp::endpoint endpoint;
    std::memcpy(endpoint.data(), &storage, length);
    endpoint.resize(length);
    return endpoint;
}

// sd_listen_fds_with_names(3): unset_environment=1 so that nothing started
// later believes the sockets are its own.
std::vector<InheritedSocket> take_from_systemd() {
    char** names = nullptr;
    const int count = sd_listen_fds_with_names(1, &names);
    std::vector<InheritedSocket> sockets;
    if (count < 0) {
        XLOG(error) << "socket activation: cannot read LISTEN_FDS: " << std::strerror(-count);
        return sockets;
    }
    for (int i = 0; i < count; ++i) {
        InheritedSocket socket;
        socket.fd = SD_LISTEN_FDS_START + i;
        if (names && names[i]) socket.name = names[i];
        socket.local = listening_tcp_endpoint(socket.fd);
        sockets.push_back(std::move(socket));
    }
    if (names) {
        for (int i = 0; names[i]; ++i) std::free(names[i]);
        std::free(names);
    }
    return sockets;
}

}  // namespace

SocketAssignment assign_inherited_sockets(const std::vector<conf::ListenerConfig>& listeners,
                                          const std::vector<InheritedSocket>& sockets) {
    SocketAssignment result;
    result.by_listener.resize(listeners.size());
    std::vector<bool> taken(sockets.size(), false);
    // By address first, so that a name never steals the socket of a listener
    // configured on exactly that address.
    for (std::size_t l = 0; l < listeners.size(); ++l) {
        for (std::size_t s = 0; s < sockets.size(); ++s) {
            if (taken[s] || !sockets[s].local || !same_address(listeners[l], *sockets[s].local)) continue;
            result.by_listener[l] = s;
            taken[s] = true;
            break;
        }
    }
    for (std::size_t s = 0; s < sockets.size(); ++s) {
        if (taken[s] || !sockets[s].local) continue;
        for (std::size_t l = 0; l < listeners.size(); ++l) {
            if (result.by_listener[l] || sockets[s].name != listener_kind_name(listeners[l].kind)) continue;
            result.by_listener[l] = s;
            taken[s] = true;
            break;
        }
    }
    for (std::size_t s = 0; s < sockets.size(); ++s)
        if (!taken[s]) result.unmatched.push_back(s);
    return result;
}

std::vector<std::optional<InheritedSocket>> take_sockets_for(const std::vector<conf::ListenerConfig>& listeners) {
    std::vector<std::optional<InheritedSocket>> given(listeners.size());
    const auto sockets = take_from_systemd();
    if (sockets.empty()) return given;
    const auto assignment = assign_inherited_sockets(listeners, sockets);
    for (auto s : assignment.unmatched) {
        XLOG(error) << "socket activation: no listener takes inherited " << describe(sockets[s])
                    << " (match a [[listeners]] entry's address and port, or name the socket after its kind:"
                    << " c2s, c2s_tls, http, https, component); closing it";
        ::close(sockets[s].fd);
    }
    for (std::size_t l = 0; l < listeners.size(); ++l)
        if (assignment.by_listener[l]) given[l] = sockets[*assignment.by_listener[l]];
    return given;
}

std::string describe(const InheritedSocket& socket) {
    std::string text = "socket fd " + std::to_string(socket.fd) + " named '" + socket.name + "'";
    if (!socket.local) return text + " (not a listening TCP socket)";
    const auto address = socket.local->address();
    const std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
    return text + " on " + host + ":" + std::to_string(socket.local->port());
}

}  // namespace server
