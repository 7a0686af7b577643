// OfflineStore: messages kept for local accounts that had no available
// resource (XEP-0160), whatever the storage backend. An account's messages
// come back in the order they were stored, each with an increasing id. add()
// counts and inserts atomically: a message is either stored within the cap
// or refused, and once add() returns ok it is durable (it survives a kill of
// the server).
//
// Owned by the backend's Storage (storage.hpp). Calls are thread-safe and
// block on disk or network: run them on the storage executor or in an admin
// sub-command, never on an I/O worker.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace server::store {

struct OfflineMessage {
    std::int64_t id = 0;
    std::string xml;  // the message as stored, delay stamp included
};

class OfflineStore {
public:
    enum class AddStatus { ok, full, error };

    virtual ~OfflineStore() = default;

    virtual AddStatus add(const std::string& user, const std::string& domain, std::int64_t stamp,
                          const std::string& xml, std::size_t cap) = 0;
    // The account's messages, oldest first.
    virtual std::vector<OfflineMessage> list(const std::string& user, const std::string& domain) = 0;
    // Deletes the account's messages up to and including `last_id`.
    virtual bool remove_through(const std::string& user, const std::string& domain, std::int64_t last_id) = 0;
    virtual std::size_t count(const std::string& user, const std::string& domain) = 0;
    // Messages held for every account (the metrics gauge starts from it).
    virtual std::size_t total() = 0;
};

}  // namespace server::store
