// Accounts from passwords: the one place where a password becomes the SCRAM
// secrets an AccountStore keeps (one per supported hash, fresh salts), for
// every way in: `xmqd adduser` / `xmqd passwd`, in-band registration and
// in-band password change (XEP-0077). The password itself is never stored
// or logged. Blocking (PBKDF2 and storage): call from the storage executor or
// an admin sub-command. Thread-safe as far as the store is.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "auth/account_store.hpp"

namespace auth {

// A new account user@domain (both already normalised); `exists` when taken,
// `error` when no secrets could be made or the store failed.
StoreStatus create_account(AccountStore& store, const std::string& user, const std::string& domain,
                           std::string_view password, std::uint32_t iterations);

// Replaces every secret of user@domain with ones for `password`; `not_found`
// when there is no such account.
StoreStatus change_password(AccountStore& store, const std::string& user, const std::string& domain,
                            std::string_view password, std::uint32_t iterations);

}  // namespace auth
