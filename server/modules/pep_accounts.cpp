#include "server/modules/pep_accounts.hpp"

#include "server/system/log.hpp"

namespace server::modules {

PepJournal::Taken PepJournal::take() {
    Taken taken{store_.take(), std::move(items_)};
    items_.clear();
    return taken;
}

void PepJournal::node_created(const std::string& node, const pubsub::NodeConfig& config) {
    store_.node_created(node, config);
}

void PepJournal::node_configured(const std::string& node, const pubsub::NodeConfig& config) {
    store_.node_configured(node, config);
}

void PepJournal::node_deleted(const std::string& node) {
    store_.node_deleted(node);
    // The items went with it; an observer learns of the node, not of each.
    items_.push_back(PepItemChange{owner_, node, {}, true, std::nullopt});
}

void PepJournal::item_stored(const std::string& node, const pubsub::Item& item) {
    store_.item_stored(node, item);
    items_.push_back(PepItemChange{owner_, node, item.id, false, item.payload});
}

void PepJournal::item_removed(const std::string& node, const std::string& id, pubsub::Removal why) {
    store_.item_removed(node, id, why);
    items_.push_back(PepItemChange{owner_, node, id, true, std::nullopt});
}

void PepJournal::affiliation_changed(const std::string& node, const std::string& jid, pubsub::Affiliation a) {
    store_.affiliation_changed(node, jid, a);
}

void PepJournal::subscription_changed(const std::string& node, const std::string& jid, bool subscribed) {
    store_.subscription_changed(node, jid, subscribed);
}

PepAccounts::PepAccounts(store::PubsubStore& store, pubsub::ServiceOptions options, std::size_t max_loaded)
    : store_(store), options_(std::move(options)), max_loaded_(max_loaded == 0 ? 1 : max_loaded) {}

PepAccount* PepAccounts::find(const xmpp::Jid& owner) {
    auto it = held_.find(owner.bare_string());
    if (it == held_.end()) return nullptr;
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    return it->second.account.get();
}

PepAccount* PepAccounts::get(const xmpp::Jid& owner) {
    if (PepAccount* held = find(owner)) return held;
    const pubsub::Limits& limits = options_.limits;
    auto rows = store_.load(owner.local(), owner.domain(),
                            {.max_nodes = limits.max_nodes,
                             .max_items_per_node = limits.max_items_per_node,
                             .max_members_per_node = limits.max_subscriptions_per_node});
    if (!rows) {
        XLOG(warning) << "pep: could not load the nodes of " << owner.bare_string();
        return nullptr;
    }
    pubsub::ServiceOptions options = options_;
    options.owner = owner.bare_string();
    options.personal = true;
    auto account = std::make_unique<PepAccount>(owner.bare(), std::move(options));
    for (const auto& row : *rows) {
        std::size_t dropped = 0;
        auto node = node_from_row(row, &dropped);
        if (!node) {
            XLOG(warning) << "pep: node " << row.name << " of " << owner.bare_string() << " does not parse; left out";
            continue;
        }
        if (dropped) {
            XLOG(warning) << "pep: " << dropped << " stored entries of node " << row.name << " left out";
        }
        if (!account->service.restore(std::move(*node))) {
            XLOG(warning) << "pep: node " << row.name << " of " << owner.bare_string() << " beyond max_nodes";
        }
    }
    make_room();
    const std::string key = owner.bare_string();
    lru_.push_front(key);
    PepAccount* raw = account.get();
    held_.emplace(key, Held{std::move(account), lru_.begin()});
    return raw;
}

void PepAccounts::drop(const xmpp::Jid& owner) {
    auto it = held_.find(owner.bare_string());
    if (it == held_.end()) return;
    lru_.erase(it->second.lru);
    held_.erase(it);
}

void PepAccounts::make_room() {
    // From the least recently used; one with a write in flight stays (its
    // batch's follow-up still needs it).
    auto candidate = lru_.end();
    while (held_.size() >= max_loaded_ && candidate != lru_.begin()) {
        --candidate;
        auto it = held_.find(*candidate);
        if (it->second.account->in_flight > 0) continue;
        candidate = lru_.erase(candidate);
        held_.erase(it);
    }
}

}  // namespace server::modules
