#include "server/store/sqlite/sqlite_storage.hpp"

#include <utility>

namespace server::store {

namespace {

class SqliteCommitGroup final : public CommitGroup {
public:
    explicit SqliteCommitGroup(Database& db) : batch_(db) {}
    bool begun() const { return batch_.begun(); }
    bool begin_job() override { return batch_.begin_part(); }
    void end_job(bool keep) override { batch_.end_part(keep); }
    bool intact() override { return batch_.intact(); }
    bool commit() override { return batch_.commit(); }

private:
    Database::Batch batch_;
};

}  // namespace

xmpp::Result<std::unique_ptr<SqliteStorage>, std::string> SqliteStorage::open(
    const std::filesystem::path& directory) {
    auto db = Database::open(directory);
    if (!db) return xmpp::fail(db.error());
    return std::make_unique<SqliteStorage>(std::move(db.value()));
}

xmpp::Result<std::unique_ptr<SqliteStorage>, std::string> SqliteStorage::open_in_memory() {
    auto db = Database::open_in_memory();
    if (!db) return xmpp::fail(db.error());
    return std::make_unique<SqliteStorage>(std::move(db.value()));
}

SqliteStorage::SqliteStorage(std::unique_ptr<Database> db)
    : db_(std::move(db)), accounts_(*db_), roster_(*db_), offline_(*db_), user_data_(*db_), blocklist_(*db_), archive_(*db_), pubsub_(*db_), queues_(*db_), muc_(*db_) {}

RemovedAccount SqliteStorage::remove_account(const std::string& user, const std::string& domain) {
    return store::remove_account(*db_, user, domain);
}

std::unique_ptr<CommitGroup> SqliteStorage::begin_group() {
    auto group = std::make_unique<SqliteCommitGroup>(*db_);
    if (!group->begun()) return nullptr;
    return group;
}

}  // namespace server::store
