#include "server/net/listener.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <unistd.h>

#include "server/core/use_tuple.hpp"
#include "server/system/log.hpp"

namespace server {

namespace asio = boost::asio;
using asio::ip::tcp;

Listener::Listener(Services& services, WorkerPool& workers, asio::io_context& control, conf::ListenerConfig config,
                   ConnectionHandler handler)
    : services_(services),
      workers_(workers),
      control_(control),
      config_(std::move(config)),
      handler_(std::move(handler)),
      acceptor_(control) {}

std::optional<std::string> Listener::bind() {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(config_.address, ec);
    if (ec) return "invalid address " + config_.address;
    tcp::endpoint endpoint(address, config_.port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec && address.is_v6() && address.to_v6().is_unspecified())
        acceptor_.set_option(asio::ip::v6_only(false), ec);  // "::" takes IPv4 too
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return "cannot listen on " + describe() + ": " + ec.message();
    return std::nullopt;
}

std::optional<std::string> Listener::adopt(const InheritedSocket& socket) {
    from_systemd_ = true;
    boost::system::error_code ec;
    if (socket.local) acceptor_.assign(socket.local->protocol(), socket.fd, ec);
    if (!socket.local || ec) {
        ::close(socket.fd);
        return "cannot serve " + describe() + " on inherited " + server::describe(socket) +
               (ec ? ": " + ec.message() : "");
    }
    config_.address = socket.local->address().to_string();
    config_.port = socket.local->port();
    return std::nullopt;
}

void Listener::start() { asio::co_spawn(control_, accept_loop(), asio::detached); }

void Listener::stop() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
}

const char* listener_kind_name(conf::ListenerKind kind) {
    switch (kind) {
        case conf::ListenerKind::c2s: return "c2s";
        case conf::ListenerKind::c2s_tls: return "c2s_tls";
        case conf::ListenerKind::http: return "http";
        case conf::ListenerKind::https: return "https";
        case conf::ListenerKind::component: return "component";
        case conf::ListenerKind::s2s: return "s2s";
    }
    return "unknown";
}

std::string Listener::describe() const {
    const bool v6 = config_.address.find(':') != std::string::npos;
    return std::string(listener_kind_name(config_.kind)) + " " +
           (v6 ? "[" + config_.address + "]" : config_.address) + ":" + std::to_string(config_.port) +
           (from_systemd_ ? " (socket from systemd)" : "");
}

asio::awaitable<void> Listener::accept_loop() {
    asio::steady_timer backoff(control_);
    while (acceptor_.is_open()) {
        auto& worker = workers_.next();
        auto [ec, socket] = co_await acceptor_.async_accept(worker, use_tuple);
        if (ec == asio::error::operation_aborted || !acceptor_.is_open()) break;
        if (ec) {
            // Out of descriptors or memory: wait instead of spinning.
            XLOG(warning) << "accept on " << describe() << ": " << ec.message();
            backoff.expires_after(std::chrono::milliseconds(100));
            co_await backoff.async_wait(use_tuple);
            continue;
        }
        // Per-IP connection count, c2s and HTTP together.
        const auto config = services_.current_config();
        boost::system::error_code endpoint_error;
        const std::string ip = socket.remote_endpoint(endpoint_error).address().to_string();
        std::unique_ptr<IpConnectionLimit::Slot> slot;
        if (services_.connection_limit)
            slot = services_.connection_limit->admit(ip, config->limits.max_connections_per_ip);
        const bool refused = services_.connection_limit && !slot;
        if (refused) {
            XLOG(info) << "refused a connection from " << ip << ": " << config->limits.max_connections_per_ip
                       << " connections from that address are open";
        }
        handler_(config_, std::move(socket), worker, std::move(slot), refused);
    }
}

}  // namespace server
