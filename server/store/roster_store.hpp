// RosterStore: the rosters (RFC 6121 §2) and presence subscription states
// (§3) of local accounts, over the server's SQLite Database.
//
// Tables (module "roster"): roster_items(user, domain, contact, ...) with one
// row per contact the account has a relation with: its name and groups, its
// subscription state (SubState as an integer) and whether it is shown in the
// roster (a row may exist only to remember a pending inbound request, which
// RFC 6121 §3.1.3 keeps out of the roster); roster_versions(user, domain,
// ver), a counter raised by every change, for roster versioning (XEP-0237).
// Contacts are stored as normalised bare JIDs. The store borrows the Database,
// which must outlive it. Calls are thread-safe and block on disk: run them on
// the storage executor or in an admin sub-command.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "server/store/database.hpp"

namespace server::store {

struct RosterRow {
    std::string contact;  // bare JID
    std::string name;
    std::vector<std::string> groups;
    int state = 0;          // xmpp::SubState as an integer
    bool in_roster = true;  // false: only a pending inbound request
};

class RosterStore {
public:
    explicit RosterStore(Database& db) : db_(db) {}

    static MigrationSet schema();

    std::vector<RosterRow> rows(const std::string& user, const std::string& domain);
    std::optional<RosterRow> row(const std::string& user, const std::string& domain, const std::string& contact);
    // Items shown in the roster.
    std::size_t roster_size(const std::string& user, const std::string& domain);
    // Inserts or replaces a row and raises the version; the new version, or
    // nullopt on a storage error.
    std::optional<std::int64_t> put(const std::string& user, const std::string& domain, const RosterRow& row);
    // Deletes a row and raises the version; the new version, or nullopt.
    std::optional<std::int64_t> remove(const std::string& user, const std::string& domain,
                                       const std::string& contact);
    std::int64_t version(const std::string& user, const std::string& domain);

private:
    std::optional<std::int64_t> bump(Database::Lock& l, const std::string& user, const std::string& domain);
    Database& db_;
};

}  // namespace server::store
