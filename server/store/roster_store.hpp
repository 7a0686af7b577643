// RosterStore: the rosters (RFC 6121 §2) and presence subscription states
// (§3) of local accounts, whatever the storage backend. One row per contact
// the account has a relation with: its name and groups, its subscription
// state (SubState as an integer) and whether it is shown in the roster (a row
// may exist only to remember a pending inbound request, which RFC 6121
// §3.1.3 keeps out of the roster); and per account a version raised by every
// change, for roster versioning (XEP-0237). Contacts are normalised bare JIDs.
//
// Owned by the backend's Storage (storage.hpp). Calls are thread-safe and
// block on disk or network: run them on the storage executor or in an admin
// sub-command, never on an I/O worker.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

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
    virtual ~RosterStore() = default;

    virtual std::vector<RosterRow> rows(const std::string& user, const std::string& domain) = 0;
    virtual std::optional<RosterRow> row(const std::string& user, const std::string& domain,
                                         const std::string& contact) = 0;
    // Items shown in the roster.
    virtual std::size_t roster_size(const std::string& user, const std::string& domain) = 0;
    // Inserts or replaces a row and raises the version; the new version, or
    // nullopt on a storage error.
    virtual std::optional<std::int64_t> put(const std::string& user, const std::string& domain,
                                            const RosterRow& row) = 0;
    // Deletes a row and raises the version; the new version, or nullopt.
    virtual std::optional<std::int64_t> remove(const std::string& user, const std::string& domain,
                                               const std::string& contact) = 0;
    virtual std::int64_t version(const std::string& user, const std::string& domain) = 0;
};

}  // namespace server::store
