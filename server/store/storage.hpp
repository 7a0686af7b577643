// Storage: one storage backend's stores, which is all the server, its
// modules and account deletion know of storage. SQLite is the backend today
// (sqlite/sqlite_storage.hpp); another (PostgreSQL) implements this same
// interface and the store interfaces beside it, and nothing above
// server/store changes.
//
// Owned by ServerParts (reached through Services::stores); the stores it
// returns live as long as it does. Every call is thread-safe and blocks on
// disk or network: run it on the storage executor or in an admin
// sub-command, never on an I/O worker. A CommitGroup is the storage
// executor's (server/core/storage_executor.hpp), on its one thread.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "auth/account_store.hpp"
#include "server/store/archive_store.hpp"
#include "server/store/blocklist_store.hpp"
#include "server/store/muc_store.hpp"
#include "server/store/offline_store.hpp"
#include "server/store/pubsub_store.hpp"
#include "server/store/queue_store.hpp"
#include "server/store/roster_store.hpp"
#include "server/store/user_data_store.hpp"

namespace server::store {

struct RemovedAccount {
    // ok; not_found when there was no account (nothing else is then
    // deleted); error when the removal failed (nothing is deleted).
    auth::StoreStatus status = auth::StoreStatus::error;
    std::size_t offline_messages = 0;  // how many were deleted (for the gauge)
};

// Group commit: the store calls of many jobs in one transaction, made durable
// by one commit (one disk flush) instead of one each. Each job is bracketed
// by begin_job()/end_job(): a job that fails is undone alone, the others
// stay. While a group is open, every store call on this backend joins it, so
// only the thread that opened it may use the stores meanwhile (the storage
// executor's thread; admin sub-commands never open one). Destroying a group
// that did not commit rolls back all of it.
class CommitGroup {
public:
    virtual ~CommitGroup() = default;

    // false: the job's scope could not be opened; its calls still join the group.
    virtual bool begin_job() = 0;
    // keep = false undoes every store call since the matching begin_job().
    virtual void end_job(bool keep) = 0;
    // false once a failure of the backend (disk full, I/O error) has ended
    // the group's transaction early: what it held is lost, commit() fails,
    // and further calls would no longer join it.
    virtual bool intact() = 0;
    // Makes every kept job durable at once; false: none of them is.
    virtual bool commit() = 0;
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
    virtual PubsubStore& pubsub() = 0;
    virtual QueueStore& queues() = 0;
    virtual MucStore& muc() = 0;

    // Removes every row the backend keeps about one account, atomically: the
    // account and its SCRAM secrets, its roster and roster version, offline
    // messages, vCard and private XML, last activity, block list, message
    // archive and archiving preferences, PEP nodes and items. What the
    // account's contacts keep about it (their own roster rows) is theirs and
    // is not touched: the caller sends them the subscription cancellations
    // first (see server/accounts/account_deletion.hpp).
    virtual RemovedAccount remove_account(const std::string& user, const std::string& domain) = 0;

    // Opens a group; null when none can begin now (another process held the
    // write lock past the backend's timeout): each store call then commits
    // on its own, as without groups.
    virtual std::unique_ptr<CommitGroup> begin_group() = 0;
};

}  // namespace server::store
