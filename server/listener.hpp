// Listener: one bound TCP socket accepting client connections and handing
// each to a C2sSession on the next worker. The socket is bound here (bind())
// or handed over by systemd (adopt(), socket_activation.hpp). The accept loop
// runs on the server's control context. Owned by the Server.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <optional>
#include <string>

#include "conf/config.hpp"
#include "server/services.hpp"
#include "server/socket_activation.hpp"
#include "server/worker_pool.hpp"

namespace server {

// "c2s", "c2s_tls", "http" or "https": the config's spelling of the kind.
const char* listener_kind_name(conf::ListenerKind kind);

class Listener {
public:
    Listener(Services& services, WorkerPool& workers, boost::asio::io_context& control,
             conf::ListenerConfig config);

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
    boost::asio::ip::tcp::acceptor acceptor_;
    bool from_systemd_ = false;
};

}  // namespace server
