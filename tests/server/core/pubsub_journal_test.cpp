// PubsubJournal and the conversions beside it: what each Service change
// becomes in the store, one request's changes as one batch, the stored
// configuration and items reading back as they were, a Service restored from
// the store giving the snapshot of the one that wrote it, and
// post_pubsub_batch() writing a batch through the storage executor's group
// commit (and saying so when it was lost).
#include <doctest/doctest.h>

#include <atomic>

#include "server/core/pubsub_journal.hpp"
#include "server/core/storage_executor.hpp"
#include "server/store/sqlite/sqlite_storage.hpp"
#include "tests/pubsub/fixture.hpp"

namespace pubsub_journal_test {

using namespace pubsub_test;
using Kind = server::store::PubsubChange::Kind;

constexpr std::string_view kOwnerNs = "http://jabber.org/protocol/pubsub#owner";

std::string set_affiliation(std::string_view node, std::string_view jid, std::string_view affiliation) {
    return "<pubsub xmlns='" + std::string(kOwnerNs) + "'><affiliations node='" + std::string(node) +
           "'><affiliation jid='" + std::string(jid) + "' affiliation='" + std::string(affiliation) +
           "'/></affiliations></pubsub>";
}

// A PEP service of alice@example.org whose journal stamps items 1000, 2000, …
struct World {
    std::int64_t now = 0;
    server::PubsubJournal journal{[this] { return now += 1000; }};
    pubsub::Service service{pep_options(), &journal};

