// SqliteMucStore against a database: a room written whole (its affiliations
// replaced), read back with its affiliations and registered nicks, bounded in count, removed, and
// surviving a reopen of the file.
#include "server/store/sqlite/sqlite_muc_store.hpp"

#include <doctest/doctest.h>

#include "server/store/sqlite/database.hpp"
#include "tests/temp_dir.hpp"

namespace sqlite_muc_store_test {

using server::store::MucRoomRow;

MucRoomRow room(std::string name) {
    return {"conference.localhost", std::move(name), "<x xmlns='jabber:x:data' type='submit'/>",
            "<message type='groupchat'><subject>Hi</subject></message>", "k3y",
            {{"juliet@localhost", "owner"}, {"romeo@localhost", "member"}},
            {{"romeo@localhost", "Romeo"}}};
}

TEST_CASE("sqlite muc store: a room is saved whole, read back, replaced and removed") {
    auto db = server::store::Database::open_in_memory();
    REQUIRE(db.ok());
    server::store::SqliteMucStore store(*db.value());
    CHECK(store.load(10).empty());
    REQUIRE(store.save(room("hall")));
    REQUIRE(store.save(room("crypt")));
    auto rows = store.load(10);
    REQUIRE(rows.size() == 2);
    CHECK(rows[1] == room("hall"));  // in (domain, name) order
    CHECK(store.load(1).size() == 1);

    MucRoomRow changed = room("hall");
    changed.affiliations = {{"nurse@localhost", "outcast"}};
    changed.nicks.clear();
    changed.subject.clear();
    REQUIRE(store.save(changed));
    rows = store.load(10);
    REQUIRE(rows.size() == 2);
    CHECK(rows[1] == changed);
    CHECK(rows[0] == room("crypt"));

    REQUIRE(store.remove("conference.localhost", "hall"));
    rows = store.load(10);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].name == "crypt");
}

TEST_CASE("sqlite muc store: rooms survive a reopen of the file") {
    test::TempDir dir;
    {
        auto db = server::store::Database::open(dir.path);
        REQUIRE(db.ok());
        server::store::SqliteMucStore store(*db.value());
        REQUIRE(store.save(room("hall")));
    }
    auto db = server::store::Database::open(dir.path);
    REQUIRE(db.ok());
    server::store::SqliteMucStore store(*db.value());
    auto rows = store.load(10);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0] == room("hall"));
}

}  // namespace sqlite_muc_store_test
