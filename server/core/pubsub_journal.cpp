#include "server/core/pubsub_journal.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

#include "pubsub/config.hpp"
#include "pubsub/request.hpp"
#include "server/system/log.hpp"
#include "xmpp/namespaces.hpp"
#include "xmpp/serializer.hpp"
#include "xmpp/stored_xml.hpp"

namespace server {

namespace {

// Wider than a client's form: what was stored passed the client bounds when
// it was set, and a stored form must never fail on its own size.
constexpr pubsub::FormLimits kStoredFormLimits{256, 4096, 64 * 1024};

std::int64_t system_now_us() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

xmpp::Element config_submit_form(const pubsub::NodeConfig& config) {
    // The owner's form with its values, as a submit form: labels and options
    // are for a person, not for the store.
    xmpp::Element form = pubsub::config_form(config);
    form.set_attr("type", "submit");
    for (auto& field : form.children()) {
        if (field.is_text()) continue;
        field.remove_attr("label");
        std::erase_if(field.children(), [](const xmpp::Element& c) { return !c.is_text() && c.name() == "option"; });
    }
    return form;
}

std::optional<pubsub::NodeConfig> config_from_form(const xmpp::Element& x, bool lenient) {
    std::optional<xmpp::Element> submitted;
    if (lenient) {
        submitted = x;
        submitted->set_attr("type", "submit");
    }
    auto patch =
        pubsub::parse_config_form(submitted ? *submitted : x, xmpp::ns::pubsub_node_config, kStoredFormLimits, lenient);
    if (!patch) return std::nullopt;
    return pubsub::apply(pubsub::NodeConfig{}, *patch);
}

std::string stored_config(const pubsub::NodeConfig& config) { return xmpp::to_string(config_submit_form(config)); }

std::optional<pubsub::NodeConfig> config_from_stored(std::string_view text) {
    auto form = xmpp::parse_stored(text);
    if (!form) return std::nullopt;
    return config_from_form(*form);
}

store::PubsubItemRow item_row(const pubsub::Item& item, std::int64_t stamp_us) {
    return {item.id, item.publisher, stamp_us, item.payload ? xmpp::to_string(*item.payload) : std::string()};
}

std::optional<pubsub::Item> item_from_row(const store::PubsubItemRow& row) {
    pubsub::Item item{row.id, std::nullopt, row.publisher, 0};
    if (row.xml.empty()) return item;
    item.payload = xmpp::parse_stored(row.xml);
    if (!item.payload) return std::nullopt;
    // As the request parser counts it (pubsub/request.cpp): the payload as
    // written inside <pubsub/>, so that a restored Service counts the same bytes.
    item.bytes = xmpp::to_string(*item.payload, xmpp::ns::pubsub).size();
    return item;
}

std::optional<pubsub::StoredNode> node_from_row(const store::PubsubNodeRow& row, std::size_t* dropped) {
    auto config = config_from_stored(row.config);
    if (!config) return std::nullopt;
    std::size_t left_out = 0;
    pubsub::StoredNode node{row.name, std::move(*config), {}, row.subscribers, {}};
    for (const auto& [jid, name] : row.affiliations) {
        auto affiliation = pubsub::affiliation_from_string(name);
        if (affiliation && *affiliation != pubsub::Affiliation::none) {
            node.affiliations.emplace_back(jid, *affiliation);
        } else {
            ++left_out;
        }
    }
    for (const auto& r : row.items) {
        if (auto item = item_from_row(r)) {
            node.items.push_back(std::move(*item));
        } else {
            ++left_out;
        }
    }
    if (dropped) *dropped += left_out;
    return node;
}

store::PubsubNodeRow node_row(const pubsub::StoredNode& node, std::int64_t stamp_us) {
    store::PubsubNodeRow row{node.name, stored_config(node.config), {}, node.subscribers, {}};
    for (const auto& [jid, affiliation] : node.affiliations)
        row.affiliations.emplace_back(jid, std::string(pubsub::to_string(affiliation)));
    for (const auto& item : node.items) row.items.push_back(item_row(item, stamp_us));
    return row;
}

PubsubJournal::PubsubJournal(Clock clock) : clock_(clock ? std::move(clock) : Clock(system_now_us)) {}

std::vector<store::PubsubChange> PubsubJournal::take() { return std::exchange(pending_, {}); }

void PubsubJournal::node_created(const std::string& node, const pubsub::NodeConfig& config) {
    store::PubsubChange c;
    c.kind = store::PubsubChange::Kind::node_created;
    c.node = node;
    c.config = stored_config(config);
    pending_.push_back(std::move(c));
}

void PubsubJournal::node_configured(const std::string& node, const pubsub::NodeConfig& config) {
    store::PubsubChange c;
    c.kind = store::PubsubChange::Kind::node_configured;
    c.node = node;
    c.config = stored_config(config);
    pending_.push_back(std::move(c));
}

void PubsubJournal::node_deleted(const std::string& node) {
    store::PubsubChange c;
    c.kind = store::PubsubChange::Kind::node_deleted;
    c.node = node;
    pending_.push_back(std::move(c));
}

void PubsubJournal::item_stored(const std::string& node, const pubsub::Item& item) {
    store::PubsubChange c;
    c.kind = store::PubsubChange::Kind::item_stored;
    c.node = node;
    c.item = item_row(item, clock_());
    pending_.push_back(std::move(c));
}

void PubsubJournal::item_removed(const std::string& node, const std::string& id, pubsub::Removal) {
    // Retracted, evicted or purged: the row goes all the same.
    store::PubsubChange c;
    c.kind = store::PubsubChange::Kind::item_removed;
    c.node = node;
    c.item.id = id;
    pending_.push_back(std::move(c));
}

void PubsubJournal::affiliation_changed(const std::string& node, const std::string& jid,
                                        pubsub::Affiliation affiliation) {
    store::PubsubChange c;
    c.kind = store::PubsubChange::Kind::affiliation_set;
    c.node = node;
    c.jid = jid;
    if (affiliation != pubsub::Affiliation::none) c.affiliation = std::string(pubsub::to_string(affiliation));
    pending_.push_back(std::move(c));
}

void PubsubJournal::subscription_changed(const std::string& node, const std::string& jid, bool subscribed) {
    store::PubsubChange c;
    c.kind = subscribed ? store::PubsubChange::Kind::subscribed : store::PubsubChange::Kind::unsubscribed;
    c.node = node;
    c.jid = jid;
    pending_.push_back(std::move(c));
}

void post_pubsub_batch(StorageExecutor& executor, store::PubsubStore& store, PubsubBatch batch,
                       std::function<void(bool written)> then) {
    if (batch.changes.empty()) return;
    auto work = [&store, batch = std::move(batch), then = std::move(then)]() mutable {
        const bool applied = store.apply(batch.user, batch.domain, batch.changes);
        return [applied, user = std::move(batch.user), domain = std::move(batch.domain),
                then = std::move(then)](bool committed) {
            const bool written = applied && committed;
            if (!written) {
                XLOG(error) << "pubsub: cannot store the changes of " << (user.empty() ? "" : user + "@") << domain;
            }
            if (then) then(written);
        };
    };
    executor.post(std::move(work));
}

}  // namespace server
