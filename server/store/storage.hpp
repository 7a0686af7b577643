// Storage: one storage backend's stores, which is all the server, its
// modules and account deletion know of storage. SQLite is the backend today
// (sqlite/sqlite_storage.hpp); another (PostgreSQL) implements this same
// interface and the store interfaces beside it, and nothing above
// server/store changes.
//
// Owned by ServerParts (reached through Services::stores); the stores it
// returns live as long as it does. Every call is thread-safe and blocks on
// disk or network: run it on the storage executor or in an admin
// sub-command, never on an I/O worker.
#pragma once

#include <cstddef>
#include <string>

#include "auth/account_store.hpp"
#include "server/store/archive_store.hpp"
#include "server/store/blocklist_store.hpp"
#include "server/store/offline_store.hpp"
#include "server/store/roster_store.hpp"
#include "server/store/user_data_store.hpp"

namespace server::store {

struct RemovedAccount {
    // ok; not_found when there was no account (nothing else is then
    // deleted); error when the removal failed (nothing is deleted).
    auth::StoreStatus status = auth::StoreStatus::error;
    std::size_t offline_messages = 0;  // how many were deleted (for the gauge)
};

class Storage {
public:
    virtual ~Storage() = default;

    virtual auth::AccountStore& accounts() = 0;
    virtual RosterStore& roster() = 0;
    virtual OfflineStore& offline() = 0;
    virtual UserDataStore& user_data() = 0;
    virtual BlocklistStore& blocklist() = 0;
    virtual ArchiveStore& archive() = 0;

    // Removes every row the backend keeps about one account, atomically: the
    // account and its SCRAM secrets, its roster and roster version, offline
    // messages, vCard and private XML, last activity, block list, message
    // archive and archiving preferences. What the
    // account's contacts keep about it (their own roster rows) is theirs and
    // is not touched: the caller sends them the subscription cancellations
    // first (see server/accounts/account_deletion.hpp).
    virtual RemovedAccount remove_account(const std::string& user, const std::string& domain) = 0;
};

}  // namespace server::store
