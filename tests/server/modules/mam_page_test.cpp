// Pages of an archive (server/modules/mam_page.hpp): the rules of XEP-0059
// as XEP-0313 uses them, first as pure assembly, then end to end over the
// SQLite store in memory: empty pages, exact page boundaries, paging both
// ways until complete, unknown ids, max='0', an empty <before/>, ids.
#include <doctest/doctest.h>

#include "server/modules/mam_page.hpp"
#include "server/store/sqlite/database.hpp"
#include "server/store/sqlite/sqlite_archive_store.hpp"

namespace mam_page_test {

using server::modules::assemble;
using server::modules::FetchedRows;
using server::modules::MamLimits;
using server::modules::MamPage;
using server::store::ArchivedMessage;

std::vector<ArchivedMessage> rows(int from, int to) {
    std::vector<ArchivedMessage> out;
    for (int i = from; i <= to; ++i) out.push_back({i, "m" + std::to_string(i), i, "<message/>"});
    return out;
}

std::vector<std::string> ids(const MamPage& page) {
    std::vector<std::string> out;
    for (const auto& r : page.items) out.push_back(r.id);
    return out;
}

TEST_CASE("mam page assembly: the extra row says there is more, on the side paged towards") {
    // Forward from the start: 3 asked, 4 read.
    auto page = assemble({rows(1, 4), 3, false, false, false});
    CHECK(ids(page) == std::vector<std::string>{"m1", "m2", "m3"});
    CHECK_FALSE(page.complete);
    CHECK(page.first_index == 0u);
    CHECK_FALSE(page.count);
    // Backward from the end: the extra row is the oldest.
    page = assemble({rows(7, 10), 3, true, false, false});
    CHECK(ids(page) == std::vector<std::string>{"m8", "m9", "m10"});
    CHECK_FALSE(page.complete);
    CHECK_FALSE(page.first_index);
    // Exactly a page, nothing more: complete, and it is the whole set.
    page = assemble({rows(1, 3), 3, false, false, false});
    CHECK(page.complete);
    CHECK(page.count == 3u);
    CHECK(page.first_index == 0u);
    // Forward from an anchor, to the end: complete, but no index or count known.
    page = assemble({rows(5, 6), 3, false, true, false});
    CHECK(page.complete);
    CHECK_FALSE(page.first_index);
    CHECK_FALSE(page.count);
    // Backward to the beginning: its first is index 0.
    page = assemble({rows(1, 2), 3, true, true, false});
    CHECK(page.complete);
    CHECK(page.first_index == 0u);
    // Empty.
    page = assemble({{}, 3, false, false, false});
    CHECK(page.items.empty());
    CHECK(page.complete);
    CHECK(page.count == 0u);
    // Flipped: the same page, newest first.
    page = assemble({rows(7, 10), 3, true, false, true});
    CHECK(ids(page) == std::vector<std::string>{"m10", "m9", "m8"});
}

TEST_CASE("mam page assembly: <fin/> names first (with its index where known), last and count") {
    auto page = assemble({rows(1, 3), 3, false, false, false});
    auto fin = server::modules::fin_element(page);
    CHECK(fin.attr_or("complete") == "true");
    const auto* set = fin.child("set", "http://jabber.org/protocol/rsm");
    REQUIRE(set);
    CHECK(set->child_text("first") == "m1");
    CHECK(set->child("first")->attr_or("index") == "0");
    CHECK(set->child_text("last") == "m3");
    CHECK(set->child_text("count") == "3");
    page = assemble({rows(5, 9), 4, false, true, false});
    fin = server::modules::fin_element(page);
    CHECK_FALSE(fin.attr("complete"));
    CHECK_FALSE(fin.child("set")->child("first")->attr("index"));
    CHECK_FALSE(fin.child("set")->child("count"));
}

struct Archive {
    std::unique_ptr<server::store::Database> db = [] {
        auto d = server::store::Database::open_in_memory();
        REQUIRE(d.ok());
        return std::move(d.value());
    }();
    server::store::SqliteArchiveStore store{*db};
    MamLimits limits{50, 250, 0};

