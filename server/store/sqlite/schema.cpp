// The store modules' schemas, applied by Database::open(). A module with its
// own tables adds its MigrationSet here.
#include "server/store/sqlite/database.hpp"
#include "server/store/sqlite/sqlite_archive_store.hpp"
#include "server/store/sqlite/sqlite_blocklist_store.hpp"
#include "server/store/sqlite/sqlite_muc_store.hpp"
#include "server/store/sqlite/sqlite_offline_store.hpp"
#include "server/store/sqlite/sqlite_pubsub_store.hpp"
#include "server/store/sqlite/sqlite_queue_store.hpp"
#include "server/store/sqlite/sqlite_roster_store.hpp"
#include "server/store/sqlite/sqlite_account_store.hpp"
#include "server/store/sqlite/sqlite_user_data_store.hpp"

namespace server::store {

std::vector<MigrationSet> store_schema() {
    return {
        SqliteAccountStore::schema(),
        SqliteRosterStore::schema(),
        SqliteOfflineStore::schema(),
        SqliteUserDataStore::schema(),
        SqliteBlocklistStore::schema(),
        SqliteArchiveStore::schema(),
        SqlitePubsubStore::schema(),
        SqliteQueueStore::schema(),
        SqliteMucStore::schema(),
    };
}

}  // namespace server::store
