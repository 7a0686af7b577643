// pep_recipients(), pep_requester(): who a PEP notification reaches, from
// the owner's roster, the available resources and their +notify caps, each
// admitted by the node's access policy; and the requester a roster entry
// makes. Pure: no session, no store.
#include <doctest/doctest.h>

#include <map>
#include <set>

#include "server/modules/pep_recipients.hpp"
#include "xmpp/subscription_state.hpp"

namespace pep_recipients_test {

using server::modules::pep_recipients;
using server::modules::pep_requester;
using server::modules::PepPresence;
using server::store::RosterRow;

xmpp::Jid jid(std::string_view s) { return *xmpp::Jid::parse(s); }

RosterRow row(std::string contact, xmpp::SubState state, std::vector<std::string> groups = {}, bool in_roster = true) {
    return RosterRow{std::move(contact), "", std::move(groups), xmpp::to_int(state), in_roster};
}

// Available resources by bare JID, and the nodes each full JID wants.
struct World {
    std::map<std::string, std::vector<std::string>> resources;
    std::map<std::string, std::set<std::string>> wants;
    PepPresence presence() const {
        return {.available =
                    [this](const xmpp::Jid& bare) {
                        std::vector<xmpp::Jid> out;
                        auto it = resources.find(bare.bare_string());
                        if (it != resources.end())
                            for (const auto& r : it->second) out.push_back(*bare.with_resource(r));
                        return out;
                    },
                .wants_notify =
                    [this](const xmpp::Jid& full, std::string_view node) {
                        auto it = wants.find(full.full());
                        return it != wants.end() && it->second.count(std::string(node)) > 0;
                    }};
    }
};

std::vector<std::string> names(const std::vector<xmpp::Jid>& jids) {
    std::vector<std::string> out;
    for (const auto& j : jids) out.push_back(j.full());
    return out;
}

pubsub::Notification note(pubsub::AccessModel model, std::string node = "urn:xmpp:omemo:2:devices") {
    pubsub::Notification n;
    n.node = std::move(node);
    n.owner_contacts = true;
    n.access.model = model;
    n.access.whitelisted.insert("alice@example.org");
    return n;
}

const xmpp::Jid alice = jid("alice@example.org");

TEST_CASE("pep_requester: the owner, a contact with from/both, one without, a stranger, a pending request") {
    auto me = pep_requester(alice, "alice@example.org", nullptr);
    CHECK(me.service_owner);

    const RosterRow both = row("bob@example.org", xmpp::SubState::both, {"Friends"});
    auto bob = pep_requester(alice, "bob@example.org", &both);
    CHECK_FALSE(bob.service_owner);
    CHECK(bob.presence_subscribed);
    CHECK(bob.in_roster);
    CHECK(bob.roster_groups == std::vector<std::string>{"Friends"});

    const RosterRow to = row("carol@example.org", xmpp::SubState::to);  // alice sees carol, not the reverse
    auto carol = pep_requester(alice, "carol@example.org", &to);
    CHECK_FALSE(carol.presence_subscribed);
    CHECK(carol.in_roster);

    auto eve = pep_requester(alice, "eve@example.net", nullptr);
    CHECK_FALSE(eve.in_roster);
    CHECK_FALSE(eve.presence_subscribed);

    const RosterRow pending = row("mallory@example.org", xmpp::SubState::none_pending_in, {}, false);
    auto mallory = pep_requester(alice, "mallory@example.org", &pending);
    CHECK_FALSE(mallory.in_roster);
}

TEST_CASE("pep_recipients: contacts with a presence subscription and the owner, each resource by its +notify") {
    World world;
    world.resources = {{"alice@example.org", {"phone", "laptop"}},
                       {"bob@example.org", {"conversations", "gajim"}},
                       {"carol@example.org", {"dino"}},
                       {"dave@example.org", {"monal"}}};
    const std::string node = "urn:xmpp:omemo:2:devices";
    world.wants = {{"alice@example.org/phone", {node}},
                   {"bob@example.org/conversations", {node}},
                   {"bob@example.org/gajim", {"urn:xmpp:avatar:metadata"}},
                   {"carol@example.org/dino", {node}},
                   {"dave@example.org/monal", {node}}};
    const std::vector<RosterRow> roster = {
        row("bob@example.org", xmpp::SubState::both),
        row("carol@example.org", xmpp::SubState::to),   // does not receive alice's presence
        row("dave@example.org", xmpp::SubState::from),  // does
    };
    CHECK(
        names(pep_recipients(alice, note(pubsub::AccessModel::presence), roster, world.presence())) ==
        std::vector<std::string>{"alice@example.org/phone", "bob@example.org/conversations", "dave@example.org/monal"});

    // Whitelist: the owner only; open: still only contacts with a presence
    // subscription (PEP notifies interested contacts, not everyone).
    CHECK(names(pep_recipients(alice, note(pubsub::AccessModel::whitelist), roster, world.presence())) ==
          std::vector<std::string>{"alice@example.org/phone"});
    CHECK(names(pep_recipients(alice, note(pubsub::AccessModel::open), roster, world.presence())).size() == 3);

    // No +notify for this node anywhere: nobody, not even the owner.
    CHECK(
        pep_recipients(alice, note(pubsub::AccessModel::presence, "urn:xmpp:other"), roster, world.presence()).empty());
}

TEST_CASE("pep_recipients: the roster model admits the allowed groups only") {
    World world;
    world.resources = {{"bob@example.org", {"a"}}, {"dave@example.org", {"b"}}};
    world.wants = {{"bob@example.org/a", {"n"}}, {"dave@example.org/b", {"n"}}};
    const std::vector<RosterRow> roster = {row("bob@example.org", xmpp::SubState::both, {"Friends"}),
                                           row("dave@example.org", xmpp::SubState::both, {"Work"})};
    auto n = note(pubsub::AccessModel::roster, "n");
    n.access.roster_groups_allowed = {"Friends"};
    CHECK(names(pep_recipients(alice, n, roster, world.presence())) == std::vector<std::string>{"bob@example.org/a"});
}

TEST_CASE("pep_recipients: explicit subscribers, bare as every resource, full as itself, once each") {
    World world;
    world.resources = {{"bob@example.org", {"a", "b"}}, {"eve@example.net", {"x", "y"}}};
    world.wants = {{"bob@example.org/a", {"n"}}};
    const std::vector<RosterRow> roster = {row("bob@example.org", xmpp::SubState::both)};
    auto n = note(pubsub::AccessModel::open, "n");
    n.subscribers = {"bob@example.org", "eve@example.net/y", "eve@example.net/gone"};
    CHECK(names(pep_recipients(alice, n, roster, world.presence())) ==
          std::vector<std::string>{"bob@example.org/a", "bob@example.org/b", "eve@example.net/y"});

    // A subscriber the node no longer admits (presence model, no subscription).
    auto closed = note(pubsub::AccessModel::presence, "n");
    closed.owner_contacts = false;
    closed.subscribers = {"eve@example.net/y", "bob@example.org/b"};
    CHECK(names(pep_recipients(alice, closed, roster, world.presence())) ==
          std::vector<std::string>{"bob@example.org/b"});
}

}  // namespace pep_recipients_test
