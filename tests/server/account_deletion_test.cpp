// Account deletion in the store: every table keyed by an account is listed
// for deletion, remove_account() takes exactly one account's rows, and the
// deletion without a server (xmqd deluser, nothing listening) moves the
// contacts' roster rows as the cancellations of RFC 6121 would.
#include <doctest/doctest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "auth/scram.hpp"
#include "xmpp/subscription_state.hpp"
#include "server/store/sqlite/account_removal.hpp"
#include "server/store/sqlite/sqlite_archive_store.hpp"
#include "server/store/sqlite/sqlite_blocklist_store.hpp"
#include "server/store/sqlite/database.hpp"
#include "server/store/sqlite/sqlite_offline_store.hpp"
#include "server/store/sqlite/sqlite_pubsub_store.hpp"
#include "server/store/sqlite/sqlite_roster_store.hpp"
#include "server/store/sqlite/sqlite_account_store.hpp"
#include "server/store/sqlite/sqlite_user_data_store.hpp"
#include "server/accounts/stored_account_deletion.hpp"
#include "tests/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
namespace store = server::store;
using auth::StoreStatus;
using xmpp::SubState;
using xmpp::to_int;

std::unique_ptr<store::Database> open_db(const fs::path& dir) {
    auto db = store::Database::open(dir);
    REQUIRE_MESSAGE(db.ok(), (db.ok() ? "" : db.error()));
    return std::move(db.value());
}

std::int64_t rows_of(store::Database& db, const std::string& table, const std::string& user) {
    auto l = db.lock();
    auto s = l.prepare("SELECT COUNT(*) FROM " + table + " WHERE user = ?1 AND domain = 'localhost'");
    REQUIRE(s.valid());
    s.bind(1, user);
    REQUIRE(s.step() == store::Statement::Step::row);
    return s.integer(0);
}

void add_account(store::Database& db, const std::string& user) {
    store::SqliteAccountStore accounts(db);
    REQUIRE(accounts.create({user, "localhost", auth::make_scram_secrets("pw", 4096)}) == StoreStatus::ok);
}

// One row in every table an account has.
void fill(store::Database& db, const std::string& user) {
    add_account(db, user);
    store::SqliteRosterStore roster(db);
    REQUIRE(roster.put(user, "localhost", {"someone@elsewhere.example", "", {"g"}, to_int(SubState::to), true}));
    store::SqliteOfflineStore offline(db);
    REQUIRE(offline.add(user, "localhost", 1, "<message/>", 10) == store::SqliteOfflineStore::AddStatus::ok);
    store::SqliteUserDataStore data(db);
    REQUIRE(data.set_document(user, "localhost", "vcard", "", "<vCard/>"));
    REQUIRE(data.set_document(user, "localhost", "private", "urn:x", "<x/>"));
    REQUIRE(data.set_last_activity(user, "localhost", {1, "gone"}));
    store::SqliteBlocklistStore blocklist(db);
    REQUIRE(blocklist.add(user, "localhost", {"spam@elsewhere.example"}));
    store::SqliteArchiveStore archive(db);
    REQUIRE(archive.add({{user, "localhost", "a1", 1, "friend@localhost", "", "<message/>"}}));
    REQUIRE(archive.set_prefs(user, "localhost", {"roster", {"friend@localhost"}, {}}));
    // Its PEP service: a node with an item, an affiliation and a subscription.
    store::SqlitePubsubStore pubsub(db);
    using Kind = store::PubsubChange::Kind;
    std::vector<store::PubsubChange> pep(4);
    pep[0].kind = Kind::node_created;
    pep[1].kind = Kind::item_stored;
    pep[1].item = {"i1", user + "@localhost", 1, "<x xmlns='urn:t'/>"};
    pep[2].kind = Kind::affiliation_set;
    pep[2].jid = "friend@localhost";
    pep[2].affiliation = "member";
    pep[3].kind = Kind::subscribed;
    pep[3].jid = "friend@localhost/phone";
    for (auto& c : pep) c.node = "urn:xmpp:avatar:data";
    REQUIRE(pubsub.apply(user, "localhost", pep));
}

store::RosterRow row(const std::string& contact, SubState state, bool in_roster = true) {
    return {contact, "", {}, to_int(state), in_roster};
}

}  // namespace

