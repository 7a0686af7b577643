#include "server/server_parts.hpp"

namespace server {

xmpp::Result<std::unique_ptr<ServerParts>, std::string> ServerParts::build(std::shared_ptr<const conf::Config> config,
                                                                           Options options) {
    auto parts = std::make_unique<ServerParts>();
    auto db = options.store == Store::data_dir ? store::Database::open(config->data_dir)
                                               : store::Database::open_in_memory();
    if (!db) return xmpp::fail("storage: " + db.error());
    parts->database = std::move(db.value());
    if (!options.accounts) {
        parts->sqlite_accounts = std::make_unique<store::SqliteAccountStore>(*parts->database);
        options.accounts = parts->sqlite_accounts.get();
    }
    parts->xmq = std::make_unique<xmq::Engine>(config->xmq, config->host_domains());
    parts->xmq->set_max_subscriptions_per_client(config->xmq.max_subscriptions_per_client);

    Services& services = parts->services;
    services.config.store(config);
    services.connections = &parts->connections;
    services.sessions = &parts->sessions;
    services.modules = &parts->modules;
    services.router = &parts->router;
    services.storage = &parts->storage;
    services.accounts = options.accounts;
    services.xmq = parts->xmq.get();
    services.database = parts->database.get();
    services.registration_limit = &parts->registrations;
    parts->account_deletion = std::make_unique<AccountDeletion>(services);
    services.account_deletion = parts->account_deletion.get();

    const ModuleRegistry& registry = options.modules ? *options.modules : modules::builtin_modules();
    auto loaded = registry.load(parts->modules, services, config->modules);
    if (!loaded) return xmpp::fail("modules: " + loaded.error());
    parts->loaded_modules = std::move(loaded.value());
    // After the modules: its session_ended hook must run after theirs.
    parts->account_deletion->watch_session_ends();
    return parts;
}

}  // namespace server
