// SqliteStorage: the SQLite backend of Storage. It owns the Database (the
// one file <data_dir>/xmqd.sqlite, or one in memory for tests and fuzz
// targets) and the SQLite stores over it.
//
// Owned by ServerParts; thread-safe like its stores (the Database
// serialises every call), and every call blocks on disk: run it on the
// storage executor or in an admin sub-command. database() is for what is
// SQLite-specific by nature (the import's one transaction, tests).
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "server/store/sqlite/account_removal.hpp"
#include "server/store/sqlite/database.hpp"
#include "server/store/sqlite/sqlite_account_store.hpp"
#include "server/store/sqlite/sqlite_archive_store.hpp"
#include "server/store/sqlite/sqlite_blocklist_store.hpp"
#include "server/store/sqlite/sqlite_muc_store.hpp"
#include "server/store/sqlite/sqlite_offline_store.hpp"
#include "server/store/sqlite/sqlite_pubsub_store.hpp"
#include "server/store/sqlite/sqlite_queue_store.hpp"
#include "server/store/sqlite/sqlite_roster_store.hpp"
#include "server/store/sqlite/sqlite_user_data_store.hpp"
#include "server/store/storage.hpp"
#include "xmpp/result.hpp"

namespace server::store {

class SqliteStorage final : public Storage {
public:
    // <directory>/xmqd.sqlite, opened with its schema brought up to date.
    static xmpp::Result<std::unique_ptr<SqliteStorage>, std::string> open(const std::filesystem::path& directory);
    static xmpp::Result<std::unique_ptr<SqliteStorage>, std::string> open_in_memory();

    explicit SqliteStorage(std::unique_ptr<Database> db);

    auth::AccountStore& accounts() override { return accounts_; }
    RosterStore& roster() override { return roster_; }
    OfflineStore& offline() override { return offline_; }
    UserDataStore& user_data() override { return user_data_; }
    BlocklistStore& blocklist() override { return blocklist_; }
    MucStore& muc() override { return muc_; }
    ArchiveStore& archive() override { return archive_; }
    PubsubStore& pubsub() override { return pubsub_; }
    QueueStore& queues() override { return queues_; }
    RemovedAccount remove_account(const std::string& user, const std::string& domain) override;
    // A Database::Batch: BEGIN IMMEDIATE, a savepoint per job, one COMMIT.
    std::unique_ptr<CommitGroup> begin_group() override;

    Database& database() { return *db_; }

private:
    std::unique_ptr<Database> db_;
    SqliteAccountStore accounts_;
    SqliteRosterStore roster_;
    SqliteOfflineStore offline_;
    SqliteUserDataStore user_data_;
    SqliteBlocklistStore blocklist_;
    SqliteArchiveStore archive_;
    SqlitePubsubStore pubsub_;
    SqliteQueueStore queues_;
    SqliteMucStore muc_;
};

}  // namespace server::store
