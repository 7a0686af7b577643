// The store modules' schemas, applied by Database::open(). A module with its
// own tables adds its MigrationSet here.
#include "server/store/database.hpp"
#include "server/store/blocklist_store.hpp"
#include "server/store/offline_store.hpp"
#include "server/store/roster_store.hpp"
#include "server/store/sqlite_account_store.hpp"
#include "server/store/user_data_store.hpp"

namespace server::store {

std::vector<MigrationSet> store_schema() {
    return {
        SqliteAccountStore::schema(),
        RosterStore::schema(),
        OfflineStore::schema(),
        UserDataStore::schema(),
        BlocklistStore::schema(),
    };
}

}  // namespace server::store
