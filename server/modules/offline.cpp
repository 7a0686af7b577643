// Module "offline": offline messages (XEP-0160) and the account check of RFC
// 6121 §8.5.2.2: a message for a local account with no available resource
// (none, or only negative priorities) is, when the account does not exist,
// answered with <service-unavailable/> (§8.5.1, option b); when it exists, a
// chat or normal message with content is stored with a XEP-0203 delay stamp,
// up to limits.max_offline_messages per account (one more gets
// <resource-constraint/>), and delivered in order at the account's next
// available presence of non-negative priority. Headlines and content-less
// messages (chat states) are dropped, and so is a message with the XEP-0334
// hint <no-store/>; one with <store/> is kept whatever its content. The store
// is written on the storage thread in a commit group shared with other writes
// (storage_executor.hpp); the bounce for a message that could not be kept,
// and the sender's session reading its next stanza (the session's storage
// fence), come after that group's commit, so nothing the sender is told
// afterwards acknowledges a message that is not on disk yet. Messages a
// session took and could not write (its peer stopped reading;
// client_session.hpp Undelivered) come back through the unwritten_messages
// hook and are kept by the same rules, in their order.
#include <chrono>
#include <ctime>
#include <memory>
#include <utility>
#include <vector>

#include "server/modules/modules.hpp"
#include "server/router/router.hpp"
#include "server/core/storage_executor.hpp"
#include "server/core/metrics.hpp"
#include "xmpp/stored_xml.hpp"
#include "server/store/storage.hpp"
#include "xmpp/datetime.hpp"
#include "xmpp/namespaces.hpp"
#include "xmpp/serializer.hpp"

