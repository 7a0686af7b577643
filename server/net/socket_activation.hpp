// Socket activation: listening sockets handed over by systemd (xmqd.socket,
// or `systemd-socket-activate`; sd_listen_fds_with_names(3)) used instead of
// sockets xmqd binds itself. An inherited socket goes to the configured
// listener with the same local address and port; failing that, to the first
// listener whose kind is the socket's name (FileDescriptorName=: "c2s",
// "c2s_tls", "http", "https" or "component"), which then serves on the socket's address.
// A listener that gets no socket binds its own; an inherited socket that no
// listener takes is logged as an error and closed.
//
// take_sockets_for() reads and unsets LISTEN_FDS/LISTEN_FDNAMES, so call it
// once, on the main thread, before other threads start (environ is not
// thread-safe). assign_inherited_sockets() is the pure matching rule.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "conf/config.hpp"

namespace server {

struct InheritedSocket {
    int fd = -1;
    std::string name;  // FileDescriptorName=, by default the socket unit's name
    // The bound address of a listening TCP socket; nullopt for anything else
    // (a datagram, UNIX or not-listening socket), which no listener can take.
    std::optional<boost::asio::ip::tcp::endpoint> local;
};

struct SocketAssignment {
    std::vector<std::optional<std::size_t>> by_listener;  // per listener: index into the sockets
    std::vector<std::size_t> unmatched;                   // sockets no listener takes
};

SocketAssignment assign_inherited_sockets(const std::vector<conf::ListenerConfig>& listeners,
                                          const std::vector<InheritedSocket>& sockets);

// The sockets systemd passed to this process, one entry per listener (nullopt:
// bind it yourself). Empty entries only when LISTEN_FDS is not set for us.
std::vector<std::optional<InheritedSocket>> take_sockets_for(const std::vector<conf::ListenerConfig>& listeners);

std::string describe(const InheritedSocket& socket);

}  // namespace server
