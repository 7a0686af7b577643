// SqlitePubsubStore against a database in memory: every kind of change, in
// order and in one transaction; items in publication order with a stored id
// moving to the newest place; bounded loads; one service never touching
// another (PEP of two accounts, and a domain service beside them); removal
// and the list of services; and a file of the previous schema gaining the
// tables when opened.
#include <doctest/doctest.h>

#include "server/store/sqlite/database.hpp"
#include "server/store/sqlite/sqlite_offline_store.hpp"
#include "server/store/sqlite/sqlite_pubsub_store.hpp"
#include "tests/temp_dir.hpp"

namespace sqlite_pubsub_store_test {

using server::store::PubsubChange;
using server::store::PubsubItemRow;
using server::store::PubsubLoadBounds;
using server::store::PubsubNodeRow;
using Kind = server::store::PubsubChange::Kind;

PubsubChange created(std::string node, std::string config = "<c/>") {
    PubsubChange c;
    c.kind = Kind::node_created;
    c.node = std::move(node);
    c.config = std::move(config);
    return c;
}

PubsubChange configured(std::string node, std::string config) {
    PubsubChange c = created(std::move(node), std::move(config));
    c.kind = Kind::node_configured;
    return c;
}

PubsubChange deleted(std::string node) {
    PubsubChange c;
    c.kind = Kind::node_deleted;
    c.node = std::move(node);
    return c;
}

PubsubChange stored(std::string node, std::string id, std::int64_t stamp = 1, std::string xml = "<x xmlns='urn:t'/>") {
    PubsubChange c;
    c.kind = Kind::item_stored;
    c.node = std::move(node);
    c.item = {std::move(id), "alice@localhost", stamp, std::move(xml)};
    return c;
}

PubsubChange removed(std::string node, std::string id) {
    PubsubChange c;
    c.kind = Kind::item_removed;
    c.node = std::move(node);
    c.item.id = std::move(id);
    return c;
}

PubsubChange affiliation(std::string node, std::string jid, std::string name) {
    PubsubChange c;
    c.kind = Kind::affiliation_set;
    c.node = std::move(node);
    c.jid = std::move(jid);
    c.affiliation = std::move(name);
    return c;
}

PubsubChange subscription(std::string node, std::string jid, bool on) {
    PubsubChange c;
    c.kind = on ? Kind::subscribed : Kind::unsubscribed;
    c.node = std::move(node);
    c.jid = std::move(jid);
    return c;
}

struct Fixture {
    std::unique_ptr<server::store::Database> db = [] {
        auto d = server::store::Database::open_in_memory();
        REQUIRE(d.ok());
        return std::move(d.value());
    }();
    server::store::SqlitePubsubStore store{*db};

