// The SQLite Database (WAL, migrations) and SqliteAccountStore.
#include <doctest/doctest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <thread>

#include "server/store/sqlite/database.hpp"
#include "server/store/sqlite/sqlite_account_store.hpp"
#include "tests/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using auth::StoreStatus;
using server::store::Database;
using server::store::MigrationSet;
using server::store::SqliteAccountStore;
using server::store::Statement;

// A fresh directory, removed with its contents at the end of the test.
std::unique_ptr<Database> open_db(
    const fs::path& dir, const std::vector<MigrationSet>& schema = server::store::store_schema()) {
    auto db = Database::open(dir, schema);
    REQUIRE_MESSAGE(db.ok(), (db.ok() ? "" : db.error()));
    return std::move(db.value());
}

auth::Account alice() {
    return {"alice", "example.com", auth::make_scram_secrets("wonderland", 4096)};
}

}  // namespace

TEST_CASE("Database opens in WAL mode with the accounts schema") {
    test::TempDir dir;
    auto db = open_db(dir.path / "nested" / "data");
    CHECK(fs::exists(dir.path / "nested" / "data" / "xmqd.sqlite"));
    CHECK(db->schema_version("accounts") == 1);
    CHECK(db->schema_version("nobody") == 0);
    auto l = db->lock();
    Statement mode = l.prepare("PRAGMA journal_mode");
    REQUIRE(mode.step() == Statement::Step::row);
    CHECK(mode.text(0) == "wal");
    Statement sync = l.prepare("PRAGMA synchronous");
    REQUIRE(sync.step() == Statement::Step::row);
    CHECK(sync.integer(0) == 2);  // FULL
    Statement fk = l.prepare("PRAGMA foreign_keys");
    REQUIRE(fk.step() == Statement::Step::row);
    CHECK(fk.integer(0) == 1);
}

TEST_CASE("a statement is prepared once, and comes back reset and without its bindings") {
    test::TempDir dir;
    auto db = open_db(dir.path);
    auto l = db->lock();
    auto prepared = [&] {  // statements alive on the connection, and whether any is mid-run
        int n = 0;
        bool busy = false;
        for (sqlite3_stmt* s = sqlite3_next_stmt(l.handle(), nullptr); s; s = sqlite3_next_stmt(l.handle(), s)) {
            ++n;
            busy = busy || sqlite3_stmt_busy(s);
        }
        return std::pair{n, busy};
    };
    const int before = prepared().first;
    {
        Statement q = l.prepare("SELECT ?1");
        q.bind(1, std::int64_t{7});
        REQUIRE(q.step() == Statement::Step::row);
        CHECK(q.integer(0) == 7);
    }  // left before its end
    CHECK(prepared() == std::pair{before + 1, false});  // kept, and reset
    {
        Statement q = l.prepare("SELECT ?1");
        REQUIRE(q.step() == Statement::Step::row);
        CHECK(q.is_null(0));  // the last use's binding is gone
        Statement same = l.prepare("SELECT ?1");  // the same SQL while the first is in use
        same.bind(1, std::int64_t{8});
        REQUIRE(same.step() == Statement::Step::row);
        CHECK(same.integer(0) == 8);
        CHECK(prepared().first == before + 2);
    }
    CHECK(prepared() == std::pair{before + 1, false});  // one kept, the other finalized
}

TEST_CASE("migrations run in order, once, and a newer file is refused") {
    test::TempDir dir;
    MigrationSet v1{"notes", {{1, "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"}}};
    MigrationSet v2 = v1;
    v2.migrations.push_back({2,
                             "ALTER TABLE notes ADD COLUMN author TEXT;"
                             "INSERT INTO notes (body, author) VALUES ('hello', 'me')"});
    {
        auto db = open_db(dir.path, {v1});
        CHECK(db->schema_version("notes") == 1);
    }
    {
        auto db = open_db(dir.path, {v2});
        CHECK(db->schema_version("notes") == 2);
    }
    {  // reopening applies nothing twice: still exactly one row
        auto db = open_db(dir.path, {v2});
        auto l = db->lock();
        Statement q = l.prepare("SELECT COUNT(*), MAX(author) FROM notes");
        REQUIRE(q.step() == Statement::Step::row);
        CHECK(q.integer(0) == 1);
        CHECK(q.text(1) == "me");
    }
    {  // an older binary must not touch a newer schema
        auto db = Database::open(dir.path, {v1});
        REQUIRE_FALSE(db.ok());
        CHECK(db.error().find("newer") != std::string::npos);
    }
    {  // a migration list with a gap is a programming error
        MigrationSet gap{"gap", {{1, "CREATE TABLE g1 (x)"}, {3, "CREATE TABLE g3 (x)"}}};
        CHECK_FALSE(Database::open(dir.path, {gap}).ok());
    }
    {  // a failing step leaves the version where it was
        MigrationSet broken = v2;
        broken.migrations.push_back({3, "CREATE TABLE x (a); THIS IS NOT SQL"});
        auto db = Database::open(dir.path, {broken});
        REQUIRE_FALSE(db.ok());
        CHECK(db.error().find("notes #3") != std::string::npos);
        auto again = open_db(dir.path, {v2});
        CHECK(again->schema_version("notes") == 2);
        auto l = again->lock();
        CHECK_FALSE(l.prepare("SELECT * FROM x").valid());  // rolled back
    }
    {  // apply() brings up a module's tables after open
        auto db = open_db(dir.path, {});
        MigrationSet late{"late", {{1, "CREATE TABLE late_t (x)"}}};
        CHECK_FALSE(db->apply(late).has_value());
        CHECK(db->schema_version("late") == 1);
    }
}

