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
#include "server/accounts/account_deletion.hpp"
#include "server/c2s/auth_failure_delay.hpp"
#include "server/net/certificate_check.hpp"
#include "server/system/config_reload.hpp"
#include "server/router/connection_registry.hpp"
#include "server/admin/control_protocol.hpp"
#include "server/admin/control_socket.hpp"
#include "server/net/ip_connection_limit.hpp"
#include "server/net/listener.hpp"
#include "server/system/log.hpp"
#include "server/core/module_host.hpp"
#include "server/c2s/registration_limit.hpp"
#include "server/modules/modules.hpp"
#include "server/router/router.hpp"
#include "server/router/session_manager.hpp"
#include "server/net/socket_activation.hpp"
#include "server/core/storage_executor.hpp"
#include "server/store/database.hpp"
#include "server/store/sqlite_account_store.hpp"
#include "server/net/tls_context.hpp"
#include "server/system/watchdog.hpp"
#include "server/system/worker_pool.hpp"
#include "server/core/use_tuple.hpp"
#include "xmq/engine.hpp"

namespace server {

namespace asio = boost::asio;

namespace {

std::vector<std::string> host_names(const conf::Config& config) {
    std::vector<std::string> hosts;
    for (const auto& h : config.hosts) hosts.push_back(h.domain);
    return hosts;
}

}  // namespace

struct Server::Impl {
    Impl(std::shared_ptr<const conf::Config> config, std::string path)
        : config_path(std::move(path)), workers(config->workers), router(services) {
        services.config.store(std::move(config));
    }

    int run();
    void wait_for_signal();
    void shutdown();
    void reload();
    asio::awaitable<void> sweep_queues();
    asio::awaitable<void> wait_for_sessions_then_stop();

    std::string config_path;
    Services services;
    // Before the workers: sessions (and their connection slots) may be
    // destroyed with the workers' contexts.
    IpConnectionLimit connection_limit;
    AuthFailureDelay auth_failures;
    RegistrationLimit registrations;
    WorkerPool workers;
    asio::io_context control{1};
    Watchdog watchdog{control, workers};
    ConnectionRegistry connections;
    SessionManager sessions;
    ModuleHost modules;
    Router router;
    std::unique_ptr<StorageExecutor> storage;
    std::unique_ptr<store::Database> database;
    std::unique_ptr<store::SqliteAccountStore> accounts;
    std::unique_ptr<xmq::Engine> xmq;
    std::vector<std::unique_ptr<Listener>> listeners;
    std::unique_ptr<AccountDeletion> account_deletion;
    std::unique_ptr<ControlSocket> control_socket;
    asio::signal_set signals{control, SIGTERM, SIGINT, SIGHUP};
    bool stopping = false;
};

Server::Server(std::shared_ptr<const conf::Config> config, std::string config_path)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(config_path))) {}

Server::~Server() = default;

int Server::run() { return impl_->run(); }

int Server::Impl::run() {
    auto config = services.current_config();
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
    auto db = store::Database::open(config->data_dir);
    if (!db) {
        XLOG(error) << "storage: " << db.error();
        return 1;
    }
    database = std::move(db.value());
    accounts = std::make_unique<store::SqliteAccountStore>(*database);
    auto tls = make_tls_context(*config);
    if (!tls) {
        XLOG(error) << "TLS: " << tls.error();
        return 1;
    }
    services.tls.store(tls.value());
    for (const auto& w : served_certificate_warnings(*config)) XLOG(warning) << "TLS: " << w;
    storage = std::make_unique<StorageExecutor>();
    xmq = std::make_unique<xmq::Engine>(config->xmq, host_names(*config));
    xmq->set_max_subscriptions_per_client(config->xmq.max_subscriptions_per_client);

    services.connections = &connections;
    services.connection_limit = &connection_limit;
    services.auth_failures = &auth_failures;
    services.registration_limit = &registrations;
    services.sessions = &sessions;
    services.modules = &modules;
    services.router = &router;
    services.storage = storage.get();
    services.accounts = accounts.get();
    services.xmq = xmq.get();
    services.database = database.get();
    modules::register_all(modules, services);
    // After the modules: its session_ended hook must run after theirs.
    account_deletion = std::make_unique<AccountDeletion>(services);
    services.account_deletion = account_deletion.get();
    control_socket = std::make_unique<ControlSocket>(control, services, *account_deletion);
    if (auto err = control_socket->bind(control_socket_path(*config))) {
        XLOG(error) << *err;
        return 1;
    }

    for (std::size_t i = 0; i < config->listeners.size(); ++i) {
        auto listener = std::make_unique<Listener>(services, workers, control, config->listeners[i],
                                                   connection_handler(services));
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
    storage->stop();
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
    XLOG(info) << "shutting down: closing " << connections.size() << " connections";
    for (auto& l : listeners) l->stop();
    control_socket->stop();
    connections.for_each([](const std::shared_ptr<LiveConnection>& s) {
        s->close_with(xmpp::StreamError::system_shutdown, "The server is shutting down");
    });
    asio::co_spawn(control, wait_for_sessions_then_stop(), asio::detached);
}

asio::awaitable<void> Server::Impl::wait_for_sessions_then_stop() {
    // Give streams a moment to take their <system-shutdown/> before the workers stop.
    asio::steady_timer timer(control);
    for (int i = 0; i < 30 && connections.size() > 0; ++i) {
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
    auto loaded = conf::load_config_file(config_path);
    if (!loaded) {
        for (const auto& e : loaded.error()) XLOG(error) << "reload refused: " << e.to_string();
        sd_notify(0, "READY=1");
        return;
    }
    auto plan = plan_reload(*services.current_config(), std::move(loaded.value()));
    auto fresh = std::make_shared<const conf::Config>(std::move(plan.config));
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
    xmq->reconfigure(fresh->xmq, host_names(*fresh));
    xmq->set_max_subscriptions_per_client(fresh->xmq.max_subscriptions_per_client);
    services.config.store(fresh);
    XLOG(info) << "configuration reloaded from " << config_path;
    sd_notify(0, "READY=1");
}

asio::awaitable<void> Server::Impl::sweep_queues() {
    asio::steady_timer timer(control);
    while (!stopping) {
        timer.expires_after(xmq->sweep_interval());
        co_await timer.async_wait(use_tuple);
        if (stopping) break;
        if (auto removed = xmq->sweep()) {
            XLOG(debug) << "xmq: " << removed << " expired subscriptions removed";
        }
    }
}

}  // namespace server
