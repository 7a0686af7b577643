// PubsubStore: what publish-subscribe services keep, whatever the storage
// backend: each service's nodes with their configuration, items in
// publication order, affiliations and subscriptions. It stores rows and
// knows no XEP-0060 rule: pubsub::Service (pubsub/service.hpp) makes the
// changes, server/core/pubsub_journal.hpp turns its Journal reports into
// PubsubChange batches and stored rows back into nodes to restore().
//
// A service is keyed like an account, by the localpart and domain of its JID:
// PEP (XEP-0163) uses the account's own (user, domain), so that deleting the
// account deletes its PEP nodes with every other row of it; a public service
// pubsub.<host> would use ("", "pubsub.<host>").
//
// Within a node, items are ordered by a sequence number the store assigns as
// it writes them: an item stored again under its id becomes the newest, as
// the Service counts it.
//
// Owned by the backend's Storage (storage.hpp). Calls are thread-safe and
// block on disk or network: run them on the storage executor or in an admin
// sub-command, never on an I/O worker. apply() is one transaction: once it
// returns true, every change it was given is durable (or, inside a commit
// group, part of the group).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace server::store {

struct PubsubItemRow {
    std::string id;
    std::string publisher;      // bare JID
    std::int64_t stamp_us = 0;  // when it was published, Unix microseconds
    std::string xml;            // the payload as stored; empty: an item without payload

    friend bool operator==(const PubsubItemRow&, const PubsubItemRow&) = default;
};

struct PubsubNodeRow {
    std::string name;
    std::string config;  // the node's configuration, serialised by the caller
    std::vector<std::pair<std::string, std::string>> affiliations;  // bare JID, affiliation name
    std::vector<std::string> subscribers;                            // JIDs as they subscribed
    std::vector<PubsubItemRow> items;                                // oldest first

    friend bool operator==(const PubsubNodeRow&, const PubsubNodeRow&) = default;
};

// One change to one node of a service, as a Journal reported it.
struct PubsubChange {
    enum class Kind {
        node_created,     // config; a node of that name is replaced, with all it held
        node_configured,  // config
        node_deleted,     // with its items, affiliations and subscriptions
        item_stored,      // item (replaces the item of the same id, and becomes the newest)
        item_removed,     // item.id
        affiliation_set,  // jid, affiliation; an empty affiliation removes the row
        subscribed,       // jid
        unsubscribed,     // jid
    };
    Kind kind = Kind::node_created;
    std::string node;
    std::string config;
    PubsubItemRow item;
    std::string jid;
    std::string affiliation;

    friend bool operator==(const PubsubChange&, const PubsubChange&) = default;
};

// How much load() reads at most: what the Service would keep of it anyway
// (its Limits), so that a row count in the database never becomes a memory
// bound on the server.
struct PubsubLoadBounds {
    std::size_t max_nodes = 100;
    std::size_t max_items_per_node = 1000;    // the newest ones
    std::size_t max_members_per_node = 1000;  // affiliations, and subscriptions, each
};

struct PubsubServiceKey {
    std::string user;  // empty for a service that is a domain (pubsub.<host>)
    std::string domain;

    friend bool operator==(const PubsubServiceKey&, const PubsubServiceKey&) = default;
};

class PubsubStore {
public:
    virtual ~PubsubStore() = default;

    // The service's nodes by name (at most bounds.max_nodes, the first by
    // name), each with its newest bounds.max_items_per_node items, oldest
    // first, and its affiliations and subscriptions by JID (the first
    // bounds.max_members_per_node of each). Empty for a service that has none; nullopt on a storage error.
    virtual std::optional<std::vector<PubsubNodeRow>> load(const std::string& user, const std::string& domain,
                                                            const PubsubLoadBounds& bounds) = 0;
    // Applies the changes in order, in one transaction; false (and nothing
    // changed) on a storage error. A change to a node that is not stored
    // (an item of a node deleted in the same batch) changes nothing.
    virtual bool apply(const std::string& user, const std::string& domain,
                       const std::vector<PubsubChange>& changes) = 0;
    // Deletes every node of the service; false on a storage error.
    virtual bool remove_service(const std::string& user, const std::string& domain) = 0;
    // Every service with at least one node, ordered by domain then user
    // (the XEP-0227 export walks it).
    virtual std::optional<std::vector<PubsubServiceKey>> services() = 0;
};

}  // namespace server::store
