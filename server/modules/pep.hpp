// Pep: personal eventing (XEP-0163) on every local account, made by the pep
// module (pep.cpp) and shared with other modules (host.find_shared<Pep>()).
//
// Each account's bare JID is a pubsub service (PepAccounts: one
// pubsub::Service per account, restored from the store on first use). A
// request (iq get/set in the pubsub or pubsub#owner namespace to the bare JID,
// or without 'to' for the own account) is judged by the Service against the
// requester's entry in the owner's roster (pep_recipients.hpp); its changes
// are written as one batch (post_pubsub_batch, group commit) and only after
// that commit are the iq answered, the notifications sent and the observers
// told. Notifications are headline messages from the account's bare JID,
// through the Router's Delivery, to the recipients pep_recipients() expands
// (contacts with a presence subscription and own resources whose caps say
// NODE+notify, explicit subscribers). When a resource's caps become known
// (the caps_resolved hook), it gets the newest item of each node of its own
// account and of its contacts' accounts that admits it and that its caps
// want (XEP-0163 §6.2), once per resource and node.
//
// For other modules (the bookmarks synchronisation): request_as_owner()
// reads or publishes into an account's node as the account itself, and observe()
// tells of every item stored or removed.
//
// Threads: the public calls may be made from any thread; they post their
// work to the storage executor, where all PEP state lives (see
// pep_accounts.hpp). Observers and `done` callbacks run there.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "pubsub/request.hpp"
#include "pubsub/service.hpp"
#include "server/core/module_host.hpp"
#include "server/core/services.hpp"
#include "server/modules/caps_cache.hpp"
#include "server/modules/pep_accounts.hpp"
#include "xmpp/caps.hpp"
#include "xmpp/jid.hpp"

namespace server::modules {

class Pep {
public:
    struct Settings {
        pubsub::Limits limits;
        std::size_t max_loaded_accounts = 10000;
    };

    Pep(Services& services, std::shared_ptr<CapsCache> caps, Settings settings);

    // --- for other modules ---

    using Done = std::function<void(const pubsub::Outcome&)>;
    // Runs a request on a node of `owner` (a local account's bare JID) as the
    // account itself would: a publish auto-creates, checks publish-options
    // and notifies its contacts and resources; a get reads the items.
    // `done` (optional) runs once the change is stored, with the answer or
    // the error (an account that does not exist: item-not-found). Any thread.
    void request_as_owner(const xmpp::Jid& owner, pubsub::Request request, Done done = {});

    using Observer = std::function<void(const PepItemChange&)>;
    // `observer` is told of every item stored into or removed from any
    // account's node, after the change is committed, on the storage thread.
    // Start-up only (a module's load function).
    void observe(Observer observer) { observers_.push_back(std::move(observer)); }

    // --- for the pep module's handlers and hooks (any thread) ---

    // An iq get or set whose payload is <pubsub/> (pubsub or pubsub#owner)
    // to a local account's bare JID.
    void request(IqRequest&& request);
    // disco#items on a local account's bare JID: the nodes the requester may
    // see, or with a node, the ids of its items (XEP-0060 §5.2, §5.5).
    void disco_items(IqRequest&& request);
    // The resource's caps are known (hooks.caps_resolved): last published items.
    void resource_ready(const xmpp::Jid& full);
    // The resource went unavailable or its session ended.
    void resource_gone(const xmpp::Jid& full);
    // Storage thread (hooks.account_removed): the account is gone.
    void account_removed(const xmpp::Jid& bare);

private:
    using Reply = std::function<void(const pubsub::Outcome&)>;

    // Storage thread, from here down.
    // Whether `owner` is an account of ours (a loaded service says so).
    bool exists(const xmpp::Jid& owner);
    pubsub::Requester requester(const xmpp::Jid& owner, const xmpp::Jid& who);
    // Runs the request on the owner's service; `reply` after the commit.
    void execute(const xmpp::Jid& owner, const pubsub::Request& request, const pubsub::Requester& who, Reply reply);
    // After the commit: the answer, then the notifications and observers.
    void settle(const xmpp::Jid& owner, const pubsub::Outcome& outcome, const std::vector<PepItemChange>& items,
                const Reply& reply);
    void notify(const xmpp::Jid& owner, const std::vector<pubsub::Notification>& notifications);
    void send_event(const xmpp::Jid& owner, const xmpp::Jid& to, const xmpp::Element& event);
    void last_published(const xmpp::Jid& full);

    Services& services_;
    std::shared_ptr<CapsCache> caps_;
    const pubsub::ParseLimits parse_limits_;
    PepAccounts accounts_;
    std::vector<Observer> observers_;

    // Last published items sent (§6.2), per available resource with known
    // caps: the caps it was served for and the (owner, node) pairs sent.
    struct Served {
        CapsCache::Info caps;
        std::set<std::pair<std::string, std::string>> sent;
    };
    std::map<std::string, Served> served_;  // by full JID
};

// The <iq type='error'/> answering `request` with a XEP-0060 error.
xmpp::Element pubsub_error_reply(const IqRequest& request, const pubsub::Error& error);

}  // namespace server::modules