    explicit Archive(int n) {
        for (int i = 1; i <= n; ++i)
            REQUIRE(store.add({{"alice", "localhost", "m" + std::to_string(i), i * std::int64_t{1000000},
                                i % 2 ? "bob@localhost" : "carol@localhost", "", "<message/>"}}));
    }
    xmpp::Result<MamPage, xmpp::MamQueryError> page(xmpp::MamQuery q) {
        return server::modules::fetch_page(store, "alice", "localhost", q, limits);
    }
};

xmpp::MamQuery query(std::optional<std::size_t> max = std::nullopt) {
    xmpp::MamQuery q;
    q.max = max;
    return q;
}

TEST_CASE("mam paging over the store: forward page by page until complete") {
    Archive a(7);
    auto q = query(3);
    std::vector<std::string> seen;
    for (int round = 0; round < 5; ++round) {
        auto page = a.page(q);
        REQUIRE(page.ok());
        for (const auto& id : ids(page.value())) seen.push_back(id);
        if (page.value().complete) break;
        q.after = page.value().items.back().id;
    }
    CHECK(seen == std::vector<std::string>{"m1", "m2", "m3", "m4", "m5", "m6", "m7"});
}

TEST_CASE("mam paging over the store: backward from the end with an empty <before/> until complete") {
    Archive a(7);
    auto q = query(3);
    q.before = "";
    std::vector<std::vector<std::string>> pages;
    for (int round = 0; round < 5; ++round) {
        auto page = a.page(q);
        REQUIRE(page.ok());
        pages.push_back(ids(page.value()));
        if (page.value().complete) {
            CHECK(page.value().first_index == 0u);
            break;
        }
        q.before = page.value().items.front().id;
    }
    CHECK(pages == std::vector<std::vector<std::string>>{{"m5", "m6", "m7"}, {"m2", "m3", "m4"}, {"m1"}});
}

TEST_CASE("mam paging over the store: exact page boundary, then an empty complete page") {
    Archive a(6);
    auto q = query(3);
    q.after = "m3";
    auto page = a.page(q);
    REQUIRE(page.ok());
    CHECK(ids(page.value()) == std::vector<std::string>{"m4", "m5", "m6"});
    CHECK(page.value().complete);
    q.after = "m6";
    page = a.page(q);
    REQUIRE(page.ok());
    CHECK(page.value().items.empty());
    CHECK(page.value().complete);
    CHECK(server::modules::fin_element(page.value()).child("set")->element_count() == 0);
}

TEST_CASE("mam paging over the store: unknown ids are item-not-found") {
    Archive a(3);
    for (auto set : {+[](xmpp::MamQuery& q) { q.after = "nope"; }, +[](xmpp::MamQuery& q) { q.before = "nope"; },
                     +[](xmpp::MamQuery& q) { q.after_id = "nope"; },
                     +[](xmpp::MamQuery& q) { q.before_id = "nope"; }}) {
        auto q = query(10);
        set(q);
        auto page = a.page(q);
        REQUIRE_FALSE(page.ok());
        CHECK(page.error().condition == xmpp::StanzaError::item_not_found);
    }
}

TEST_CASE("mam paging over the store: max='0' gives the count of the filtered set alone") {
    Archive a(7);
    auto q = query(0);
    auto page = a.page(q);
    REQUIRE(page.ok());
    CHECK(page.value().items.empty());
    CHECK(page.value().count == 7u);
    q.with = xmpp::Jid::parse("bob@localhost");
    CHECK(a.page(q).value().count == 4u);
}

TEST_CASE("mam paging over the store: after-id and before-id bound the set; ids; with; server limits") {
    Archive a(9);
    auto q = query(10);
    q.after_id = "m2";
    q.before_id = "m6";
    auto page = a.page(q);
    REQUIRE(page.ok());
    CHECK(ids(page.value()) == std::vector<std::string>{"m3", "m4", "m5"});
    CHECK(page.value().complete);
    CHECK(page.value().count == 3u);

    q = query();
    q.ids = {"m7", "m1"};
    CHECK(ids(a.page(q).value()) == std::vector<std::string>{"m1", "m7"});

    q = query();
    q.with = xmpp::Jid::parse("carol@localhost");
    CHECK(ids(a.page(q).value()) == std::vector<std::string>{"m2", "m4", "m6", "m8"});

    a.limits.default_page = 2;
    a.limits.max_page = 4;
    CHECK(a.page(query()).value().items.size() == 2);
    CHECK(a.page(query(100)).value().items.size() == 4);
    a.limits.oldest_us = 8000000;  // retention: m8 and m9 remain
    CHECK(ids(a.page(query(100)).value()) == std::vector<std::string>{"m8", "m9"});
}

TEST_CASE("mam archive metadata: first and last message the account sees; empty without any") {
    Archive a(5);
    auto metadata = server::modules::archive_metadata(a.store, "alice", "localhost", a.limits);
    REQUIRE(metadata.ok());
    REQUIRE(metadata.value().element_count() == 2);
    CHECK(metadata.value().child("start")->attr_or("id") == "m1");
    CHECK(metadata.value().child("start")->attr_or("timestamp") == "1970-01-01T00:00:01.000000Z");
    CHECK(metadata.value().child("end")->attr_or("id") == "m5");
    CHECK(metadata.value().child("end")->attr_or("timestamp") == "1970-01-01T00:00:05.000000Z");

    a.limits.oldest_us = 3 * std::int64_t{1000000};  // retention hides m1 and m2
    CHECK(server::modules::archive_metadata(a.store, "alice", "localhost", a.limits).value().child("start")->attr_or(
              "id") == "m3");

    auto none = server::modules::archive_metadata(a.store, "nobody", "localhost", a.limits);
    REQUIRE(none.ok());
    CHECK(none.value().element_count() == 0);
}

TEST_CASE("room archives share the store: a room's rows page apart from accounts' and go with remove_all") {
    Archive a(3);  // alice@localhost's
    auto& store = a.store;
    for (int i = 1; i <= 4; ++i)
        REQUIRE(store.add({{"hall", "conference.localhost", "r" + std::to_string(i), i * std::int64_t{1000000},
                            "hall@conference.localhost", i % 2 ? "Romeo" : "Juliet", "<message/>"}}));
    xmpp::MamQuery q = query(10);
    auto room = server::modules::fetch_page(store, "hall", "conference.localhost", q, a.limits);
    REQUIRE(room.ok());
    CHECK(ids(room.value()) == std::vector<std::string>{"r1", "r2", "r3", "r4"});
    // `with` an occupant JID: that nick's messages.
    q.with = xmpp::Jid::parse("hall@conference.localhost/Juliet");
    room = server::modules::fetch_page(store, "hall", "conference.localhost", q, a.limits);
    REQUIRE(room.ok());
    CHECK(ids(room.value()) == std::vector<std::string>{"r2", "r4"});
    // An account's id is no anchor in the room's archive.
    q = query(10);
    q.after = "m1";
    CHECK_FALSE(server::modules::fetch_page(store, "hall", "conference.localhost", q, a.limits).ok());

    CHECK(store.remove_all("hall", "conference.localhost"));
    room = server::modules::fetch_page(store, "hall", "conference.localhost", query(10), a.limits);
    REQUIRE(room.ok());
    CHECK(room.value().items.empty());
    CHECK(ids(a.page(query(10)).value()) == std::vector<std::string>{"m1", "m2", "m3"});
}

}  // namespace mam_page_test
