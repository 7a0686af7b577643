// BlocklistStore: the JIDs each local account blocks (XEP-0191), over the
// server's SQLite Database. Table (module "blocklist"): blocklist(user,
// domain, jid) with jid as the client gave it, normalised (a full or bare
// JID, a domain, or domain/resource). The store borrows the Database. Calls
// are thread-safe and block on disk: run them on the storage executor, or at
// start-up (all()) before the workers run.
#pragma once

#include <string>
#include <tuple>
#include <vector>

#include "server/store/database.hpp"

namespace server::store {

class BlocklistStore {
public:
    explicit BlocklistStore(Database& db) : db_(db) {}

    static MigrationSet schema();

    // Every entry, as (user, domain, jid).
    std::vector<std::tuple<std::string, std::string, std::string>> all();
    bool add(const std::string& user, const std::string& domain, const std::vector<std::string>& jids);
    // Removes these entries, or all of the account's when `jids` is empty.
    bool remove(const std::string& user, const std::string& domain, const std::vector<std::string>& jids);

private:
    Database& db_;
};

}  // namespace server::store
