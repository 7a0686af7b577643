// Listener: one bound TCP socket accepting client connections and handing
// each, with its per-IP slot, to the ConnectionHandler on the next worker
// (the server makes a c2s session or an HTTP connection of it). The socket is bound here (bind())
// or handed over by systemd (adopt(), socket_activation.hpp). The accept loop
// runs on the server's control context. Owned by the Server.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "conf/config.hpp"
#include "server/core/services.hpp"
#include "server/net/ip_connection_limit.hpp"
#include "server/net/socket_activation.hpp"
#include "server/system/worker_pool.hpp"

namespace server {

// "c2s", "c2s_tls", "http", "https", "component" or "s2s": the config's spelling of the kind.
const char* listener_kind_name(conf::ListenerKind kind);

// Takes an accepted connection on `worker`. `slot` holds its place in the
// per-IP count (null when there is no limit); `refused`: the address is
// over its limit, so the connection is to be answered with an error and closed.
using ConnectionHandler =
    std::function<void(const conf::ListenerConfig& listener, boost::asio::ip::tcp::socket socket,
                       boost::asio::io_context& worker, std::unique_ptr<IpConnectionLimit::Slot> slot, bool refused)>;

class Listener {
public:
    Listener(Services& services, WorkerPool& workers, boost::asio::io_context& control,
             conf::ListenerConfig config, ConnectionHandler handler);

    // Binds and listens; an error text on failure (address in use, ...).
    std::optional<std::string> bind();
    // Listens on a socket inherited from systemd instead; takes its descriptor
    // (closed on failure) and serves on the socket's own address and port.
    std::optional<std::string> adopt(const InheritedSocket& socket);
    void start();
    void stop();
    std::string describe() const;

private:
    boost::asio::awaitable<void> accept_loop();

    Services& services_;
    WorkerPool& workers_;
    boost::asio::io_context& control_;
    conf::ListenerConfig config_;
    ConnectionHandler handler_;
    boost::asio::ip::tcp::acceptor acceptor_;
    bool from_systemd_ = false;
};

}  // namespace server
