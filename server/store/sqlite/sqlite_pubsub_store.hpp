// SqlitePubsubStore: PubsubStore over the server's SQLite Database.
//
// Tables (module "pubsub"), every one keyed by the service's (user, domain)
// like the account tables, so that store::remove_account() takes an
// account's PEP nodes with the rest of it:
//   pubsub_nodes(user, domain, node, config), unique by (user, domain, node);
//   pubsub_items(seq, user, domain, node, id, publisher, stamp_us, xml), seq
//     the INTEGER PRIMARY KEY (the order within a node), unique by (user,
//     domain, node, id), indexed by (user, domain, node, seq) for a node's
//     newest items;
//   pubsub_affiliations(user, domain, node, jid, affiliation) and
//   pubsub_subscriptions(user, domain, node, jid), keyed by all but the last
//     column.
// load() reads a node's newest items through the index, however many the
// table holds. The store borrows the Database, which must outlive it. Calls
// are thread-safe (the Database serialises them) and block on disk: run them
// on the storage executor or in an admin sub-command.
#pragma once

#include "server/store/pubsub_store.hpp"
#include "server/store/sqlite/database.hpp"

namespace server::store {

class SqlitePubsubStore final : public PubsubStore {
public:
    explicit SqlitePubsubStore(Database& db) : db_(db) {}

    static MigrationSet schema();

    std::optional<std::vector<PubsubNodeRow>> load(const std::string& user, const std::string& domain,
                                                    const PubsubLoadBounds& bounds) override;
    bool apply(const std::string& user, const std::string& domain,
               const std::vector<PubsubChange>& changes) override;
    bool remove_service(const std::string& user, const std::string& domain) override;
    std::optional<std::vector<PubsubServiceKey>> services() override;

private:
    Database& db_;
};

}  // namespace server::store
