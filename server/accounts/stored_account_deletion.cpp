#include "server/accounts/stored_account_deletion.hpp"

#include "xmpp/subscription_state.hpp"
#include "server/store/sqlite/account_removal.hpp"
#include "server/store/sqlite/sqlite_roster_store.hpp"
#include "server/store/sqlite/sqlite_account_store.hpp"

namespace server {

namespace {

using xmpp::SubStanza;
using xmpp::SubState;

// `owner` receives `kind` from `sender`; true when its row changed. Only the
// state moves: a row that then holds nothing (not shown, no state) goes, as
// the live server does.
bool receive(store::SqliteRosterStore& roster, const xmpp::Jid& owner, const std::string& sender, xmpp::SubStanza kind,
             bool* failed) {
    auto existing = roster.row(owner.local(), owner.domain(), sender);
    if (!existing) return false;  // no row: every state change from "none" needs a request first
    const xmpp::SubState before = xmpp::sub_state_from_int(existing->state).value_or(xmpp::SubState::none);
    const xmpp::SubState after = xmpp::transition(before, kind, xmpp::Direction::inbound);
    if (after == before) return false;
    existing->state = xmpp::to_int(after);
    const bool empty = !existing->in_roster && after == xmpp::SubState::none;
    const auto ver = empty ? roster.remove(owner.local(), owner.domain(), sender)
                           : roster.put(owner.local(), owner.domain(), *existing);
    if (!ver) *failed = true;
    return ver.has_value();
}

}  // namespace

StoredDeletion delete_account_in_store(store::Database& db, const xmpp::Jid& bare) {
    StoredDeletion out;
    store::SqliteAccountStore accounts(db);
    if (!accounts.find(bare.local(), bare.domain())) {
        out.status = auth::StoreStatus::not_found;
        return out;
    }
    store::SqliteRosterStore roster(db);
    const std::string user = bare.bare_string();
    bool failed = false;
    for (const auto& row : roster.rows(bare.local(), bare.domain())) {
        auto contact = xmpp::Jid::parse(row.contact);
        if (!contact || !contact->is_bare() || contact->local().empty() || *contact == bare) continue;
        if (!accounts.find(contact->local(), contact->domain())) continue;  // not ours: nobody to tell
        const xmpp::SubState state = xmpp::sub_state_from_int(row.state).value_or(xmpp::SubState::none);
        bool changed = false;
        for (const xmpp::SubStanza kind : xmpp::cancellations(state))
            changed |= receive(roster, *contact, user, kind, &failed);
        if (changed) ++out.contacts_changed;
    }
    if (failed) return out;  // the account stays; running again finishes the job
    out.status = store::remove_account(db, bare.local(), bare.domain()).status;
    return out;
}

}  // namespace server