TEST_CASE("account store: create, find, duplicate, set_secrets, remove, list") {
    test::TempDir dir;
    auto db = open_db(dir.path);
    SqliteAccountStore store(*db);

    CHECK_FALSE(store.find("alice", "example.com").has_value());
    const auth::Account a = alice();
    CHECK(store.create(a) == StoreStatus::ok);
    CHECK(store.create(a) == StoreStatus::exists);
    CHECK(store.create({"", "example.com", {}}) == StoreStatus::error);

    auto found = store.find("alice", "example.com");
    REQUIRE(found.has_value());
    CHECK(found->user == "alice");
    CHECK(found->domain == "example.com");
    REQUIRE(found->secrets.size() == 2);
    for (const auto& s : found->secrets) CHECK(auth::verify_password(s, "wonderland"));
    CHECK_FALSE(store.find("alice", "example.org").has_value());

    const auto fresh = auth::make_scram_secrets("looking-glass", 4096);
    CHECK(store.set_secrets("alice", "example.com", fresh) == StoreStatus::ok);
    CHECK(store.set_secrets("bob", "example.com", fresh) == StoreStatus::not_found);
    found = store.find("alice", "example.com");
    REQUIRE(found.has_value());
    REQUIRE(found->secrets.size() == 2);
    for (const auto& s : found->secrets) {
        CHECK(auth::verify_password(s, "looking-glass"));
        CHECK_FALSE(auth::verify_password(s, "wonderland"));
    }

    CHECK(store.create({"bob", "example.com", auth::make_scram_secrets("b", 4096)}) ==
          StoreStatus::ok);
    CHECK(store.create({"carol", "example.org", auth::make_scram_secrets("c", 4096)}) ==
          StoreStatus::ok);
    CHECK(store.list("example.com") ==
          std::vector<std::string>{"alice@example.com", "bob@example.com"});
    CHECK(store.list("") ==
          std::vector<std::string>{"alice@example.com", "bob@example.com", "carol@example.org"});
    CHECK(store.list("nowhere.net").empty());

    CHECK(store.remove("alice", "example.com") == StoreStatus::ok);
    CHECK(store.remove("alice", "example.com") == StoreStatus::not_found);
    CHECK_FALSE(store.find("alice", "example.com").has_value());
    // Its secrets went with it; a new alice starts clean.
    CHECK(store.create({"alice", "example.com", {}}) == StoreStatus::ok);
    found = store.find("alice", "example.com");
    REQUIRE(found.has_value());
    CHECK(found->secrets.empty());
}

TEST_CASE("secrets are stored as RFC 5803 text, never the password") {
    test::TempDir dir;
    auto db = open_db(dir.path);
    SqliteAccountStore store(*db);
    REQUIRE(store.create(alice()) == StoreStatus::ok);
    auto l = db->lock();
    Statement q =
        l.prepare("SELECT mechanism, auth_password FROM account_secrets ORDER BY mechanism");
    REQUIRE(q.step() == Statement::Step::row);
    CHECK(q.text(0) == "SCRAM-SHA-1");
    CHECK(q.text(1).starts_with("SCRAM-SHA-1$4096:"));
    CHECK(q.text(1).find("wonderland") == std::string::npos);
    REQUIRE(q.step() == Statement::Step::row);
    CHECK(q.text(0) == "SCRAM-SHA-256");
    CHECK(q.text(1).starts_with("SCRAM-SHA-256$4096:"));
}

TEST_CASE("accounts persist across reopen, and two opens of one file coexist") {
    test::TempDir dir;
    {
        auto db = open_db(dir.path);
        SqliteAccountStore store(*db);
        REQUIRE(store.create(alice()) == StoreStatus::ok);
    }
    auto first = open_db(dir.path);
    auto second = open_db(dir.path);  // e.g. an admin command next to the server
    CHECK(first->schema_version("accounts") == 1);
    SqliteAccountStore a(*first);
    SqliteAccountStore b(*second);
    CHECK(a.find("alice", "example.com").has_value());
    CHECK(b.create({"bob", "example.com", {}}) == StoreStatus::ok);
    CHECK(a.find("bob", "example.com").has_value());
}

TEST_CASE("the account store may be used from several threads") {
    test::TempDir dir;
    auto db = open_db(dir.path);
    SqliteAccountStore store(*db);
    const auto secrets = auth::make_scram_secrets("pw", 4096);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 25; ++i) {
                const std::string user = "u" + std::to_string(t) + "-" + std::to_string(i);
                CHECK(store.create({user, "example.com", secrets}) == StoreStatus::ok);
                CHECK(store.find(user, "example.com").has_value());
            }
        });
    }
    for (auto& th : threads) th.join();
    CHECK(store.list("example.com").size() == 100);
}

TEST_CASE("a new database file is readable by its owner only") {
    test::TempDir dir;
    auto db = open_db(dir.path);
    const auto perms = fs::status(db->path()).permissions();
    CHECK((perms & (fs::perms::group_all | fs::perms::others_all)) == fs::perms::none);
}
