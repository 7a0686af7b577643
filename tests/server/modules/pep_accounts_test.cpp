// PepAccounts: each account's PEP service restored from the store on first
// use, the least recently used dropped past max_loaded (never one with a
// write in flight), a dropped one read back as it was stored; PepJournal
// hands over the store's changes and the item changes together.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>

#include "server/modules/pep_accounts.hpp"
#include "xmpp/stored_xml.hpp"

namespace pep_accounts_test {

using server::modules::PepAccounts;
namespace store = server::store;

// A PubsubStore in a map, counting loads; apply() keeps whole node rows.
struct FakeStore final : store::PubsubStore {
    std::map<std::string, std::vector<store::PubsubNodeRow>> rows;
    int loads = 0;
    std::optional<std::vector<store::PubsubNodeRow>> load(const std::string& user, const std::string& domain,
                                                          const store::PubsubLoadBounds&) override {
        ++loads;
        return rows[user + "@" + domain];
    }
    bool apply(const std::string&, const std::string&, const std::vector<store::PubsubChange>&) override {
        return true;
    }
    bool remove_service(const std::string& user, const std::string& domain) override {
        rows.erase(user + "@" + domain);
        return true;
    }
    std::optional<std::vector<store::PubsubServiceKey>> services() override { return std::nullopt; }
};

xmpp::Jid jid(std::string_view s) { return *xmpp::Jid::parse(s); }

pubsub::Request publish(std::string node, std::string id) {
    pubsub::Publish p;
    p.node = std::move(node);
    p.item = pubsub::PublishItem{std::move(id), xmpp::Element("x", "urn:test"), 20};
    return p;
}

pubsub::Requester owner_of(const xmpp::Jid& j) { return {j.bare_string(), true, false, false, {}}; }

TEST_CASE("pep accounts: restored from the store once, bounded, dropped least recently used first") {
    FakeStore fake;
    pubsub::NodeConfig config;
    fake.rows["alice@example.org"] = {server::node_row(
        pubsub::StoredNode{
            "mood", config, {}, {}, {pubsub::Item{"1", xmpp::Element("m", "urn:test"), "alice@example.org", 10}}},
        1)};
    PepAccounts accounts(fake, pubsub::ServiceOptions{}, 2);

    auto* alice = accounts.get(jid("alice@example.org"));
    REQUIRE(alice != nullptr);
    CHECK(alice->service.node_count() == 1);
    CHECK(alice->service.options().owner == "alice@example.org");
    CHECK(accounts.get(jid("alice@example.org")) == alice);
    CHECK(fake.loads == 1);

    REQUIRE(accounts.get(jid("bob@example.org")) != nullptr);
    CHECK(accounts.find(jid("alice@example.org")) == alice);  // alice used last: bob is the oldest
    REQUIRE(accounts.get(jid("carol@example.org")) != nullptr);
    CHECK(accounts.loaded() == 2);
    CHECK(accounts.find(jid("bob@example.org")) == nullptr);
    CHECK(accounts.find(jid("alice@example.org")) != nullptr);

    // One with a write in flight stays, whatever its age.
    accounts.find(jid("carol@example.org"));  // alice is now the oldest
    accounts.find(jid("alice@example.org"))->in_flight = 1;
    accounts.find(jid("carol@example.org"));
    REQUIRE(accounts.get(jid("dave@example.org")) != nullptr);
    CHECK(accounts.find(jid("alice@example.org")) != nullptr);
    CHECK(accounts.find(jid("carol@example.org")) == nullptr);

    // Dropped: read back from the store when needed.
    accounts.find(jid("alice@example.org"))->in_flight = 0;
    accounts.drop(jid("alice@example.org"));
    CHECK(accounts.find(jid("alice@example.org")) == nullptr);
    const int before = fake.loads;
    REQUIRE(accounts.get(jid("alice@example.org")) != nullptr);
    CHECK(fake.loads == before + 1);
    CHECK(accounts.find(jid("alice@example.org"))->service.node_count() == 1);
}

TEST_CASE("pep journal: a request's store changes and item changes are taken together") {
    FakeStore fake;
    PepAccounts accounts(fake, pubsub::ServiceOptions{}, 10);
    const auto alice = jid("alice@example.org");
    auto* account = accounts.get(alice);
    REQUIRE(account != nullptr);
    REQUIRE(account->service.handle(publish("n", "1"), owner_of(alice)).ok());
    auto taken = account->journal.take();
    CHECK(taken.store.size() == 2);  // node created, item stored
    REQUIRE(taken.items.size() == 1);
    CHECK(taken.items[0].owner == alice);
    CHECK(taken.items[0].node == "n");
    CHECK(taken.items[0].id == "1");
    CHECK_FALSE(taken.items[0].removed);
    REQUIRE(taken.items[0].payload.has_value());
    CHECK(account->journal.take().store.empty());

    // max_items 1: the next item evicts the first.
    REQUIRE(account->service.handle(publish("n", "2"), owner_of(alice)).ok());
    taken = account->journal.take();
    REQUIRE(taken.items.size() == 2);
    std::vector<std::string> seen;
    for (const auto& c : taken.items) seen.push_back(c.id + (c.removed ? "-" : "+"));
    CHECK(std::find(seen.begin(), seen.end(), "1-") != seen.end());
    CHECK(std::find(seen.begin(), seen.end(), "2+") != seen.end());
}

}  // namespace pep_accounts_test
