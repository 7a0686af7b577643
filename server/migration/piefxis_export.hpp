// Exporting xmqd's store as XEP-0227: every account of the given hosts with
// its SCRAM secrets (xmqd stores no password), roster and pending requests,
// vCard, private XML, offline messages (left in place: exporting delivers
// nothing), block list, message archive and PEP nodes with their items, one user at a time through PieWriter.
//
// Reads only; a running server may keep writing meanwhile (SQLite WAL), and
// what it writes during the export may or may not be in it: stop it first for
// a migration. Read through the SQLite classes (store/sqlite/), like the
// import: the admin sub-command opens the file itself, with or without a
// server running. Blocks on disk: for the admin sub-command.
#pragma once

#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

#include "server/migration/piefxis.hpp"
#include "server/store/sqlite/database.hpp"
#include "xmpp/result.hpp"

namespace server::migration {

struct ExportCounts {
    std::size_t users = 0;
    std::size_t contacts = 0;
    std::size_t offline_messages = 0;
    std::size_t archived_messages = 0;
    std::size_t pep_nodes = 0;
    std::size_t pep_items = 0;
};

// The user's data as the store has it; nullopt when there is no such account.
std::optional<PieUser> read_stored_user(store::Database& db, const std::string& user, const std::string& domain);

xmpp::Result<ExportCounts, std::string> export_pie(store::Database& db, const std::vector<std::string>& domains,
                                                   std::ostream& out);

}  // namespace server::migration