    std::vector<server::store::PubsubChange> run(std::string_view text, bool is_set,
                                                 const pubsub::Requester& who = owner()) {
        auto outcome = service.handle(request(text, is_set), who);
        if (!outcome) FAIL("refused: " << outcome.error().text);
        return journal.take();
    }
};

std::vector<Kind> kinds(const std::vector<server::store::PubsubChange>& changes) {
    std::vector<Kind> out;
    for (const auto& c : changes) out.push_back(c.kind);
    return out;
}

TEST_CASE("pubsub journal: each request's changes are one batch, in the order the Service made them") {
    World w;
    // Auto-create on publish: the node, then its item, stamped by the clock.
    auto batch = w.run(publish_xml("n", "a", "one"), true);
    REQUIRE(kinds(batch) == std::vector<Kind>{Kind::node_created, Kind::item_stored});
    CHECK(batch[0].node == "n");
    CHECK(server::config_from_stored(batch[0].config) == pubsub::NodeConfig{});
    CHECK(batch[1].item ==
          server::store::PubsubItemRow{"a", "alice@example.org", 1000, "<entry xmlns='urn:test'>one</entry>"});
    CHECK(w.journal.empty());

    // max_items 1 (the PEP default): the new item evicts the old one.
    batch = w.run(publish_xml("n", "b", "two"), true);
    REQUIRE(kinds(batch) == std::vector<Kind>{Kind::item_stored, Kind::item_removed});
    CHECK(batch[1].item.id == "a");

    batch = w.run(configure_xml("n", field("pubsub#max_items", "10") + field("pubsub#access_model", "open")), true);
    REQUIRE(kinds(batch) == std::vector<Kind>{Kind::node_configured});
    auto config = server::config_from_stored(batch[0].config);
    REQUIRE(config);
    CHECK(config->max_items == std::optional<std::size_t>{10});
    CHECK(config->access_model == pubsub::AccessModel::open);

    batch = w.run(subscribe_xml("n", "eve@example.net/pc"), true, stranger());
    REQUIRE(kinds(batch) == std::vector<Kind>{Kind::subscribed});
    CHECK(batch[0].jid == "eve@example.net/pc");

    batch = w.run(set_affiliation("n", "eve@example.net", "outcast"), true);
    REQUIRE(kinds(batch) == std::vector<Kind>{Kind::affiliation_set, Kind::unsubscribed});
    CHECK(batch[0].affiliation == "outcast");
    batch = w.run(set_affiliation("n", "eve@example.net", "none"), true);
    REQUIRE(kinds(batch) == std::vector<Kind>{Kind::affiliation_set});
    CHECK(batch[0].affiliation.empty());

    batch = w.run(
        "<pubsub xmlns='http://jabber.org/protocol/pubsub'><retract node='n'><item id='b'/></retract></pubsub>", true);
    REQUIRE(kinds(batch) == std::vector<Kind>{Kind::item_removed});
    CHECK(batch[0].item.id == "b");

    w.run(publish_xml("n", "c"), true);
    batch = w.run("<pubsub xmlns='" + std::string(kOwnerNs) + "'><purge node='n'/></pubsub>", true);
    CHECK(kinds(batch) == std::vector<Kind>{Kind::item_removed});

    batch = w.run("<pubsub xmlns='" + std::string(kOwnerNs) + "'><delete node='n'/></pubsub>", true);
    CHECK(kinds(batch) == std::vector<Kind>{Kind::node_deleted});

    // A read changes nothing.
    w.run(publish_xml("m", "x"), true);
    CHECK(w.run(items_xml("m"), false).empty());
}

TEST_CASE("pubsub journal: a stored configuration reads back as it was, every field") {
    pubsub::NodeConfig config;
    config.max_items = std::nullopt;  // "max"
    config.access_model = pubsub::AccessModel::roster;
    config.publish_model = pubsub::PublishModel::open;
    config.persist_items = true;
    config.deliver_payloads = false;
    config.notify_retract = false;
    config.notify_delete = false;
    config.send_last_published_item = pubsub::SendLastPublished::on_sub;
    config.roster_groups_allowed = {"Friends", "Family & <co>"};
    config.title = "My 'avatar'";
    config.type = "urn:xmpp:avatar:data";
    const std::string text = server::stored_config(config);
    CHECK(text.find("label=") == std::string::npos);
    CHECK(text.find("<option") == std::string::npos);
    CHECK(server::config_from_stored(text) == config);
    CHECK(server::config_from_stored(server::stored_config(pubsub::NodeConfig{})) == pubsub::NodeConfig{});
    CHECK_FALSE(server::config_from_stored("<x xmlns='jabber:x:data' type='submit'>"
                                           "<field var='pubsub#access_model'><value>authorize</value></field></x>"));
    CHECK_FALSE(server::config_from_stored("not xml"));
}

TEST_CASE("pubsub journal: an item without payload, and one whose payload does not parse") {
    const pubsub::Item bare{"id1", std::nullopt, "alice@example.org", 0};
    const auto row = server::item_row(bare, 5);
    CHECK(row.xml.empty());
    CHECK(server::item_from_row(row) == bare);
    CHECK_FALSE(server::item_from_row({"id2", "alice@example.org", 5, "<broken"}));

    server::store::PubsubNodeRow node{"n", server::stored_config({}), {{"bob@example.org", "member"}, {"x", "king"}},
                                      {}, {{"ok", "alice@example.org", 1, "<a xmlns='urn:t'/>"}, {"bad", "", 1, "<"}}};
    std::size_t dropped = 0;
    auto stored = server::node_from_row(node, &dropped);
    REQUIRE(stored);
    CHECK(dropped == 2);
    CHECK(stored->affiliations.size() == 1);
    REQUIRE(stored->items.size() == 1);
    CHECK(stored->items[0].id == "ok");
    node.config = "<x/>";
    CHECK_FALSE(server::node_from_row(node));
}

TEST_CASE("pubsub journal: a Service restored from what the journal stored has the same snapshot") {
    auto storage = server::store::SqliteStorage::open_in_memory();
    REQUIRE(storage.ok());
    auto& store = storage.value()->pubsub();
    World w;
    auto write = [&](std::vector<server::store::PubsubChange> batch) {
        REQUIRE(store.apply("alice", "example.org", batch));
    };
    write(w.run(publish_xml("urn:xmpp:avatar:metadata", "h1", "meta"), true));
    write(w.run(configure_xml("urn:xmpp:avatar:metadata", field("pubsub#max_items", "3")), true));
    for (const char* id : {"h2", "h3", "h4", "h2"}) write(w.run(publish_xml("urn:xmpp:avatar:metadata", id, id), true));
    write(w.run(publish_xml("whitelisted", "w1", "secret",
                            field("pubsub#access_model", "whitelist") + field("pubsub#title", "Only for you")),
                true));
    write(w.run(set_affiliation("whitelisted", "bob@example.org", "member"), true));
    write(w.run(subscribe_xml("whitelisted", "bob@example.org/phone"), true, friend_contact()));
    write(w.run(publish_xml("gone", "g1"), true));
    write(w.run("<pubsub xmlns='" + std::string(kOwnerNs) + "'><delete node='gone'/></pubsub>", true));
    // Items without payload: a transient node is not stored, a payload-less
    // persistent one is.
    write(w.run("<pubsub xmlns='http://jabber.org/protocol/pubsub'><create node='empty'/><configure>"
                "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'>"
                "<value>http://jabber.org/protocol/pubsub#node_config</value></field>" +
                    field("pubsub#deliver_payloads", "0") +
                    "</x></configure></pubsub>",
                true));

    auto rows = store.load("alice", "example.org", {});
    REQUIRE(rows.has_value());
    pubsub::Service restored(pep_options());
    for (const auto& row : *rows) {
        auto node = server::node_from_row(row);
        REQUIRE(node);
        REQUIRE(restored.restore(std::move(*node)));
    }
    const auto expected = w.service.snapshot();
    const auto actual = restored.snapshot();
    REQUIRE(actual.size() == expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        CAPTURE(expected[i].name);
        CHECK(actual[i].name == expected[i].name);
        CHECK(actual[i].config == expected[i].config);
        CHECK(actual[i].affiliations == expected[i].affiliations);
        CHECK(actual[i].subscribers == expected[i].subscribers);
        CHECK(actual[i].items == expected[i].items);
    }
    CHECK(restored.stored_bytes() == w.service.stored_bytes());
    // The order survived: h2, stored again last, is the newest.
    std::vector<std::string> ids;
    for (const auto& node : actual)
        if (node.name == "urn:xmpp:avatar:metadata")
            for (const auto& item : node.items) ids.push_back(item.id);
    CHECK(ids == std::vector<std::string>{"h3", "h4", "h2"});
}

TEST_CASE("pubsub journal: post_pubsub_batch writes one batch in one grouped job, and reports a loss") {
    auto storage = server::store::SqliteStorage::open_in_memory();
    REQUIRE(storage.ok());
    auto& stores = *storage.value();
    server::StorageExecutor executor;
    executor.group_commits(stores);

    World w;
    std::atomic<int> written{0}, lost{0};
    auto report = [&](bool ok) { ++(ok ? written : lost); };
    server::post_pubsub_batch(executor, stores.pubsub(), {"alice", "example.org", w.run(publish_xml("n", "a"), true)},
                              report);
    server::post_pubsub_batch(executor, stores.pubsub(), {"alice", "example.org", {}}, report);  // nothing to do
    executor.drain();
    CHECK(written == 1);
    CHECK(lost == 0);
    auto rows = stores.pubsub().load("alice", "example.org", {});
    REQUIRE(rows.has_value());
    REQUIRE(rows->size() == 1);
    CHECK(rows->front().items.size() == 1);

    {
        auto l = stores.database().lock();
        REQUIRE(l.exec("ALTER TABLE pubsub_items RENAME TO broken"));
    }
    server::post_pubsub_batch(executor, stores.pubsub(), {"alice", "example.org", w.run(publish_xml("n", "b"), true)},
                              report);
    executor.drain();
    CHECK(lost == 1);
    executor.stop();
}

}  // namespace pubsub_journal_test
