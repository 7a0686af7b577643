// ImContext: what the IM modules (roster, presence) share: the roster store,
// the directed presence each resource sent, and the way to the router's
// Delivery (availability is the session table's). Made once, by whichever
// of the two loads first (shared()), kept alive by the handlers that
// capture it.
//
// Threading: every roster and subscription operation runs on the storage
// executor (one thread), so the state machine of a pair of accounts is never
// raced by two workers; deliveries hop to the sessions' workers by
// themselves. Methods marked "storage thread" must run there.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "server/modules/directed_presence.hpp"
#include "server/router/delivery.hpp"
#include "xmpp/subscription_state.hpp"
#include "server/core/module_host.hpp"
#include "server/core/services.hpp"
#include "server/store/storage.hpp"
#include "xmpp/element.hpp"
#include "xmpp/jid.hpp"
#include "xmpp/namespaces.hpp"

namespace server::modules {

inline constexpr std::string_view roster_ns = xmpp::ns::roster;

struct ImContext {
    ImContext(Services& s, store::Storage& stores) : services(s), roster(stores.roster()) {}

    // The one ImContext of `host` (start-up: a module's load function).
    static std::shared_ptr<ImContext> shared(ModuleHost& host, Services& services);

    Services& services;
    store::RosterStore& roster;
    DirectedPresence directed;
    std::atomic<std::uint64_t> next_push{1};

    // Storage thread. Whether `bare` is an account of ours.
    bool account_exists(const xmpp::Jid& bare) const;
    // Storage thread. The row `owner` keeps about `contact`, or a fresh one
    // (state none, not in the roster) when there is none.
    store::RosterRow relation(const xmpp::Jid& owner, const std::string& contact, bool* existed = nullptr);
    // Storage thread. Saves a row (deleting it when it holds nothing any
    // more) and pushes it to the owner's interested resources when shown.
    void save(const xmpp::Jid& owner, const store::RosterRow& row, bool was_in_roster);
    // Sends a roster push of one item (or its removal) to every resource of
    // `owner` that asked for the roster.
    void push(const xmpp::Jid& owner, const xmpp::Element& item, std::int64_t ver);

    Delivery& delivery() const;
};

xmpp::Element roster_item(const store::RosterRow& row);

}  // namespace server::modules
