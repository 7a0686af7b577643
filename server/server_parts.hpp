// ServerParts: the parts of a running server that Services points to, and
// the one place that builds and wires them, in the order that works: the
// stores (store::Storage; SQLite under data_dir, or in memory for the unit
// and fuzz harnesses), their account store (or the one a harness passes), the
// storage executor, the session and connection tables, the router, the XMQ
// engine with its durable queues' journal and what they kept restored, the
// in-band registration limit, account deletion, and then the feature modules
// the configuration turns on. The server, tests/server/c2s_harness.hpp and
// tests/fuzz/session_harness.hpp all get their world from here, so no module
// runs with a part missing. What only a server on the network has (TLS, the
// per-IP connection limit and SASL failure delay, listeners) the Server adds to
// `services` itself.
//
// Built on one thread before any worker runs; afterwards threads share it
// through `services`. The storage executor is declared last, so that on
// destruction its thread ends before what its jobs use goes.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "conf/config.hpp"
#include "server/accounts/account_deletion.hpp"
#include "server/c2s/registration_limit.hpp"
#include "server/core/module_host.hpp"
#include "server/core/module_registry.hpp"
#include "server/core/queue_journal.hpp"
#include "server/core/services.hpp"
#include "server/core/storage_executor.hpp"
#include "server/modules/modules.hpp"
#include "server/router/component_table.hpp"
#include "server/router/connection_registry.hpp"
#include "server/router/router.hpp"
#include "server/router/session_manager.hpp"
#include "server/store/storage.hpp"
#include "xmpp/result.hpp"
#include "xmq/engine.hpp"

namespace server {

struct ServerParts {
    enum class Store {
        data_dir,  // <config.data_dir>/xmqd.sqlite
        memory,    // gone with the parts: tests and fuzz targets
    };

    struct Options {
        Store store = Store::data_dir;
        // The modules to choose from; null: modules::builtin_modules().
        const ModuleRegistry* modules = nullptr;
        // The account store; null: the storage backend's. The
        // harnesses pass test::MemoryAccounts, which fails lookups on demand;
        // account deletion then removes the account's data, not the account.
        auth::AccountStore* accounts = nullptr;
    };

    // The parts for `config`, with the modules it turns on loaded; or why
    // they could not be built (the storage would not open, a module lacks
    // a module or service it needs).
    static xmpp::Result<std::unique_ptr<ServerParts>, std::string> build(std::shared_ptr<const conf::Config> config,
                                                                         Options options);

    Services services;
    std::unique_ptr<store::Storage> stores;  // SQLite, the one backend so far
    // The journal of durable queues: outlives the engine that calls it.
    std::unique_ptr<QueueJournal> queue_journal;
    std::unique_ptr<xmq::Engine> xmq;
    ConnectionRegistry connections;
    ComponentTable components;
    SessionManager sessions;
    ModuleHost modules;
    Router router{services};
    RegistrationLimit registrations;
    std::unique_ptr<AccountDeletion> account_deletion;
    std::vector<std::string> loaded_modules;  // in load order
    StorageExecutor storage;
};

// A [[components]] domain that a loaded module serves itself (a service
// domain, ModuleHost::add_service_domain), as an error text; the component
// could never be reached. Checked at start-up and on reload.
std::optional<std::string> component_clash(const conf::Config& config, const ModuleHost& modules);

}  // namespace server
