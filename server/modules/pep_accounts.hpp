// PepAccounts: the PEP services (XEP-0163) of the accounts in use: one
// pubsub::Service per account (personal, owned by the account's bare JID),
// restored from the PubsubStore the first time it is needed, with the
// journal that records what each request changed.
//
// Bounded memory: at most `max_loaded` services are held; when one more is
// loaded, the least recently used one that has no write in flight (no batch
// posted and not yet committed) is dropped. Everything it held is in the
// store, so it is loaded again when next needed.
//
// Owned by the Pep (pep.hpp). Storage thread only: a load blocks on the
// store, and running every PEP request there serialises each account's
// Service (the roster rows a request is judged by are read there too).
#pragma once

#include <cstddef>
#include <list>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pubsub/service.hpp"
#include "server/core/pubsub_journal.hpp"
#include "server/store/pubsub_store.hpp"
#include "xmpp/jid.hpp"

namespace server::modules {

// An item stored into or removed from a node of an account's PEP, as the
// bookmarks synchronisation (and other modules) learn of it (Pep::observe).
struct PepItemChange {
    xmpp::Jid owner;  // the account's bare JID
    std::string node;
    std::string id;
    bool removed = false;                  // retracted, evicted, purged, or its node deleted
    std::optional<xmpp::Element> payload;  // when stored
};

// The Service's journal: what the store needs (PubsubJournal) and the item
// changes for the observers, both taken after each request.
class PepJournal final : public pubsub::Journal {
public:
    explicit PepJournal(xmpp::Jid owner) : owner_(std::move(owner)) {}

    struct Taken {
        std::vector<store::PubsubChange> store;
        std::vector<PepItemChange> items;
    };
    Taken take();

    void node_created(const std::string& node, const pubsub::NodeConfig& config) override;
    void node_configured(const std::string& node, const pubsub::NodeConfig& config) override;
    void node_deleted(const std::string& node) override;
    void item_stored(const std::string& node, const pubsub::Item& item) override;
    void item_removed(const std::string& node, const std::string& id, pubsub::Removal why) override;
    void affiliation_changed(const std::string& node, const std::string& jid, pubsub::Affiliation a) override;
    void subscription_changed(const std::string& node, const std::string& jid, bool subscribed) override;

private:
    xmpp::Jid owner_;
    PubsubJournal store_;
    std::vector<PepItemChange> items_;
};

struct PepAccount {
    PepAccount(const xmpp::Jid& owner, pubsub::ServiceOptions options)
        : owner(owner), journal(owner), service(std::move(options), &journal) {}
    PepAccount(const PepAccount&) = delete;
    PepAccount& operator=(const PepAccount&) = delete;

    xmpp::Jid owner;
    PepJournal journal;  // before the service, which keeps a pointer to it
    pubsub::Service service;
    std::size_t in_flight = 0;  // batches posted and not yet committed
};

class PepAccounts {
public:
    // `options`: the limits and defaults of every account's service (the
    // owner is set per account).
    PepAccounts(store::PubsubStore& store, pubsub::ServiceOptions options, std::size_t max_loaded);

    // The service of `owner` (an account that exists), loaded from the
    // store when not held; null when the store failed.
    PepAccount* get(const xmpp::Jid& owner);
    // The service of `owner` when held; never loads.
    PepAccount* find(const xmpp::Jid& owner);
    // Forgets the service of `owner` (the account is gone, or a write was
    // lost and the store is the truth again).
    void drop(const xmpp::Jid& owner);

    std::size_t loaded() const { return held_.size(); }

private:
    struct Held {
        std::unique_ptr<PepAccount> account;
        std::list<std::string>::iterator lru;
    };
    void make_room();

    store::PubsubStore& store_;
    const pubsub::ServiceOptions options_;
    const std::size_t max_loaded_;
    std::map<std::string, Held> held_;  // by bare JID
    std::list<std::string> lru_;        // most recently used first
};

}  // namespace server::modules
