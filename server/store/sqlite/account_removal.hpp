// Removing every row the SQLite store keeps about one account, in one
// transaction: the account and its SCRAM secrets, its roster and roster
// version, offline messages, vCard and private XML, last activity, block
// list, message archive and archiving preferences, PEP nodes and items
// (Storage::remove_account on SQLite; also used directly by the import
// and the deletion without a running server, which hold a Database). What
// the account's contacts keep about it (their own roster rows) is theirs and
// is not touched here: the caller sends them the subscription cancellations
// first (see server/accounts/account_deletion.hpp).
//
// Thread-safety: blocks on disk, like every store call; run it on the
// storage executor or in an admin sub-command.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "auth/account_store.hpp"
#include "server/store/sqlite/database.hpp"
#include "server/store/storage.hpp"

namespace server::store {

// Every table whose rows belong to an account, keyed by (user, domain). A
// store that adds such a table lists it here; a unit test compares this list
// with the schema, so a forgotten table fails the build's tests.
const std::vector<std::string_view>& account_tables();

RemovedAccount remove_account(Database& db, const std::string& user, const std::string& domain);

}  // namespace server::store
