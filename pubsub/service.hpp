// pubsub::Service: one XEP-0060 publish-subscribe service held in memory —
// its leaf nodes, their configuration, items, affiliations and subscriptions —
// and the rules that answer a typed request (pubsub/request.hpp) from one
// requester with a reply payload or a XEP-0060 error, plus the notifications
// to send. It knows no accounts, rosters, sessions or sockets: the caller
// says who asks (Requester: bare JID, service owner or not, presence
// subscription and roster groups relative to the owner) and delivers the
// notifications itself.
//
// Two uses:
//  - PEP (XEP-0163): one Service per account, personal = true, owner = the
//    account's bare JID. Only the owner creates nodes (auto-create on publish);
//    a notification says owner_contacts: the caller expands it to the owner's
//    contacts with a presence subscription whose caps say NODE+notify, and the
//    owner's own resources, each admitted by Notification::access.
//  - A public service (pubsub.<host>): personal = false; whoever may create
//    (ServiceOptions::anyone_may_create) becomes the node's owner; notifications
//    go to explicit subscribers only.
//
// Persistence: every change is reported, after it is made, to the Journal
// given at construction (node created, configured or deleted; item stored, or
// removed as retracted, evicted or purged; affiliation and subscription
// changes), for a caller that writes them to a database; restore() loads a
// node back without journalling, snapshot() lists every node.
//
// Thread-safety: none inside. A Service is a plain object used under its
// caller's serialisation (for PEP: one per account, behind that account's
// lock or strand); the Journal is called synchronously from the method that
// made the change, on the caller's thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "pubsub/config.hpp"
#include "pubsub/error.hpp"
#include "pubsub/request.hpp"
#include "xmpp/element.hpp"
#include "xmpp/result.hpp"

namespace pubsub {

// Who asks, as the caller knows it. For PEP, the relationship fields are the
// requester's entry in the owner's roster; a public service computes them
// against the node's owner, or leaves them false.
struct Requester {
    std::string jid;                   // bare JID, normalised (xmpp::Jid::bare_string())
    bool service_owner = false;        // PEP: the account itself; a public service: an admin
    bool presence_subscribed = false;  // the owner shares presence with the requester (from/both)
    bool in_roster = false;
    std::vector<std::string> roster_groups;  // the requester's groups in the owner's roster
};

// Whom a node admits to its items, detached from the node so that a caller
// can judge each recipient it expands after the Service has returned.
struct AccessPolicy {
    AccessModel model = AccessModel::presence;
    std::vector<std::string> roster_groups_allowed;
    std::set<std::string> whitelisted;  // bare JIDs: owner, publisher, member
    std::set<std::string> outcasts;

    // nullopt when admitted; else the error XEP-0060 §6.1.3/§6.5.9 names.
    std::optional<Error> check(const Requester&) const;
    bool admits(const Requester& r) const { return !check(r); }
};

struct Notification {
    std::string node;
    xmpp::Element event;  // <event xmlns='…pubsub#event'/>, the child of a headline message
    // Explicit subscriptions, as the subscribers wrote their JIDs (bare or full).
    // They were admitted when they subscribed; a node since closed to all but
    // its members has dropped the others, but one whose presence or roster
    // rule changed has not (the Service cannot judge a roster): the caller
    // checks `access` for them too.
    std::vector<std::string> subscribers;
    // PEP: also the owner's interested contacts and own resources (see above).
    bool owner_contacts = false;
    AccessPolicy access;  // whom the node admits, for every recipient the caller expands
};

struct Success {
    std::optional<xmpp::Element> payload;  // the iq result's child; absent: an empty result
    std::vector<Notification> notifications;
};

using Outcome = xmpp::Result<Success, Error>;

struct Item {
    std::string id;
    std::optional<xmpp::Element> payload;
    std::string publisher;  // bare JID
    std::size_t bytes = 0;

