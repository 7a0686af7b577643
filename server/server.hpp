// Server: a running xmqd. Builds the shared services from a Config (store,
// TLS, XMQ engine, modules, session table, router), binds every listener,
// runs the workers, and handles signals: SIGTERM/SIGINT shut down gracefully
// (every stream gets <system-shutdown/>), SIGHUP reloads the configuration
// file (what may change: config_reload.hpp; a config with errors is refused
// and the running one stays). Created and run on the main thread.
#pragma once

#include <memory>
#include <string>

#include "conf/config.hpp"

namespace server {

class Server {
public:
    // `config_path` is re-read on SIGHUP; empty when running on the embedded defaults.
    Server(std::shared_ptr<const conf::Config> config, std::string config_path);
    ~Server();

    // Runs until shutdown; the process exit code.
    int run();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace server
