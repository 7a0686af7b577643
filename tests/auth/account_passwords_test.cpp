// create_account / change_password: a password becomes one SCRAM secret per
// hash, the same for `xmqd adduser`/`passwd` and XEP-0077.
#include <doctest/doctest.h>

#include "auth/account_passwords.hpp"
#include "tests/server/memory_accounts.hpp"

TEST_CASE("create_account stores a secret per hash for the password, once") {
    test::MemoryAccounts store;
    CHECK(auth::create_account(store, "romeo", "localhost", "s3cret", 4096) == auth::StoreStatus::ok);
    auto account = store.find("romeo", "localhost");
    REQUIRE(account);
    REQUIRE(account->secrets.size() == 2);
    CHECK(account->secrets[0].hash != account->secrets[1].hash);
    for (const auto& secret : account->secrets) {
        CHECK(auth::verify_password(secret, "s3cret"));
        CHECK_FALSE(auth::verify_password(secret, "other"));
    }
    CHECK(auth::create_account(store, "romeo", "localhost", "x", 4096) == auth::StoreStatus::exists);
    CHECK(auth::verify_password(store.find("romeo", "localhost")->secrets[0], "s3cret"));
}

TEST_CASE("change_password replaces every secret; an unknown account is not_found") {
    test::MemoryAccounts store;
    REQUIRE(auth::create_account(store, "romeo", "localhost", "old", 4096) == auth::StoreStatus::ok);
    CHECK(auth::change_password(store, "romeo", "localhost", "new", 4096) == auth::StoreStatus::ok);
    const auto changed = store.find("romeo", "localhost");
    REQUIRE(changed);
    for (const auto& secret : changed->secrets) {
        CHECK(auth::verify_password(secret, "new"));
        CHECK_FALSE(auth::verify_password(secret, "old"));
    }
    CHECK(auth::change_password(store, "nobody", "localhost", "x", 4096) == auth::StoreStatus::not_found);
}