    friend bool operator==(const Item&, const Item&) = default;
};

enum class Removal { retracted, evicted, purged };

class Journal {
public:
    virtual ~Journal() = default;
    virtual void node_created(const std::string& node, const NodeConfig&) = 0;
    virtual void node_configured(const std::string& node, const NodeConfig&) = 0;
    virtual void node_deleted(const std::string& node) = 0;
    // A new item, or one that replaced the item of the same id (which then
    // counts as the newest).
    virtual void item_stored(const std::string& node, const Item&) = 0;
    virtual void item_removed(const std::string& node, const std::string& id, Removal) = 0;
    virtual void affiliation_changed(const std::string& node, const std::string& jid, Affiliation) = 0;
    // subscribed false: the subscription ended.
    virtual void subscription_changed(const std::string& node, const std::string& jid, bool subscribed) = 0;
};

// Bounds beyond which a request fails (and a restored node is trimmed).
struct Limits {
    std::size_t max_nodes = 100;                    // policy-violation + <max-nodes-exceeded/>
    std::size_t max_items_per_node = 1000;          // what "max" means; a larger max_items is not-acceptable
    std::size_t max_item_bytes = 128 * 1024;        // not-acceptable + <payload-too-big/>
    std::size_t max_total_bytes = 8 * 1024 * 1024;  // all stored payloads; policy-violation beyond
    std::size_t max_subscriptions_per_node = 1000;  // policy-violation + <too-many-subscriptions/>
};

struct ServiceOptions {
    std::string owner;  // PEP: the account's bare JID
    bool personal = true;
    bool anyone_may_create = false;  // public service only
    bool auto_create = true;         // publish to a missing node creates it
    NodeConfig default_config;
    Limits limits;
};

// A node as stored, for restore() and snapshot().
struct StoredNode {
    std::string name;
    NodeConfig config;
    std::vector<std::pair<std::string, Affiliation>> affiliations;
    std::vector<std::string> subscribers;
    std::vector<Item> items;  // oldest first
};

class Service {
public:
    explicit Service(ServiceOptions options, Journal* journal = nullptr);

    Outcome handle(const Request&, const Requester&);

    // Loads a stored node as it was, without journalling: items beyond its
    // max_items (or the service's max_items_per_node) are dropped oldest first,
    // a node beyond max_nodes is refused (false). The byte bounds are not
    // applied to what was stored under them.
    bool restore(StoredNode node);
    std::vector<StoredNode> snapshot() const;

    // The newest item of every node configured to send it on presence
    // (send_last_published_item = on_sub_and_presence) that admits the
    // requester: for a contact that becomes available (XEP-0163 §6.2), as
    // notifications with owner_contacts false and no subscribers (the caller
    // addresses them to that contact, after its +notify filter).
    std::vector<Notification> last_published(const Requester&) const;

    // The names of the nodes that admit the requester to their items, in
    // name order (disco#items on the service, XEP-0060 §5.2).
    std::vector<std::string> visible_nodes(const Requester&) const;

    const ServiceOptions& options() const { return options_; }
    std::size_t node_count() const { return nodes_.size(); }
    std::size_t stored_bytes() const { return stored_bytes_; }

private:
    struct Node {
        NodeConfig config;
        std::map<std::string, Affiliation> affiliations;  // bare JID → affiliation (never none)
        std::set<std::string> subscribers;                // JIDs as subscribed
        std::map<std::uint64_t, Item> items;              // by publication order
        std::map<std::string, std::uint64_t> order_of;    // item id → key in items
    };

    // One per request type, chosen by handle().
    Outcome answer(const Publish&, const Requester&);
    Outcome answer(const Retract&, const Requester&);
    Outcome answer(const GetItems&, const Requester&);
    Outcome answer(const Subscribe&, const Requester&);
    Outcome answer(const Unsubscribe&, const Requester&);
    Outcome answer(const Create&, const Requester&);
    Outcome answer(const ConfigureGet&, const Requester&);
    Outcome answer(const ConfigureSet&, const Requester&);
    Outcome answer(const Delete&, const Requester&);
    Outcome answer(const Purge&, const Requester&);
    Outcome answer(const GetDefault&, const Requester&);
    Outcome answer(const GetSubscriptions&, const Requester&);
    Outcome answer(const GetAffiliations&, const Requester&);
    Outcome answer(const OwnerGetSubscriptions&, const Requester&);
    Outcome answer(const OwnerGetAffiliations&, const Requester&);
    Outcome answer(const OwnerSetAffiliations&, const Requester&);

    Affiliation affiliation_of(const Node&, const Requester&) const;
    bool is_owner(const Node&, const Requester&) const;
    bool may_create(const Requester&) const;
    AccessPolicy access_of(const Node&) const;
    std::size_t max_items_of(const NodeConfig&) const;
    std::optional<Error> check_config(const NodeConfig&) const;
    Notification notification(const std::string& name, const Node&, xmpp::Element event) const;
    std::string new_item_id(const Node&);
    Node& make_node(const std::string& name, NodeConfig config, const Requester& creator);
    void store(const std::string& name, Node&, Item item);
    void remove(const std::string& name, Node&, std::map<std::uint64_t, Item>::iterator, Removal);
    void trim(const std::string& name, Node&);

    ServiceOptions options_;
    Journal* journal_;
    std::map<std::string, Node> nodes_;
    std::uint64_t next_order_ = 1;
    std::size_t stored_bytes_ = 0;
    std::mt19937_64 ids_;
};

}  // namespace pubsub
