#include "server/server.hpp"

#include <systemd/sd-daemon.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <filesystem>
#include <thread>

#include "auth/sasl_server.hpp"
#include "server/accept.hpp"
#include "server/admin/control_protocol.hpp"
#include "server/admin/control_socket.hpp"
#include "server/c2s/auth_failure_delay.hpp"
#include "server/c2s/stream_management.hpp"
#include "server/core/use_tuple.hpp"
#include "server/modules/modules.hpp"
#include "server/net/certificate_check.hpp"
#include "server/net/ip_connection_limit.hpp"
#include "server/net/listener.hpp"
#include "server/net/socket_activation.hpp"
#include "server/net/tls_context.hpp"
#include "server/s2s/s2s_manager.hpp"
#include "server/server_parts.hpp"
#include "server/system/config_reload.hpp"
#include "server/system/log.hpp"
#include "server/system/watchdog.hpp"
#include "server/system/worker_pool.hpp"
#include "xmq/engine.hpp"

namespace server {

namespace asio = boost::asio;

namespace {

std::string joined(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
    return out;
}

}  // namespace

struct Server::Impl {
    Impl(std::shared_ptr<const conf::Config> config, std::string path)
        : config_path(std::move(path)), initial_config(config), workers(config->workers) {}

    int run();
    void wait_for_signal();
    void shutdown();
    // The stream_management module's state; null when it is off.
    std::shared_ptr<StreamManagement> stream_management() const {
        return parts->services.modules ? parts->services.modules->find_shared<StreamManagement>() : nullptr;
    }
    void reload();
    asio::awaitable<void> sweep_queues();
    asio::awaitable<void> wait_for_sessions_then_stop();

    std::string config_path;
    std::shared_ptr<const conf::Config> initial_config;  // until the parts hold it
    // Before the workers: sessions (and their connection slots) may be
    // destroyed with the workers' contexts, and use the parts meanwhile.
    IpConnectionLimit connection_limit;
    AuthFailureDelay auth_failures;
    std::unique_ptr<ServerParts> parts;
    WorkerPool workers;
    // Federation, when an s2s listener is configured. After the workers:
    // gone before them, so no outgoing stream outlives its context's users.
    std::unique_ptr<S2sManager> s2s;
    asio::io_context control{1};
    Watchdog watchdog{control, workers};
    std::vector<std::unique_ptr<Listener>> listeners;
    std::unique_ptr<ControlSocket> control_socket;
    asio::signal_set signals{control, SIGTERM, SIGINT, SIGHUP};
    bool stopping = false;
};

Server::Server(std::shared_ptr<const conf::Config> config, std::string config_path)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(config_path))) {}

Server::~Server() = default;

int Server::run() { return impl_->run(); }

int Server::Impl::run() {
    auto config = std::move(initial_config);
    set_log_level(config->log.level);
    set_log_format(config->log.format);
    // Before any thread starts: reading LISTEN_FDS unsets it.
    auto inherited = take_sockets_for(config->listeners);

    if (auto err = auth::SaslServer::global_init()) {
        XLOG(error) << "SASL: " << *err;
        return 1;
    }
    std::error_code fs_error;
    std::filesystem::create_directories(config->data_dir, fs_error);
    auto built = ServerParts::build(config, {.store = ServerParts::Store::data_dir});
    if (!built) {
        XLOG(error) << built.error();
        return 1;
    }
    parts = std::move(built.value());
    Services& services = parts->services;
    auto tls = make_tls_context(*config);
    if (!tls) {
        XLOG(error) << "TLS: " << tls.error();
        return 1;
    }
    services.tls.store(tls.value());
    for (const auto& w : served_certificate_warnings(*config)) XLOG(warning) << "TLS: " << w;
    services.connection_limit = &connection_limit;
    services.auth_failures = &auth_failures;
    XLOG(info) << "modules: " << joined(parts->loaded_modules);
    control_socket = std::make_unique<ControlSocket>(control, services, *parts->account_deletion);
    if (auto err = control_socket->bind(control_socket_path(*config))) {
        XLOG(error) << *err;
        return 1;
    }

    if (config->federates()) {
        try {
            s2s = std::make_unique<S2sManager>(services, [this] { return workers.next().get_executor(); });
        } catch (const std::exception& e) {
            XLOG(error) << "s2s: " << e.what();
            return 1;
        }
        services.remote = s2s.get();
    }
    for (std::size_t i = 0; i < config->listeners.size(); ++i) {
        auto listener = std::make_unique<Listener>(services, workers, control, config->listeners[i],
                                                   connection_handler(services, s2s.get()));
        if (auto err = inherited[i] ? listener->adopt(*inherited[i]) : listener->bind()) {
            XLOG(error) << *err;
            return 1;
        }
        listeners.push_back(std::move(listener));
    }
    workers.start();
    std::string bound;
    for (auto& l : listeners) {
        l->start();
        bound += (bound.empty() ? "" : ", ") + l->describe();
    }

    control_socket->start();
    wait_for_signal();
    asio::co_spawn(control, sweep_queues(), asio::detached);

    std::string hosts;
    for (const auto& h : config->hosts) hosts += (hosts.empty() ? "" : ", ") + h.domain;
    XLOG(info) << "xmqd ready: hosts " << hosts << "; listening on " << bound << "; " << workers.size()
               << " workers; data in " << config->data_dir;
    sd_notify(0, "READY=1");
    if (auto interval = watchdog.start(); interval.count() > 0) {
        XLOG(info) << "systemd watchdog: keep-alive every " << interval.count() / 2000 << " ms";
    }

    control.run();
    workers.stop();
    parts->storage.stop();
    XLOG(info) << "xmqd stopped";
    return 0;
}

