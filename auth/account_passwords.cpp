#include "auth/account_passwords.hpp"

namespace auth {

StoreStatus create_account(AccountStore& store, const std::string& user, const std::string& domain,
                           std::string_view password, std::uint32_t iterations) {
    Account account{user, domain, make_scram_secrets(password, iterations)};
    // No randomness for a salt: refuse rather than store an account no
    // password could ever log into.
    if (account.secrets.empty()) return StoreStatus::error;
    return store.create(account);
}

StoreStatus change_password(AccountStore& store, const std::string& user, const std::string& domain,
                            std::string_view password, std::uint32_t iterations) {
    auto secrets = make_scram_secrets(password, iterations);
    if (secrets.empty()) return StoreStatus::error;  // keep the old password rather than lock the user out
    return store.set_secrets(user, domain, secrets);
}

}  // namespace auth
