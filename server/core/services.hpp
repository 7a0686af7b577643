// Services: the shared parts of a running server that sessions, the router
// and modules reach. Owned by Server, which outlives every session. The
// config and TLS context are swapped whole on reload, so readers take a
// snapshot (atomic shared_ptr load) and keep it for the operation.
#pragma once

#include <atomic>
#include <boost/asio/ssl/context.hpp>
#include <memory>

#include "auth/account_store.hpp"
#include "conf/config.hpp"

namespace xmq {
class Engine;
}

namespace server::store {
class Storage;
}

namespace server {

class ComponentTable;
class RemoteServers;
class ConnectionRegistry;
class SessionManager;
class ModuleHost;
class Router;
class StorageExecutor;
class QueueJournal;
class IpConnectionLimit;
class AuthFailureDelay;
class AccountDeletion;
class RegistrationLimit;

struct Services {
    std::atomic<std::shared_ptr<const conf::Config>> config;
    std::atomic<std::shared_ptr<boost::asio::ssl::context>> tls;
    ConnectionRegistry* connections = nullptr;
    SessionManager* sessions = nullptr;
    ModuleHost* modules = nullptr;
    Router* router = nullptr;
    StorageExecutor* storage = nullptr;
    auth::AccountStore* accounts = nullptr;
    xmq::Engine* xmq = nullptr;
    QueueJournal* queue_journal = nullptr;  // what durable queues keep, to storage; null in some tests
    store::Storage* stores = nullptr;  // the storage backend's stores; null in some tests
    IpConnectionLimit* connection_limit = nullptr;  // per-IP connection count; null = no limit
    AuthFailureDelay* auth_failures = nullptr;      // SASL failures per IP; null = no delay
    AccountDeletion* account_deletion = nullptr;    // XEP-0077 <remove/>, xmqd deluser; null in tests
    RegistrationLimit* registration_limit = nullptr;  // in-band registrations per IP; null = no limit
    ComponentTable* components = nullptr;  // connected external components (XEP-0114); null in some tests
    RemoteServers* remote = nullptr;  // federation (server-to-server streams); null when it is off

    std::shared_ptr<const conf::Config> current_config() const { return config.load(); }
};

}  // namespace server