TEST_CASE("every table keyed by an account is deleted with it") {
    test::TempDir dir;
    auto db = open_db(dir.path);
    std::vector<std::string> keyed;
    {
        auto l = db->lock();
        auto tables = l.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
        REQUIRE(tables.valid());
        std::vector<std::string> names;
        while (tables.step() == store::Statement::Step::row) names.push_back(tables.text(0));
        for (const auto& name : names) {
            auto columns = l.prepare("SELECT COUNT(*) FROM pragma_table_info(?1) WHERE name IN ('user', 'domain')");
            REQUIRE(columns.valid());
            columns.bind(1, name);
            REQUIRE(columns.step() == store::Statement::Step::row);
            if (columns.integer(0) == 2) keyed.push_back(name);
        }
    }
    CHECK(keyed.size() >= 8);
    for (const auto& table : keyed) {
        CAPTURE(table);
        const auto& listed = store::account_tables();
        CHECK(std::find(listed.begin(), listed.end(), table) != listed.end());
    }
}

TEST_CASE("remove_account takes every row of one account and nothing else") {
    test::TempDir dir;
    auto db = open_db(dir.path);
    fill(*db, "alice");
    fill(*db, "bob");
    for (const auto table : store::account_tables()) CHECK(rows_of(*db, std::string(table), "alice") > 0);

    const auto removed = store::remove_account(*db, "alice", "localhost");
    CHECK(removed.status == StoreStatus::ok);
    CHECK(removed.offline_messages == 1);
    for (const auto table : store::account_tables()) {
        CAPTURE(table);
        CHECK(rows_of(*db, std::string(table), "alice") == 0);
        CHECK(rows_of(*db, std::string(table), "bob") > 0);
    }
    CHECK(store::remove_account(*db, "alice", "localhost").status == StoreStatus::not_found);
}

TEST_CASE("deletion without a server moves the contacts' rows as unsubscribe/unsubscribed would") {
    test::TempDir dir;
    auto db = open_db(dir.path);
    for (const char* user : {"alice", "bob", "carol", "dave", "erin"}) add_account(*db, user);
    store::SqliteRosterStore roster(*db);
    // alice-bob: both ways. alice asked carol (carol has not answered);
    // dave asked alice (not answered, so alice's row is not in her roster);
    // alice receives erin's presence only.
    REQUIRE(roster.put("alice", "localhost", row("bob@localhost", SubState::both)));
    REQUIRE(roster.put("bob", "localhost", row("alice@localhost", SubState::both)));
    REQUIRE(roster.put("alice", "localhost", row("carol@localhost", SubState::none_pending_out)));
    REQUIRE(roster.put("carol", "localhost", row("alice@localhost", SubState::none_pending_in, false)));
    REQUIRE(roster.put("alice", "localhost", row("dave@localhost", SubState::none_pending_in, false)));
    REQUIRE(roster.put("dave", "localhost", row("alice@localhost", SubState::none_pending_out)));
    REQUIRE(roster.put("alice", "localhost", row("erin@localhost", SubState::to)));
    REQUIRE(roster.put("erin", "localhost", row("alice@localhost", SubState::from)));
    REQUIRE(roster.put("alice", "localhost", row("frank@localhost", SubState::both)));  // no such account
    const auto bob_ver = roster.version("bob", "localhost");

    const auto done = server::delete_account_in_store(*db, *xmpp::Jid::parse("alice@localhost"));
    CHECK(done.status == StoreStatus::ok);
    CHECK(done.contacts_changed == 4);

    auto bob = roster.row("bob", "localhost", "alice@localhost");
    REQUIRE(bob);  // still in bob's roster, with no subscription left (A.3.3, A.3.4)
    CHECK(bob->state == to_int(SubState::none));
    CHECK(bob->in_roster);
    CHECK(roster.version("bob", "localhost") > bob_ver);  // his next fetch sees the change
    CHECK_FALSE(roster.row("carol", "localhost", "alice@localhost"));  // the request is gone, and nothing else was kept
    auto dave = roster.row("dave", "localhost", "alice@localhost");
    REQUIRE(dave);  // the request was denied
    CHECK(dave->state == to_int(SubState::none));
    auto erin = roster.row("erin", "localhost", "alice@localhost");
    REQUIRE(erin);
    CHECK(erin->state == to_int(SubState::none));

    CHECK(roster.rows("alice", "localhost").empty());
    CHECK_FALSE(store::SqliteAccountStore(*db).find("alice", "localhost"));
    CHECK(server::delete_account_in_store(*db, *xmpp::Jid::parse("alice@localhost")).status ==
          StoreStatus::not_found);
}
