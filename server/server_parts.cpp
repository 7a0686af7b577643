#include "server/server_parts.hpp"

#include "server/store/sqlite/sqlite_storage.hpp"

namespace server {

std::optional<std::string> component_clash(const conf::Config& config, const ModuleHost& modules) {
    for (const conf::ComponentConfig& c : config.components)
        if (modules.find_service_domain(c.domain))
            return c.domain + " is served by a module of the server (a service domain); choose another domain";
    return std::nullopt;
}

xmpp::Result<std::unique_ptr<ServerParts>, std::string> ServerParts::build(std::shared_ptr<const conf::Config> config,
                                                                           Options options) {
    auto parts = std::make_unique<ServerParts>();
    auto stores = options.store == Store::data_dir ? store::SqliteStorage::open(config->data_dir)
                                                   : store::SqliteStorage::open_in_memory();
    if (!stores) return xmpp::fail("storage: " + stores.error());
    parts->stores = std::move(stores.value());
    if (!options.accounts) options.accounts = &parts->stores->accounts();
    parts->storage.group_commits(*parts->stores);
    parts->queue_journal = std::make_unique<QueueJournal>(parts->storage, parts->stores->queues());
    parts->xmq = std::make_unique<xmq::Engine>(
        config->xmq, config->host_domains(), [] { return std::chrono::steady_clock::now(); }, *parts->queue_journal);
    parts->xmq->set_max_subscriptions_per_client(config->xmq.max_subscriptions_per_client);
    restore_durable_queues(*parts->xmq, parts->stores->queues(), config->xmq);
    parts->storage.drain();  // what restoring changed is written before anything else uses the stores

    Services& services = parts->services;
    services.config.store(config);
    services.connections = &parts->connections;
    services.components = &parts->components;
    services.sessions = &parts->sessions;
    services.modules = &parts->modules;
    services.router = &parts->router;
    services.storage = &parts->storage;
    services.accounts = options.accounts;
    services.xmq = parts->xmq.get();
    services.queue_journal = parts->queue_journal.get();
    services.stores = parts->stores.get();
    services.registration_limit = &parts->registrations;
    parts->account_deletion = std::make_unique<AccountDeletion>(services);
    services.account_deletion = parts->account_deletion.get();

    const ModuleRegistry& registry = options.modules ? *options.modules : modules::builtin_modules();
    auto loaded = registry.load(parts->modules, services, config->modules);
    if (!loaded) return xmpp::fail("modules: " + loaded.error());
    parts->loaded_modules = std::move(loaded.value());
    if (auto clash = component_clash(*config, parts->modules)) return xmpp::fail("components: " + *clash);
    // After the modules: its session_ended hook must run after theirs.
    parts->account_deletion->watch_session_ends();
    return parts;
}

}  // namespace server
