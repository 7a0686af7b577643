// SqliteMucStore: MucStore over the server's SQLite Database.
//
// Tables (module "muc"): muc_rooms(domain, name, config, subject,
// occupant_key) and muc_affiliations(domain, name, jid, affiliation). The
// store borrows the Database, which must outlive it. Calls are thread-safe
// (the Database serialises them) and block on disk: run them on the storage
// executor, or at start-up (load()) before the workers run.
#pragma once

#include "server/store/muc_store.hpp"
#include "server/store/sqlite/database.hpp"

namespace server::store {

class SqliteMucStore final : public MucStore {
public:
    explicit SqliteMucStore(Database& db) : db_(db) {}

    static MigrationSet schema();

    std::vector<MucRoomRow> load(std::size_t max_rooms) override;
    bool save(const MucRoomRow& room) override;
    bool remove(const std::string& domain, const std::string& name) override;

private:
    Database& db_;
};

}  // namespace server::store
