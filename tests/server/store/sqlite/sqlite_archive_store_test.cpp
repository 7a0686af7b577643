// SqliteArchiveStore against a database in memory: rows in sequence order,
// the bounds and filters of a range, placeholders kept as anchors but never
// returned, one transaction per add(), preferences, retention, and a file of
// the previous schema gaining the tables when opened.
#include <doctest/doctest.h>

#include "server/store/sqlite/database.hpp"
#include "server/store/sqlite/sqlite_archive_store.hpp"
#include "server/store/sqlite/sqlite_offline_store.hpp"
#include "tests/temp_dir.hpp"

namespace sqlite_archive_store_test {

using server::store::ArchiveRange;
using server::store::ArchiveRow;

struct Fixture {
    std::unique_ptr<server::store::Database> db = [] {
        auto d = server::store::Database::open_in_memory();
        REQUIRE(d.ok());
        return std::move(d.value());
    }();
    server::store::SqliteArchiveStore store{*db};

    // id "m<i>" at i seconds, with bob for even i, carol/phone for odd i.
    void fill(int n, const std::string& user = "alice") {
        for (int i = 1; i <= n; ++i) {
            const bool even = i % 2 == 0;
            REQUIRE(store.add({{user, "localhost", "m" + std::to_string(i), i * std::int64_t{1000000},
                                even ? "bob@localhost" : "carol@localhost", even ? "" : "phone",
                                "<message><body>" + std::to_string(i) + "</body></message>"}}));
        }
    }
    std::vector<std::string> ids(const ArchiveRange& range, bool from_end, std::size_t limit) {
        auto rows = store.select("alice", "localhost", range, from_end, limit);
        REQUIRE(rows.has_value());
        std::vector<std::string> out;
        for (const auto& r : *rows) out.push_back(r.id);
        return out;
    }
};

TEST_CASE("archive store: the first or last rows of a range, always in sequence order") {
    Fixture f;
    f.fill(6);
    f.fill(2, "bob");
    CHECK(f.ids({}, false, 3) == std::vector<std::string>{"m1", "m2", "m3"});
    CHECK(f.ids({}, true, 3) == std::vector<std::string>{"m4", "m5", "m6"});
    bool ok = false;
    auto m2 = f.store.seq_of("alice", "localhost", "m2", ok);
    REQUIRE(ok);
    REQUIRE(m2);
    auto m5 = f.store.seq_of("alice", "localhost", "m5", ok);
    ArchiveRange between;
    between.after_seq = m2;
    between.before_seq = m5;
    CHECK(f.ids(between, false, 10) == std::vector<std::string>{"m3", "m4"});
    CHECK_FALSE(f.store.seq_of("alice", "localhost", "nope", ok));
    CHECK(ok);
    CHECK_FALSE(f.store.seq_of("bob", "localhost", "m5", ok));  // bob has m1 and m2 only
}

TEST_CASE("archive store: with (bare or full), start and end, ids; count") {
    Fixture f;
    f.fill(6);
    ArchiveRange bob;
    bob.with_bare = "bob@localhost";
    CHECK(f.ids(bob, false, 10) == std::vector<std::string>{"m2", "m4", "m6"});
    ArchiveRange carol_phone;
    carol_phone.with_bare = "carol@localhost";
    carol_phone.with_resource = "phone";
    CHECK(f.ids(carol_phone, false, 10) == std::vector<std::string>{"m1", "m3", "m5"});
    carol_phone.with_resource = "laptop";
    CHECK(f.ids(carol_phone, false, 10).empty());
    ArchiveRange time;
    time.start_us = 2000000;
    time.end_us = 4000000;
    CHECK(f.ids(time, false, 10) == std::vector<std::string>{"m2", "m3", "m4"});
    ArchiveRange some;
    some.ids = {"m5", "m1", "zz"};
    CHECK(f.ids(some, false, 10) == std::vector<std::string>{"m1", "m5"});
    CHECK(f.store.count("alice", "localhost", {}) == 6u);
    CHECK(f.store.count("alice", "localhost", bob) == 3u);
    CHECK(f.store.count("alice", "localhost", time) == 3u);
}

TEST_CASE("archive store: a placeholder is an anchor, never a result; add() is all or nothing") {
    Fixture f;
    REQUIRE(f.store.add({{"alice", "localhost", "p1", 1, "", "", ""}}));
    f.fill(2);
    bool ok = false;
    CHECK(f.store.seq_of("alice", "localhost", "p1", ok).has_value());
    CHECK(f.ids({}, false, 10) == std::vector<std::string>{"m1", "m2"});
    CHECK(f.store.count("alice", "localhost", {}) == 2u);
    CHECK(f.store.all("alice", "localhost").size() == 2);
    // A duplicate id fails the whole call.
    CHECK_FALSE(f.store.add({{"alice", "localhost", "n1", 5, "bob@localhost", "", "<message/>"},
                             {"alice", "localhost", "m1", 5, "bob@localhost", "", "<message/>"}}));
    CHECK_FALSE(f.store.seq_of("alice", "localhost", "n1", ok).has_value());
}

TEST_CASE("archive store: retention deletes what is older, preferences round-trip") {
    Fixture f;
    f.fill(5);
    CHECK(f.store.remove_older_than(3000000) == 2u);
    CHECK(f.ids({}, false, 10) == std::vector<std::string>{"m3", "m4", "m5"});

    bool ok = false;
    CHECK_FALSE(f.store.prefs("alice", "localhost", ok));
    CHECK(ok);
    REQUIRE(f.store.set_prefs("alice", "localhost", {"roster", {"bob@localhost", "x.example"}, {"eve@localhost"}}));
    auto p = f.store.prefs("alice", "localhost", ok);
    REQUIRE(p);
    CHECK(p->default_mode == "roster");
    CHECK(p->always == std::vector<std::string>{"bob@localhost", "x.example"});
    CHECK(p->never == std::vector<std::string>{"eve@localhost"});
    REQUIRE(f.store.set_prefs("alice", "localhost", {"never", {}, {}}));
    CHECK(f.store.prefs("alice", "localhost", ok)->default_mode == "never");
    CHECK(f.store.all_prefs().size() == 1);
}

TEST_CASE("archive store: a database of the previous version opens and gains the archive tables") {
    test::TempDir dir;
    {
        // Everything but the archive: what the server before it created.
        std::vector<server::store::MigrationSet> before;
        for (auto& set : server::store::store_schema())
            if (set.module != "archive") before.push_back(std::move(set));
        auto old = server::store::Database::open(dir.path, before);
        REQUIRE(old.ok());
        CHECK(old.value()->schema_version("archive") == 0);
        server::store::SqliteOfflineStore offline(*old.value());
        REQUIRE(offline.add("alice", "localhost", 1, "<message/>", 10) ==
                server::store::OfflineStore::AddStatus::ok);
    }
    auto db = server::store::Database::open(dir.path);
    REQUIRE(db.ok());
    CHECK(db.value()->schema_version("archive") == 1);
    server::store::SqliteArchiveStore store(*db.value());
    CHECK(store.add({{"alice", "localhost", "m1", 1, "bob@localhost", "", "<message/>"}}));
    CHECK(server::store::SqliteOfflineStore(*db.value()).count("alice", "localhost") == 1);
}

}  // namespace sqlite_archive_store_test
