// OfflineStore: messages kept for local accounts that had no available
// resource (XEP-0160), over the server's SQLite Database.
//
// Table (module "offline"): offline_messages(id, user, domain, stamp, xml),
// id increasing, so an account's messages come back in the order they were
// stored. add() counts and inserts in one transaction: a message is either
// stored within the cap or refused, and once add() returns ok it is on disk
// (it survives a kill of the server). The store borrows the Database. Calls
// are thread-safe and block on disk: run them on the storage executor.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "server/store/database.hpp"

namespace server::store {

struct OfflineMessage {
    std::int64_t id = 0;
    std::string xml;  // the message as stored, delay stamp included
};

class OfflineStore {
public:
    enum class AddStatus { ok, full, error };

    explicit OfflineStore(Database& db) : db_(db) {}

    static MigrationSet schema();

    AddStatus add(const std::string& user, const std::string& domain, std::int64_t stamp, const std::string& xml,
                  std::size_t cap);
    // The account's messages, oldest first.
    std::vector<OfflineMessage> list(const std::string& user, const std::string& domain);
    // Deletes the account's messages up to and including `last_id`.
    bool remove_through(const std::string& user, const std::string& domain, std::int64_t last_id);
    std::size_t count(const std::string& user, const std::string& domain);
    // Messages held for every account (the metrics gauge starts from it).
    std::size_t total();

private:
    Database& db_;
};

}  // namespace server::store
