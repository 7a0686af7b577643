// PubsubJournal: the pubsub::Journal that writes a Service's changes to the
// store (store::PubsubStore), one request's changes in one store call; and the
// conversions between what a Service holds (pubsub::StoredNode, NodeConfig,
// Item) and the rows the store keeps, for restore() at load time and for the
// XEP-0227 export and import.
//
// How PEP uses it: one PubsubJournal per Service, given at construction.
// Under the lock that serialises the Service, the module calls handle(), then
// take() — the changes that request made, in order — and posts them with
// post_pubsub_batch(): one grouped job on the storage executor, so one
// publish is one PubsubStore::apply(), committed together with whatever
// other writes the storage thread holds at that moment (group commit,
// storage_executor.hpp). Batches of one service are posted in the order
// their requests were handled (under the same lock), and the executor runs
// jobs in order, so the store sees the changes as the Service made them.
//
// What is stored: the configuration as a pubsub#node_config submit form
// (every field, so that a node restored by a later version keeps its values
// and gets defaults only for fields it never had), an item's payload as XML
// text with its id, publisher and the time it was stored (the journal's
// clock), affiliations by name.
//
// Threads: a PubsubJournal is used under its Service's serialisation (it is
// called from the Service's methods); take() hands the batch over, after
// which the batch belongs to the storage job. The conversion functions are
// pure; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pubsub/service.hpp"
#include "server/core/storage_executor.hpp"
#include "server/store/pubsub_store.hpp"
#include "xmpp/element.hpp"

namespace server {

// --- conversions ---------------------------------------------------------

// Every field of the configuration as a pubsub#node_config submit form,
// without labels or options (also what the XEP-0227 export writes).
xmpp::Element config_submit_form(const pubsub::NodeConfig& config);
// The configuration a form gives over the defaults (NodeConfig{}); unknown
// fields are ignored. nullopt when it is not a node configuration form, or
// names a value this version does not know (an access model it dropped).
// `lenient` reads a form written by another server: any form type, FORM_TYPE
// optional.
std::optional<pubsub::NodeConfig> config_from_form(const xmpp::Element& x, bool lenient = false);

std::string stored_config(const pubsub::NodeConfig& config);
std::optional<pubsub::NodeConfig> config_from_stored(std::string_view text);

store::PubsubItemRow item_row(const pubsub::Item& item, std::int64_t stamp_us);
// nullopt when the stored payload does not parse.
std::optional<pubsub::Item> item_from_row(const store::PubsubItemRow& row);

// A stored node as the Service restores it. Affiliations of a name this
// version does not know are dropped; an item whose payload does not parse is
// dropped; nullopt when the configuration does not parse. `dropped` counts
// what was left out, for the caller's log.
std::optional<pubsub::StoredNode> node_from_row(const store::PubsubNodeRow& row, std::size_t* dropped = nullptr);
// A node as a Service holds it, as rows (the items stamped `stamp_us`: the
// Service keeps no publication time).
store::PubsubNodeRow node_row(const pubsub::StoredNode& node, std::int64_t stamp_us);

// --- the journal ---------------------------------------------------------

class PubsubJournal final : public pubsub::Journal {
public:
    using Clock = std::function<std::int64_t()>;  // Unix microseconds
    // The clock stamps stored items; by default the system clock.
    explicit PubsubJournal(Clock clock = {});

    // The changes reported since the last take(), oldest first; leaves none.
    std::vector<store::PubsubChange> take();
    bool empty() const { return pending_.empty(); }

    void node_created(const std::string& node, const pubsub::NodeConfig&) override;
    void node_configured(const std::string& node, const pubsub::NodeConfig&) override;
    void node_deleted(const std::string& node) override;
    void item_stored(const std::string& node, const pubsub::Item&) override;
    void item_removed(const std::string& node, const std::string& id, pubsub::Removal) override;
    void affiliation_changed(const std::string& node, const std::string& jid, pubsub::Affiliation) override;
    void subscription_changed(const std::string& node, const std::string& jid, bool subscribed) override;

private:
    Clock clock_;
    std::vector<store::PubsubChange> pending_;
};

// One service's changes from one request.
struct PubsubBatch {
    std::string user;  // the service's key (pubsub_store.hpp)
    std::string domain;
    std::vector<store::PubsubChange> changes;
};

// Posts the batch as one grouped job: one apply() inside the storage
// executor's commit group. `then` (optional) runs on the storage thread after
// the commit with written = false when the changes were lost (a store error
// or a failed commit; logged here too). Does nothing for an empty batch.
// Any thread.
void post_pubsub_batch(StorageExecutor& executor, store::PubsubStore& store, PubsubBatch batch,
                       std::function<void(bool written)> then = {});

}  // namespace server
