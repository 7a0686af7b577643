// Account deletion with no server running (`xmqd deluser` when nothing
// listens on the control socket): the store alone. Each local contact's
// roster row moves as if the account had sent it, in order, the
// cancellations of RFC 6121 §2.5.2 (unsubscribe, unsubscribed: the Appendix A
// table of subscription_state.hpp, inbound direction), so the contact sees
// the change at its next roster fetch; then the account's own rows go in one
// transaction (store/sqlite/account_removal.hpp). Nobody is online to be
// told. On the SQLite classes, not the store::Storage interfaces: with no
// server there is no Storage, only the file the admin sub-command opened.
//
// Each contact's row is its own write: a crash half-way leaves the account
// in place, and running the deletion again finishes it (a cancellation that
// already happened changes nothing the second time).
//
// Thread-safety: blocks on disk; for the admin sub-command's thread.
#pragma once

#include <cstddef>

#include "auth/account_store.hpp"
#include "server/store/sqlite/database.hpp"
#include "xmpp/jid.hpp"

namespace server {

struct StoredDeletion {
    auth::StoreStatus status = auth::StoreStatus::error;  // ok, not_found or error
    std::size_t contacts_changed = 0;                     // contacts' rows moved
};

StoredDeletion delete_account_in_store(store::Database& db, const xmpp::Jid& bare);

}  // namespace server
