// SqliteStorage's commit groups (Database::Batch with a savepoint per job):
// one commit for many store calls, a job undone alone, and nothing kept of a
// group that is dropped without its commit.
#include <doctest/doctest.h>

#include "server/store/sqlite/sqlite_storage.hpp"
#include "tests/temp_dir.hpp"

namespace store = server::store;

namespace {

std::unique_ptr<store::SqliteStorage> open_in(const test::TempDir& dir) {
    auto opened = store::SqliteStorage::open(dir.path);
    REQUIRE(opened);
    return std::move(opened.value());
}

store::OfflineStore::AddStatus add(store::SqliteStorage& s, const std::string& user) {
    return s.offline().add(user, "example.com", 1, "<message/>", 100);
}

}  // namespace

TEST_CASE("sqlite commit group: many store calls, one commit; a job undone alone") {
    test::TempDir dir{"xmqd-commit-group"};
    auto s = open_in(dir);
    const auto before = s->database().commits();
    auto group = s->begin_group();
    REQUIRE(group);
    for (const char* user : {"a", "b", "c"}) {
        REQUIRE(group->begin_job());
        CHECK(add(*s, user) == store::OfflineStore::AddStatus::ok);
        group->end_job(std::string(user) != "b");  // b is undone
    }
    CHECK(group->intact());
    CHECK(s->database().commits() == before);  // nothing committed yet
    CHECK(group->commit());
    CHECK(s->database().commits() == before + 1);
    group.reset();
    CHECK(s->offline().count("a", "example.com") == 1);
    CHECK(s->offline().count("b", "example.com") == 0);
    CHECK(s->offline().count("c", "example.com") == 1);

    // Durable: another connection to the file (as after a restart) sees them.
    auto again = open_in(dir);
    CHECK(again->offline().count("c", "example.com") == 1);
}

TEST_CASE("sqlite commit group: dropped without its commit, it keeps nothing") {
    test::TempDir dir{"xmqd-commit-group"};
    auto s = open_in(dir);
    {
        auto group = s->begin_group();
        REQUIRE(group);
        REQUIRE(group->begin_job());
        CHECK(add(*s, "a") == store::OfflineStore::AddStatus::ok);
        group->end_job(true);
    }
    CHECK(s->offline().count("a", "example.com") == 0);
    // Store calls outside a group commit on their own again.
    CHECK(add(*s, "a") == store::OfflineStore::AddStatus::ok);
    CHECK(s->offline().count("a", "example.com") == 1);
}