void Server::Impl::wait_for_signal() {
    signals.async_wait([this](const boost::system::error_code& ec, int signo) {
        if (ec) return;
        if (signo != SIGHUP) return shutdown();
        reload();
        wait_for_signal();
    });
}

void Server::Impl::shutdown() {
    if (stopping) return;
    stopping = true;
    sd_notify(0, "STOPPING=1");
    watchdog.stop();
    XLOG(info) << "shutting down: closing " << parts->connections.size() << " connections";
    for (auto& l : listeners) l->stop();
    control_socket->stop();
    // Hibernated sessions end now, and no session hibernates from here on:
    // their unacknowledged messages reach offline storage before it stops.
    if (auto sm = stream_management()) sm->shut_down();
    parts->connections.for_each([](const std::shared_ptr<LiveConnection>& s) {
        s->close_with(xmpp::StreamError::system_shutdown, "The server is shutting down");
    });
    asio::co_spawn(control, wait_for_sessions_then_stop(), asio::detached);
}

asio::awaitable<void> Server::Impl::wait_for_sessions_then_stop() {
    // Give streams a moment to take their <system-shutdown/> before the workers stop.
    asio::steady_timer timer(control);
    // Sessions of stream management leave its table when they end.
    auto sm = stream_management();
    for (int i = 0; i < 30 && (parts->connections.size() > 0 || (sm && sm->resumable.size() > 0)); ++i) {
        timer.expires_after(std::chrono::milliseconds(100));
        co_await timer.async_wait(use_tuple);
    }
    control.stop();
}

void Server::Impl::reload() {
    if (config_path.empty()) {
        XLOG(info) << "SIGHUP: running on embedded defaults, nothing to reload";
        return;
    }
    sd_notify(0, "RELOADING=1");
    const conf::ModuleCatalog& catalog = modules::builtin_modules().catalog();
    auto loaded = conf::load_config_file(config_path, catalog);
    if (!loaded) {
        for (const auto& e : loaded.error()) XLOG(error) << "reload refused: " << e.to_string();
        sd_notify(0, "READY=1");
        return;
    }
    Services& services = parts->services;
    auto plan = plan_reload(*services.current_config(), std::move(loaded.value()), catalog);
    auto fresh = std::make_shared<const conf::Config>(std::move(plan.config));
    if (auto clash = component_clash(*fresh, *services.modules)) {
        XLOG(error) << "reload refused: components: " << *clash;
        sd_notify(0, "READY=1");
        return;
    }
    auto tls = make_tls_context(*fresh);
    if (!tls) {
        XLOG(error) << "reload refused: TLS: " << tls.error();
        sd_notify(0, "READY=1");
        return;
    }
    services.tls.store(tls.value());
    set_log_level(fresh->log.level);
    set_log_format(fresh->log.format);
    for (const auto& w : served_certificate_warnings(*fresh)) XLOG(warning) << "TLS: " << w;
    for (const auto& key : plan.ignored)
        XLOG(warning) << "reload: " << key << " changed in " << config_path << "; it takes effect on restart";
    parts->xmq->reconfigure(fresh->xmq, fresh->host_domains());
    parts->xmq->set_max_subscriptions_per_client(fresh->xmq.max_subscriptions_per_client);
    services.config.store(fresh);
    XLOG(info) << "configuration reloaded from " << config_path;
    sd_notify(0, "READY=1");
}

asio::awaitable<void> Server::Impl::sweep_queues() {
    asio::steady_timer timer(control);
    while (!stopping) {
        timer.expires_after(parts->xmq->sweep_interval());
        co_await timer.async_wait(use_tuple);
        if (stopping) break;
        if (auto removed = parts->services.router->sweep_queues()) {
            XLOG(debug) << "xmq: " << removed << " expired subscriptions removed";
        }
    }
}

}  // namespace server
