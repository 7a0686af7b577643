// MemoryAccounts: an AccountStore in memory for protocol tests and fuzz
// targets (accounts with real SCRAM secrets; no disk). fail_lookups makes
// every lookup fail as a broken store would. Thread-safe.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "auth/account_store.hpp"

namespace test {

class MemoryAccounts final : public auth::AccountStore {
public:
    std::atomic<bool> fail_lookups{false};

    auth::AccountLookup lookup(const std::string& user, const std::string& domain) override {
        if (fail_lookups) return {auth::StoreStatus::error, std::nullopt};
        std::lock_guard lock(mutex_);
        auto it = accounts_.find(user + "@" + domain);
        if (it == accounts_.end()) return {auth::StoreStatus::not_found, std::nullopt};
        return {auth::StoreStatus::ok, it->second};
    }
    auth::StoreStatus create(const auth::Account& a) override {
        std::lock_guard lock(mutex_);
        return accounts_.emplace(a.user + "@" + a.domain, a).second ? auth::StoreStatus::ok
                                                                     : auth::StoreStatus::exists;
    }
    auth::StoreStatus set_secrets(const std::string& user, const std::string& domain,
                                  const std::vector<auth::ScramSecret>& secrets) override {
        std::lock_guard lock(mutex_);
        auto it = accounts_.find(user + "@" + domain);
        if (it == accounts_.end()) return auth::StoreStatus::not_found;
        it->second.secrets = secrets;
        return auth::StoreStatus::ok;
    }
    auth::StoreStatus remove(const std::string&, const std::string&) override { return auth::StoreStatus::error; }
    std::vector<std::string> list(const std::string&) override { return {}; }

private:
    std::mutex mutex_;
    std::map<std::string, auth::Account> accounts_;
};

}  // namespace test
