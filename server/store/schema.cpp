// The store modules' schemas, applied by Database::open(). A module with its
// own tables adds its MigrationSet here.
#include "server/store/database.hpp"
#include "server/store/sqlite_account_store.hpp"

namespace server::store {

std::vector<MigrationSet> store_schema() {
    return {
        SqliteAccountStore::schema(),
    };
}

}  // namespace server::store