    std::vector<PubsubNodeRow> load(const std::string& user = "alice", const std::string& domain = "localhost",
                                    const PubsubLoadBounds& bounds = {}) {
        auto nodes = store.load(user, domain, bounds);
        REQUIRE(nodes.has_value());
        return *nodes;
    }
    std::vector<std::string> item_ids(const std::string& node, const PubsubLoadBounds& bounds = {}) {
        std::vector<std::string> ids;
        for (const auto& n : load("alice", "localhost", bounds))
            if (n.name == node)
                for (const auto& i : n.items) ids.push_back(i.id);
        return ids;
    }
};

TEST_CASE("pubsub store: a node with its configuration, items, affiliations and subscriptions loads as written") {
    Fixture f;
    CHECK(f.load().empty());
    REQUIRE(f.store.apply("alice", "localhost",
                          {created("urn:xmpp:avatar:data", "<config v='1'/>"), stored("urn:xmpp:avatar:data", "a", 10),
                           stored("urn:xmpp:avatar:data", "b", 20, ""),
                           affiliation("urn:xmpp:avatar:data", "bob@localhost", "member"),
                           subscription("urn:xmpp:avatar:data", "carol@localhost/phone", true)}));
    const auto nodes = f.load();
    REQUIRE(nodes.size() == 1);
    const PubsubNodeRow expected{"urn:xmpp:avatar:data",
                                 "<config v='1'/>",
                                 {{"bob@localhost", "member"}},
                                 {"carol@localhost/phone"},
                                 {{"a", "alice@localhost", 10, "<x xmlns='urn:t'/>"}, {"b", "alice@localhost", 20, ""}}};
    CHECK(nodes.front() == expected);
}

TEST_CASE("pubsub store: an item stored again under its id becomes the newest; removal and purge by id") {
    Fixture f;
    REQUIRE(f.store.apply("alice", "localhost", {created("n"), stored("n", "a"), stored("n", "b"), stored("n", "c")}));
    REQUIRE(f.store.apply("alice", "localhost", {stored("n", "a", 2, "<x xmlns='urn:t'>new</x>")}));
    CHECK(f.item_ids("n") == std::vector<std::string>{"b", "c", "a"});
    CHECK(f.load().front().items.back().xml == "<x xmlns='urn:t'>new</x>");
    REQUIRE(f.store.apply("alice", "localhost", {removed("n", "c"), removed("n", "nothing-there")}));
    CHECK(f.item_ids("n") == std::vector<std::string>{"b", "a"});
}

TEST_CASE("pubsub store: configuration, affiliation and subscription changes; a deleted node takes all it held") {
    Fixture f;
    REQUIRE(f.store.apply("alice", "localhost",
                          {created("n"), stored("n", "a"), affiliation("n", "bob@localhost", "publisher"),
                           subscription("n", "bob@localhost", true), subscription("n", "bob@localhost", true)}));
    REQUIRE(f.store.apply("alice", "localhost",
                          {configured("n", "<c v='2'/>"), affiliation("n", "bob@localhost", "outcast"),
                           affiliation("n", "carol@localhost", "member"), subscription("n", "bob@localhost", false)}));
    auto node = f.load().front();
    CHECK(node.config == "<c v='2'/>");
    CHECK(node.affiliations ==
          std::vector<std::pair<std::string, std::string>>{{"bob@localhost", "outcast"}, {"carol@localhost", "member"}});
    CHECK(node.subscribers.empty());
    REQUIRE(f.store.apply("alice", "localhost", {affiliation("n", "carol@localhost", "")}));
    CHECK(f.load().front().affiliations.size() == 1);

    // Deleted and created again in one batch: the new node starts empty, and
    // the changes to the deleted one between the two are dropped.
    REQUIRE(f.store.apply("alice", "localhost",
                          {deleted("n"), stored("n", "lost"), subscription("n", "dave@localhost", true),
                           created("n", "<c v='3'/>"), stored("n", "fresh")}));
    node = f.load().front();
    CHECK(node.config == "<c v='3'/>");
    CHECK(node.affiliations.empty());
    CHECK(node.subscribers.empty());
    CHECK(f.item_ids("n") == std::vector<std::string>{"fresh"});
    REQUIRE(f.store.apply("alice", "localhost", {deleted("n")}));
    CHECK(f.load().empty());
}

TEST_CASE("pubsub store: a batch is one transaction: one commit, and nothing of it when a change fails") {
    Fixture f;
    const auto before = f.db->commits();
    REQUIRE(f.store.apply("alice", "localhost", {created("n"), stored("n", "a"), stored("n", "b"), removed("n", "a")}));
    CHECK(f.db->commits() == before + 1);
    CHECK(f.store.apply("alice", "localhost", {}));
    CHECK(f.db->commits() == before + 1);

    // A failing change (its table gone) undoes the whole batch.
    {
        auto l = f.db->lock();
        REQUIRE(l.exec("ALTER TABLE pubsub_subscriptions RENAME TO broken"));
    }
    CHECK_FALSE(f.store.apply("alice", "localhost", {stored("n", "c"), subscription("n", "bob@localhost", true)}));
    {
        auto l = f.db->lock();
        REQUIRE(l.exec("ALTER TABLE broken RENAME TO pubsub_subscriptions"));
    }
    CHECK(f.item_ids("n") == std::vector<std::string>{"b"});
}

TEST_CASE("pubsub store: a load reads at most the bounds: the first nodes by name, the newest items") {
    Fixture f;
    std::vector<PubsubChange> changes{created("b"), created("a"), created("c")};
    for (int i = 1; i <= 10; ++i) changes.push_back(stored("a", "i" + std::to_string(i)));
    for (int i = 1; i <= 5; ++i) {
        changes.push_back(affiliation("a", "m" + std::to_string(i) + "@localhost", "member"));
        changes.push_back(subscription("a", "s" + std::to_string(i) + "@localhost", true));
    }
    REQUIRE(f.store.apply("alice", "localhost", changes));
    const auto nodes = f.load("alice", "localhost", {2, 3, 2});
    REQUIRE(nodes.size() == 2);
    CHECK(nodes[0].name == "a");
    CHECK(nodes[1].name == "b");
    CHECK(f.item_ids("a", {2, 3, 2}) == std::vector<std::string>{"i8", "i9", "i10"});
    CHECK(nodes[0].affiliations.size() == 2);
    CHECK(nodes[0].subscribers == std::vector<std::string>{"s1@localhost", "s2@localhost"});
}

TEST_CASE("pubsub store: services are apart; remove_service and the list of services") {
    Fixture f;
    REQUIRE(f.store.apply("alice", "localhost", {created("n"), stored("n", "a")}));
    REQUIRE(f.store.apply("bob", "localhost", {created("n"), stored("n", "b")}));
    REQUIRE(f.store.apply("", "pubsub.localhost", {created("news"), stored("news", "n1")}));
    REQUIRE(f.store.apply("alice", "other.example", {created("n")}));
    CHECK(f.item_ids("n") == std::vector<std::string>{"a"});
    CHECK(f.load("", "pubsub.localhost").front().items.front().id == "n1");

    auto services = f.store.services();
    REQUIRE(services.has_value());
    const std::vector<server::store::PubsubServiceKey> expected{
        {"alice", "localhost"}, {"bob", "localhost"}, {"alice", "other.example"}, {"", "pubsub.localhost"}};
    CHECK(*services == expected);

    REQUIRE(f.store.remove_service("alice", "localhost"));
    CHECK(f.load().empty());
    CHECK(f.load("bob", "localhost").size() == 1);
    CHECK(f.load("alice", "other.example").size() == 1);
    CHECK(f.store.services()->size() == 3);
    {
        auto l = f.db->lock();
        auto s = l.prepare("SELECT COUNT(*) FROM pubsub_items WHERE user = 'alice' AND domain = 'localhost'");
        REQUIRE(s.step() == server::store::Statement::Step::row);
        CHECK(s.integer(0) == 0);
    }
}

TEST_CASE("pubsub store: a database of the previous version opens and gains the pubsub tables") {
    test::TempDir dir;
    {
        std::vector<server::store::MigrationSet> before;
        for (auto& set : server::store::store_schema())
            if (set.module != "pubsub") before.push_back(std::move(set));
        auto old = server::store::Database::open(dir.path, before);
        REQUIRE(old.ok());
        CHECK(old.value()->schema_version("pubsub") == 0);
        server::store::SqliteOfflineStore offline(*old.value());
        REQUIRE(offline.add("alice", "localhost", 1, "<message/>", 10) ==
                server::store::OfflineStore::AddStatus::ok);
    }
    auto db = server::store::Database::open(dir.path);
    REQUIRE(db.ok());
    CHECK(db.value()->schema_version("pubsub") == 1);
    server::store::SqlitePubsubStore store(*db.value());
    CHECK(store.apply("alice", "localhost", {created("n"), stored("n", "a")}));
    CHECK(server::store::SqliteOfflineStore(*db.value()).count("alice", "localhost") == 1);
}

}  // namespace sqlite_pubsub_store_test