namespace server::modules {

namespace {

// XEP-0334 §4: <no-store/> keeps a message out, <store/> keeps one that
// would not be kept otherwise (not an error, not a groupchat message).
bool worth_storing(const xmpp::Element& message) {
    const std::string_view type = message.attr_or("type", "normal");
    if (message.child("no-store", xmpp::ns::hints)) return false;
    if (message.child("store", xmpp::ns::hints)) return type != "error" && type != "groupchat";
    if (type != "normal" && type != "chat") return false;
    return message.child("body", xmpp::ns::client) || message.child("subject", xmpp::ns::client);
}

bool stamped_by(const xmpp::Element& message, std::string_view domain) {
    for (const auto& child : message.children())
        if (!child.is_text() && child.name() == "delay" && child.xmlns() == xmpp::ns::delay &&
            child.attr_or("from") == domain)
            return true;
    return false;
}

struct Offline {
    Offline(Services& s, store::Storage& stores) : services(s), store(stores.offline()) {}
    Services& services;
    store::OfflineStore& store;
};

// What keep() did with one message, for its follow-up after the commit.
enum class Kept { stored, dropped, no_account, full, failed };

// Storage thread, inside the storage executor's commit group: stores the
// message and sends nothing (the follow-up, answered() below, does).
Kept keep(Offline& off, const xmpp::Element& message, const xmpp::Jid& bare) {
    if (!off.services.accounts->find(bare.local(), bare.domain())) return Kept::no_account;
    if (!worth_storing(message)) return Kept::dropped;
    const std::int64_t now = xmpp::unix_seconds_now();
    xmpp::Element stored = message;
    if (!stamped_by(stored, bare.domain())) {  // not back from an earlier stay here
        xmpp::Element delay("delay", std::string(xmpp::ns::delay));
        delay.set_attr("from", bare.domain());
        delay.set_attr("stamp", xmpp::xep82_datetime(now));
        delay.add_text("Offline storage");
        stored.add_child(std::move(delay));
    }
    const std::size_t cap = off.services.current_config()->limits.max_offline_messages;
    switch (off.store.add(bare.local(), bare.domain(), now, xmpp::to_string(stored), cap)) {
    case store::OfflineStore::AddStatus::ok: return Kept::stored;
    case store::OfflineStore::AddStatus::full: return Kept::full;
    case store::OfflineStore::AddStatus::error: return Kept::failed;
    }
    return Kept::failed;
}

// Storage thread, after the commit: a message whose group did not commit is
// lost like one whose insert failed, and its sender hears so.
void answered(Offline& off, xmpp::Element& message, Kept kept, bool committed) {
    Router& router = *off.services.router;
    if (!committed && kept == Kept::stored) kept = Kept::failed;
    switch (kept) {
    case Kept::stored: metrics::offline_messages_changed(1); return;
    case Kept::dropped: return;
    case Kept::no_account: return router.bounce(message, xmpp::StanzaError::service_unavailable);
    case Kept::full: return router.bounce(message, xmpp::StanzaError::resource_constraint, "The offline store is full");
    case Kept::failed: return router.bounce(message, xmpp::StanzaError::internal_server_error);
    }
}

// Storage thread: the resource became available; hand it what was kept,
// in order, while it takes them (the Delivery hands offline messages only
// to an available resource of non-negative priority). Those it did not
// take stay for the next time.
void flush(Offline& off, const xmpp::Jid& full) {
    auto messages = off.store.list(full.local(), full.domain());
    std::size_t handed = 0;
    for (const auto& m : messages) {
        auto message = xmpp::parse_stored(m.xml);
        auto from = message ? xmpp::Jid::parse(message->attr_or("from")) : std::nullopt;
        if (message && from &&
            off.services.router->delivery().to_resource(*message, *from, full, DeliveryKind::offline) ==
                Delivery::Reach::no_session)
            break;
        ++handed;  // delivered, stopped by a filter, or unreadable: gone from the store either way
    }
    if (handed == 0) return;
    if (off.store.remove_through(full.local(), full.domain(), messages[handed - 1].id))
        metrics::offline_messages_changed(-static_cast<std::int64_t>(handed));
}

void load_offline(ModuleHost& host, Services& services, const conf::ModuleOptions&) {
    host.add_feature(IqTarget::host, std::string(xmpp::ns::offline_feature));
    auto off = std::make_shared<Offline>(services, *services.stores);
    // Start-up, before any worker runs: the gauge starts from what is on disk.
    metrics::offline_messages_changed(static_cast<std::int64_t>(off->store.total()));

    // Grouped storage jobs: the message is stored in the executor's group,
    // and bounced (or counted) only once the group has committed.
    host.hooks().undeliverable_message.push_back([off](xmpp::Element& message, const xmpp::Jid& bare) {
        auto work = [off, message = std::move(message), bare]() mutable {
            const Kept kept = keep(*off, message, bare);
            return [off, message = std::move(message), kept](bool committed) mutable {
                answered(*off, message, kept, committed);
            };
        };
        off->services.storage->post(std::move(work));
        return true;
    });

    host.hooks().unwritten_messages.push_back([off](const std::vector<std::string>& messages, const xmpp::Jid& bare) {
        auto work = [off, messages, bare] {
            std::vector<std::pair<xmpp::Element, Kept>> outcomes;
            for (const auto& xml : messages)
                if (auto message = xmpp::parse_stored(xml)) {
                    const Kept kept = keep(*off, *message, bare);
                    outcomes.emplace_back(std::move(*message), kept);
                }
            return [off, outcomes = std::move(outcomes)](bool committed) mutable {
                for (auto& [message, kept] : outcomes) answered(*off, message, kept, committed);
            };
        };
        off->services.storage->post(std::move(work));
    });

    // Alone: the flush delivers between its read and its delete, and what it
    // delivers has been committed (the executor commits the group before an
    // alone job).
    host.hooks().own_presence.push_back([off](const xmpp::Element& presence, const xmpp::Jid& from, bool) {
        if (presence.attr("type")) return;
        auto work = [off, from] { flush(*off, from); };
        off->services.storage->post(std::move(work));
    });
}

}  // namespace

Module offline_module() {
    return {
        .schema = {.name = "offline"},
        .protocols = {{"XEP-0160", "Best Practices for Handling Offline Messages"},
                      {"XEP-0203", "Delayed Delivery (offline messages)"}},
        .needs = {Service::stores, Service::storage, Service::accounts, Service::router},
        .load = load_offline,
    };
}

}  // namespace server::modules
