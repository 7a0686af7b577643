// BlocklistStore: the JIDs each local account blocks (XEP-0191), whatever
// the storage backend. Each entry is the JID as the client gave it,
// normalised (a full or bare JID, a domain, or domain/resource).
//
// Owned by the backend's Storage (storage.hpp). Calls are thread-safe and
// block on disk or network: run them on the storage executor, or at start-up
// (all()) before the workers run; never on an I/O worker.
#pragma once

#include <string>
#include <tuple>
#include <vector>

namespace server::store {

class BlocklistStore {
public:
    virtual ~BlocklistStore() = default;

    // Every entry, as (user, domain, jid).
    virtual std::vector<std::tuple<std::string, std::string, std::string>> all() = 0;
    virtual bool add(const std::string& user, const std::string& domain, const std::vector<std::string>& jids) = 0;
    // Removes these entries, or all of the account's when `jids` is empty.
    virtual bool remove(const std::string& user, const std::string& domain,
                        const std::vector<std::string>& jids) = 0;
};

}  // namespace server::store
