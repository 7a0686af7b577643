// AccountStore: the accounts that auth/ needs, as an interface. server/store/
// implements it over SQLite. Calls block on storage: call them from the
// storage executor (or an admin sub-command), never from an I/O worker.
// Implementations are thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "auth/scram.hpp"

namespace auth {

struct Account {
    std::string user;    // normalised localpart
    std::string domain;  // normalised domain
    std::vector<ScramSecret> secrets;  // one per hash
};

enum class StoreStatus { ok, exists, not_found, error };

// The answer to a lookup: the account (status ok), or why there is none:
// not_found, or error when the store failed and cannot tell.
struct AccountLookup {
    StoreStatus status = StoreStatus::not_found;
    std::optional<Account> account;
};

class AccountStore {
public:
    virtual ~AccountStore() = default;
    virtual AccountLookup lookup(const std::string& user, const std::string& domain) = 0;
    // The account, or nullopt when there is none or the store failed: for
    // callers to whom both mean "no such account here".
    std::optional<Account> find(const std::string& user, const std::string& domain) {
        return lookup(user, domain).account;
    }
    virtual StoreStatus create(const Account& account) = 0;
    virtual StoreStatus set_secrets(const std::string& user, const std::string& domain,
                                    const std::vector<ScramSecret>& secrets) = 0;
    virtual StoreStatus remove(const std::string& user, const std::string& domain) = 0;
    // Users of a domain, or of every domain when `domain` is empty, as "user@domain".
    virtual std::vector<std::string> list(const std::string& domain) = 0;
};

}  // namespace auth
