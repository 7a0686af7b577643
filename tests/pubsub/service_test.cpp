// pubsub::Service: the rules of XEP-0060 as PEP (XEP-0163) and a public
// service use them, each checked against what it must refuse.
#include <doctest/doctest.h>

#include <algorithm>
#include <set>

#include "fixture.hpp"
#include "xmpp/namespaces.hpp"
#include "xmpp/serializer.hpp"

using namespace pubsub;
using namespace pubsub_test;
using xmpp::StanzaError;

namespace {

struct Pep {
    RecordingJournal journal;
    Service service;
    explicit Pep(ServiceOptions options = pep_options()) : service(std::move(options), &journal) {}

    Outcome run(std::string_view text, bool is_set, const Requester& who) {
        return service.handle(request(text, is_set), who);
    }
    Success ok(std::string_view text, bool is_set, const Requester& who) {
        Outcome outcome = run(text, is_set, who);
        if (!outcome)
            FAIL("refused: " << xmpp::to_string(outcome.error().condition) << " " << to_string(outcome.error().pubsub)
                             << " " << outcome.error().text);
        return std::move(outcome.value());
    }
    Success publish(std::string_view node, std::string_view id, std::string_view text = "x",
                    std::string_view options = {}, const Requester& who = owner()) {
        return ok(publish_xml(node, id, text, options), true, who);
    }
    // Creates `node` by the owner with these config fields.
    void create(std::string_view node, std::string_view fields) {
        std::string configure =
            "<configure><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>"
            "http://jabber.org/protocol/pubsub#node_config</value></field>" +
            std::string(fields) + "</x></configure>";
        ok("<pubsub xmlns='http://jabber.org/protocol/pubsub'><create node='" + std::string(node) + "'/>" + configure +
               "</pubsub>",
           true, owner());
    }
};

std::string published_id(const Success& s) {
    REQUIRE(s.payload);
    const xmpp::Element* publish = s.payload->child("publish");
    REQUIRE(publish);
    const xmpp::Element* item = publish->child("item");
    REQUIRE(item);
    return std::string(item->attr_or("id"));
}

const xmpp::Element* config_field(const Success& s, std::string_view var) {
    REQUIRE(s.payload);
    const xmpp::Element* configure = s.payload->child("configure");
    REQUIRE(configure);
    const xmpp::Element* x = configure->child("x", xmpp::ns::data_forms);
    REQUIRE(x);
    for (const auto& f : x->children()) {
        if (!f.is_text() && f.attr_or("var") == var) return &f;
    }
    return nullptr;
}

}  // namespace

TEST_CASE("publish: auto-creates the node with the defaults, stores the item, notifies the owner's contacts") {
    Pep pep;
    Success s = pep.publish("urn:xmpp:mood", "current", "happy");
    CHECK(published_id(s) == "current");
    CHECK(pep.service.node_count() == 1);
    CHECK(pep.journal.events == std::vector<std::string>{"created urn:xmpp:mood", "stored urn:xmpp:mood current"});
    REQUIRE(s.notifications.size() == 1);
    const Notification& n = s.notifications.front();
    CHECK(n.node == "urn:xmpp:mood");
    CHECK(n.owner_contacts);
    CHECK(n.subscribers.empty());
    CHECK(xmpp::to_string(n.event) ==
          "<event xmlns='http://jabber.org/protocol/pubsub#event'><items node='urn:xmpp:mood'><item id='current'>"
          "<entry xmlns='urn:test'>happy</entry></item></items></event>");
    // The default access model is presence: contacts yes, strangers no.
    CHECK(n.access.admits(friend_contact()));
    CHECK_FALSE(n.access.admits(stranger()));
    CHECK(n.access.admits(owner()));
}

TEST_CASE("publish: without auto-create a missing node is item-not-found") {
    ServiceOptions options = pep_options();
    options.auto_create = false;
    Pep pep(options);
    check_error(pep.run(publish_xml("n", "1"), true, owner()), StanzaError::item_not_found);
    CHECK(pep.journal.events.empty());
}

TEST_CASE("publish: only the owner publishes to a PEP service (publishers model)") {
    Pep pep;
    check_error(pep.run(publish_xml("n", "1"), true, friend_contact()), StanzaError::forbidden);  // cannot create
    pep.publish("n", "1");
    check_error(pep.run(publish_xml("n", "2"), true, friend_contact()), StanzaError::forbidden);
    check_error(pep.run(publish_xml("n", "2"), true, stranger()), StanzaError::forbidden);
}

TEST_CASE("publish-options: applied on auto-create, a precondition on an existing node") {
    Pep pep;
    pep.publish("urn:xmpp:omemo:2:bundles", "1", "b",
                field("pubsub#access_model", "open") + field("pubsub#max_items", "max"));
    auto config = pep.ok(
        "<pubsub xmlns='http://jabber.org/protocol/pubsub#owner'><configure node='urn:xmpp:omemo:2:bundles'/></pubsub>",
        false, owner());
    REQUIRE(config_field(config, "pubsub#access_model"));
    CHECK(config_field(config, "pubsub#access_model")->child_text("value") == "open");
    CHECK(config_field(config, "pubsub#max_items")->child_text("value") == "max");

    // The same options again: published.
    pep.publish("urn:xmpp:omemo:2:bundles", "2", "b", field("pubsub#access_model", "open"));
    // Options that differ: conflict + precondition-not-met, nothing stored.
    auto before = pep.journal.events.size();
    check_error(pep.run(publish_xml("urn:xmpp:omemo:2:bundles", "3", "b", field("pubsub#access_model", "presence")),
                        true, owner()),
                StanzaError::conflict, Condition::precondition_not_met);
    check_error(
        pep.run(publish_xml("urn:xmpp:omemo:2:bundles", "3", "b", field("pubsub#persist_items", "0")), true, owner()),
        StanzaError::conflict, Condition::precondition_not_met);
    // An option the service does not know cannot be guaranteed.
    check_error(
        pep.run(publish_xml("urn:xmpp:omemo:2:bundles", "3", "b", field("pubsub#notify_sub", "1")), true, owner()),
        StanzaError::conflict, Condition::precondition_not_met);
    CHECK(pep.journal.events.size() == before);
    CHECK(item_ids(pep.ok(items_xml("urn:xmpp:omemo:2:bundles"), false, owner())) ==
          std::vector<std::string>{"2", "1"});
}

TEST_CASE("publish-options: who may not publish is forbidden before any precondition is compared") {
    Pep pep;
    pep.publish("n", "1", "x", field("pubsub#access_model", "open"));
    check_error(pep.run(publish_xml("n", "2", "x", field("pubsub#access_model", "presence")), true, stranger()),
                StanzaError::forbidden);
}

TEST_CASE("publish-options: a bad value on auto-create creates nothing") {
    Pep pep;
    check_error(pep.run(publish_xml("n", "1", "x", field("pubsub#max_items", "5000")), true, owner()),
                StanzaError::not_acceptable, Condition::max_items_exceeded);
    CHECK(pep.service.node_count() == 0);
    CHECK(pep.journal.events.empty());
}

TEST_CASE("max_items: the oldest items are evicted first; 'max' is the service bound") {
    ServiceOptions options = pep_options();
    options.limits.max_items_per_node = 5;
    Pep pep(options);
    pep.create("n", field("pubsub#max_items", "3"));
    for (int i = 1; i <= 5; ++i) pep.publish("n", std::to_string(i));
    CHECK(item_ids(pep.ok(items_xml("n"), false, owner())) == std::vector<std::string>{"5", "4", "3"});
    CHECK(std::count(pep.journal.events.begin(), pep.journal.events.end(), "evicted n 1") == 1);
    CHECK(std::count(pep.journal.events.begin(), pep.journal.events.end(), "evicted n 2") == 1);

    // Republishing an id replaces the item and makes it the newest.
    pep.publish("n", "3", "again");
    CHECK(item_ids(pep.ok(items_xml("n"), false, owner())) == std::vector<std::string>{"3", "5", "4"});

    pep.ok(configure_xml("n", field("pubsub#max_items", "max")), true, owner());
    for (int i = 6; i <= 9; ++i) pep.publish("n", std::to_string(i));
    CHECK(item_ids(pep.ok(items_xml("n"), false, owner())).size() == 5);

    check_error(pep.run(configure_xml("n", field("pubsub#max_items", "6")), true, owner()), StanzaError::not_acceptable,
                Condition::max_items_exceeded);
    // A smaller max_items evicts at once.
    pep.ok(configure_xml("n", field("pubsub#max_items", "1")), true, owner());
    CHECK(item_ids(pep.ok(items_xml("n"), false, owner())) == std::vector<std::string>{"9"});
}

TEST_CASE("items: all, the newest max_items, by id") {
    Pep pep;
    pep.create("n", field("pubsub#max_items", "10"));
    for (auto id : {"a", "b", "c"}) pep.publish("n", id);
    CHECK(item_ids(pep.ok(items_xml("n"), false, owner())) == std::vector<std::string>{"c", "b", "a"});
    CHECK(item_ids(pep.ok(items_xml("n", " max_items='2'"), false, owner())) == std::vector<std::string>{"c", "b"});
    CHECK(item_ids(pep.ok("<pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='n'><item id='a'/>"
                          "<item id='zz'/></items></pubsub>",
                          false, owner())) == std::vector<std::string>{"a"});
    check_error(
        pep.run("<pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='n'><item id='zz'/></items></pubsub>",
                false, owner()),
        StanzaError::item_not_found);
    Success one = pep.ok(items_xml("n", " max_items='1'"), false, owner());
    CHECK(xmpp::to_string(*one.payload) ==
          "<pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='n'><item id='c'>"
          "<entry xmlns='urn:test'>x</entry></item></items></pubsub>");
    check_error(pep.run(items_xml("missing"), false, owner()), StanzaError::item_not_found);
}

TEST_CASE("item ids: made when absent, unique, never an existing id") {
    Pep pep;
    pep.create("n", field("pubsub#max_items", "1000"));
    std::set<std::string> ids;
    for (int i = 0; i < 200; ++i) {
        std::string id = published_id(pep.publish("n", ""));
        CHECK_FALSE(id.empty());
        ids.insert(id);
    }
    CHECK(ids.size() == 200);
    CHECK(item_ids(pep.ok(items_xml("n"), false, owner())).size() == 200);
}

TEST_CASE("access model presence: contacts with a presence subscription read and subscribe") {
    Pep pep;
    pep.publish("n", "1");
    CHECK(item_ids(pep.ok(items_xml("n"), false, friend_contact())) == std::vector<std::string>{"1"});
    check_error(pep.run(items_xml("n"), false, colleague()), StanzaError::not_authorized,
                Condition::presence_subscription_required);
    check_error(pep.run(items_xml("n"), false, stranger()), StanzaError::not_authorized,
                Condition::presence_subscription_required);
    pep.ok(subscribe_xml("n", "bob@example.org/phone"), true, friend_contact());
    check_error(pep.run(subscribe_xml("n", "eve@example.net"), true, stranger()), StanzaError::not_authorized,
                Condition::presence_subscription_required);
}

TEST_CASE("access model open: anyone reads and subscribes") {
    Pep pep;
    pep.create("n", field("pubsub#access_model", "open"));
    pep.publish("n", "1");
    CHECK(item_ids(pep.ok(items_xml("n"), false, stranger())) == std::vector<std::string>{"1"});
    pep.ok(subscribe_xml("n", "eve@example.net"), true, stranger());
}

TEST_CASE("access model roster: only contacts in the allowed groups") {
    Pep pep;
    pep.create("n", field("pubsub#access_model", "roster") +
                        "<field var='pubsub#roster_groups_allowed'><value>Work</value></field>");
    pep.publish("n", "1");
    CHECK(item_ids(pep.ok(items_xml("n"), false, colleague())) == std::vector<std::string>{"1"});
    check_error(pep.run(items_xml("n"), false, friend_contact()), StanzaError::not_authorized,
                Condition::not_in_roster_group);
    check_error(pep.run(subscribe_xml("n", "eve@example.net"), true, stranger()), StanzaError::not_authorized,
                Condition::not_in_roster_group);
    pep.ok(subscribe_xml("n", "carol@example.org"), true, colleague());
}

TEST_CASE("access model whitelist: members only, the owner sets them") {
    Pep pep;
    pep.create("n", field("pubsub#access_model", "whitelist"));
    pep.publish("n", "1");
    check_error(pep.run(items_xml("n"), false, friend_contact()), StanzaError::not_allowed, Condition::closed_node);
    check_error(pep.run(subscribe_xml("n", "bob@example.org"), true, friend_contact()), StanzaError::not_allowed,
                Condition::closed_node);
    const std::string set_member =
        "<pubsub xmlns='http://jabber.org/protocol/pubsub#owner'><affiliations node='n'>"
        "<affiliation jid='bob@example.org' affiliation='member'/></affiliations></pubsub>";
    check_error(pep.run(set_member, true, friend_contact()), StanzaError::forbidden);
    pep.ok(set_member, true, owner());
    CHECK(item_ids(pep.ok(items_xml("n"), false, friend_contact())) == std::vector<std::string>{"1"});
    pep.ok(subscribe_xml("n", "bob@example.org"), true, friend_contact());
    CHECK(std::count(pep.journal.events.begin(), pep.journal.events.end(), "affiliation n bob@example.org member") ==
          1);

    Success list = pep.ok("<pubsub xmlns='http://jabber.org/protocol/pubsub#owner'><affiliations node='n'/></pubsub>",
                          false, owner());
    CHECK(xmpp::to_string(*list.payload) ==
          "<pubsub xmlns='http://jabber.org/protocol/pubsub#owner'><affiliations node='n'>"
          "<affiliation jid='alice@example.org' affiliation='owner'/>"
          "<affiliation jid='bob@example.org' affiliation='member'/></affiliations></pubsub>");
    // A PEP node has its account as only owner.
    check_error(pep.run("<pubsub xmlns='http://jabber.org/protocol/pubsub#owner'><affiliations node='n'>"
                        "<affiliation jid='bob@example.org' affiliation='owner'/></affiliations></pubsub>",
                        true, owner()),
                StanzaError::not_acceptable);
}

TEST_CASE("access model whitelist: closing a node drops the subscriptions of non-members") {
    Pep pep;
    pep.create("n", field("pubsub#access_model", "open"));
    pep.ok(subscribe_xml("n", "eve@example.net/pc"), true, stranger());
    pep.ok(subscribe_xml("n", "bob@example.org/phone"), true, friend_contact());
    pep.ok(
        "<pubsub xmlns='http://jabber.org/protocol/pubsub#owner'><affiliations node='n'>"
        "<affiliation jid='bob@example.org' affiliation='member'/></affiliations></pubsub>",
        true, owner());
    pep.ok(configure_xml("n", field("pubsub#access_model", "whitelist")), true, owner());
    CHECK(pep.journal.events.back() == "unsubscribed n eve@example.net/pc");
    CHECK(pep.publish("n", "1").notifications[0].subscribers == std::vector<std::string>{"bob@example.org/phone"});
}

TEST_CASE("outcasts are refused whatever the access model, and lose their subscriptions") {
    Pep pep;
    pep.create("n", field("pubsub#access_model", "open"));
    pep.ok(subscribe_xml("n", "eve@example.net/pc"), true, stranger());
    pep.ok(
        "<pubsub xmlns='http://jabber.org/protocol/pubsub#owner'><affiliations node='n'>"
        "<affiliation jid='eve@example.net' affiliation='outcast'/></affiliations></pubsub>",
        true, owner());
    CHECK(std::count(pep.journal.events.begin(), pep.journal.events.end(), "unsubscribed n eve@example.net/pc") == 1);
    check_error(pep.run(items_xml("n"), false, stranger()), StanzaError::forbidden);
    check_error(pep.run(subscribe_xml("n", "eve@example.net"), true, stranger()), StanzaError::forbidden);
}

TEST_CASE("subscribe: one subscribes oneself; the last item follows; unsubscribe") {
    Pep pep;
    pep.create("n", field("pubsub#access_model", "open"));
    pep.publish("n", "1", "first");
    pep.publish("n", "2", "second");
    check_error(pep.run(subscribe_xml("n", "bob@example.org"), true, stranger()), StanzaError::bad_request,
                Condition::invalid_jid);
    check_error(pep.run(subscribe_xml("n", "not a jid@"), true, stranger()), StanzaError::bad_request,
                Condition::invalid_jid);
    check_error(pep.run(subscribe_xml("missing", "eve@example.net"), true, stranger()), StanzaError::item_not_found);

    Success s = pep.ok(subscribe_xml("n", "eve@example.net/pc"), true, stranger());
    CHECK(xmpp::to_string(*s.payload) ==
          "<pubsub xmlns='http://jabber.org/protocol/pubsub'><subscription node='n' jid='eve@example.net/pc' "
          "subscription='subscribed'/></pubsub>");
    REQUIRE(s.notifications.size() == 1);  // send_last_published_item
    CHECK(s.notifications[0].subscribers == std::vector<std::string>{"eve@example.net/pc"});
    CHECK_FALSE(s.notifications[0].owner_contacts);
    CHECK(xmpp::to_string(s.notifications[0].event).find("second") != std::string::npos);

    // Later publishes reach the explicit subscriber as well.
    Success p = pep.publish("n", "3");
    REQUIRE(p.notifications.size() == 1);
    CHECK(p.notifications[0].subscribers == std::vector<std::string>{"eve@example.net/pc"});

    Success mine =
        pep.ok("<pubsub xmlns='http://jabber.org/protocol/pubsub'><subscriptions/></pubsub>", false, stranger());
    CHECK(mine.payload->child("subscriptions")->element_count() == 1);
    Success theirs = pep.ok(
        "<pubsub xmlns='http://jabber.org/protocol/pubsub#owner'><subscriptions node='n'/></pubsub>", false, owner());
    CHECK(theirs.payload->child("subscriptions")->element_count() == 1);
    check_error(pep.run("<pubsub xmlns='http://jabber.org/protocol/pubsub#owner'><subscriptions node='n'/></pubsub>",
                        false, stranger()),
                StanzaError::forbidden);

    const std::string unsubscribe =
        "<pubsub xmlns='http://jabber.org/protocol/pubsub'><unsubscribe node='n' "
        "jid='eve@example.net/pc'/></pubsub>";
    check_error(pep.run(unsubscribe, true, friend_contact()), StanzaError::forbidden);
    pep.ok(unsubscribe, true, stranger());
    check_error(pep.run(unsubscribe, true, stranger()), StanzaError::unexpected_request, Condition::not_subscribed);
    CHECK(pep.publish("n", "4").notifications[0].subscribers.empty());
}

TEST_CASE("subscribe: bounded per node") {
    ServiceOptions options = pep_options();
    options.limits.max_subscriptions_per_node = 2;
    Pep pep(options);
    pep.create("n", field("pubsub#access_model", "open"));
    pep.ok(subscribe_xml("n", "eve@example.net/1"), true, stranger());
    pep.ok(subscribe_xml("n", "eve@example.net/2"), true, stranger());
    pep.ok(subscribe_xml("n", "eve@example.net/2"), true, stranger());  // again: no new subscription
    check_error(pep.run(subscribe_xml("n", "eve@example.net/3"), true, stranger()), StanzaError::policy_violation,
                Condition::too_many_subscriptions);
}

TEST_CASE("publish models: subscribers and open") {
    Pep pep;
    pep.create("sub", field("pubsub#access_model", "open") + field("pubsub#publish_model", "subscribers"));
    check_error(pep.run(publish_xml("sub", "1"), true, stranger()), StanzaError::forbidden);
    pep.ok(subscribe_xml("sub", "eve@example.net/pc"), true, stranger());
    Success s = pep.publish("sub", "1", "x", {}, stranger());
    CHECK(published_id(s) == "1");

    pep.create("open", field("pubsub#access_model", "open") + field("pubsub#publish_model", "open") +
                           field("pubsub#max_items", "10"));
    pep.publish("open", "1", "x", {}, friend_contact());
    // The publisher may retract its own item, not another's.
    pep.publish("open", "2", "x", {}, stranger());
    check_error(
        pep.run(
            "<pubsub xmlns='http://jabber.org/protocol/pubsub'><retract node='open'><item id='2'/></retract></pubsub>",
            true, friend_contact()),
        StanzaError::forbidden);
    pep.ok("<pubsub xmlns='http://jabber.org/protocol/pubsub'><retract node='open'><item id='1'/></retract></pubsub>",
           true, friend_contact());
}

TEST_CASE("retract: notifies as notify_retract says, or as the request says") {
    Pep pep;
    pep.create("n", field("pubsub#max_items", "10"));
    for (auto id : {"a", "b", "c"}) pep.publish("n", id);
    Success s =
        pep.ok("<pubsub xmlns='http://jabber.org/protocol/pubsub'><retract node='n'><item id='a'/></retract></pubsub>",
               true, owner());
    CHECK_FALSE(s.payload);
    REQUIRE(s.notifications.size() == 1);
    CHECK(xmpp::to_string(s.notifications[0].event) ==
          "<event xmlns='http://jabber.org/protocol/pubsub#event'><items node='n'><retract id='a'/></items></event>");
    CHECK(pep.journal.events.back() == "retracted n a");

    pep.ok(configure_xml("n", field("pubsub#notify_retract", "0")), true, owner());
    CHECK(
        pep.ok("<pubsub xmlns='http://jabber.org/protocol/pubsub'><retract node='n'><item id='b'/></retract></pubsub>",
               true, owner())
            .notifications.empty());
    CHECK(pep.ok("<pubsub xmlns='http://jabber.org/protocol/pubsub'><retract node='n' notify='1'><item "
                 "id='c'/></retract></pubsub>",
                 true, owner())
              .notifications.size() == 1);
    check_error(
        pep.run("<pubsub xmlns='http://jabber.org/protocol/pubsub'><retract node='n'><item id='c'/></retract></pubsub>",
                true, owner()),
        StanzaError::item_not_found);
    check_error(
        pep.run("<pubsub xmlns='http://jabber.org/protocol/pubsub'><retract node='x'><item id='c'/></retract></pubsub>",
                true, owner()),
        StanzaError::item_not_found);
    CHECK(item_ids(pep.ok(items_xml("n"), false, owner())).empty());
}

TEST_CASE("purge: owner only, one notification, every item gone") {
    Pep pep;
    pep.create("n", field("pubsub#max_items", "10"));
    for (auto id : {"a", "b"}) pep.publish("n", id);
    const std::string purge = "<pubsub xmlns='http://jabber.org/protocol/pubsub#owner'><purge node='n'/></pubsub>";
    check_error(pep.run(purge, true, friend_contact()), StanzaError::forbidden);
    Success s = pep.ok(purge, true, owner());
    REQUIRE(s.notifications.size() == 1);
    CHECK(xmpp::to_string(s.notifications[0].event) ==
          "<event xmlns='http://jabber.org/protocol/pubsub#event'><purge node='n'/></event>");
    CHECK(item_ids(pep.ok(items_xml("n"), false, owner())).empty());
    CHECK(pep.service.stored_bytes() == 0);
    CHECK(std::count(pep.journal.events.begin(), pep.journal.events.end(), "purged n a") == 1);
}

TEST_CASE("delete: owner only, notifies with the redirect, forgets the node") {
    Pep pep;
    pep.publish("n", "1");
    pep.ok(subscribe_xml("n", "bob@example.org"), true, friend_contact());
    const std::string del =
        "<pubsub xmlns='http://jabber.org/protocol/pubsub#owner'><delete node='n'>"
        "<redirect uri='xmpp:alice@example.org?;node=m'/></delete></pubsub>";
    check_error(pep.run(del, true, friend_contact()), StanzaError::forbidden);
    Success s = pep.ok(del, true, owner());
    REQUIRE(s.notifications.size() == 1);
    CHECK(s.notifications[0].owner_contacts);
    CHECK(s.notifications[0].subscribers == std::vector<std::string>{"bob@example.org"});
    CHECK(xmpp::to_string(s.notifications[0].event).find("<redirect uri='xmpp:alice@example.org?;node=m'/>") !=
          std::string::npos);
    CHECK(pep.journal.events.back() == "deleted n");
    CHECK(pep.service.node_count() == 0);
    CHECK(pep.service.stored_bytes() == 0);
    check_error(pep.run(items_xml("n"), false, owner()), StanzaError::item_not_found);

    pep.create("quiet", field("pubsub#notify_delete", "false"));
    CHECK(
        pep.ok("<pubsub xmlns='http://jabber.org/protocol/pubsub#owner'><delete node='quiet'/></pubsub>", true, owner())
            .notifications.empty());
}

TEST_CASE("configure: the owner reads and changes it, nobody else") {
    Pep pep;
    pep.publish("n", "1");
    const std::string get = "<pubsub xmlns='http://jabber.org/protocol/pubsub#owner'><configure node='n'/></pubsub>";
    check_error(pep.run(get, false, friend_contact()), StanzaError::forbidden);
    check_error(pep.run(configure_xml("n", field("pubsub#access_model", "open")), true, friend_contact()),
                StanzaError::forbidden);
    check_error(pep.run(configure_xml("missing", field("pubsub#access_model", "open")), true, owner()),
                StanzaError::item_not_found);
    CHECK(config_field(pep.ok(get, false, owner()), "pubsub#access_model")->child_text("value") == "presence");

    pep.ok(configure_xml("n", field("pubsub#access_model", "open") + field("pubsub#title", "Mood")), true, owner());
    CHECK(pep.journal.events.back() == "configured n");
    Success after = pep.ok(get, false, owner());
    CHECK(config_field(after, "pubsub#access_model")->child_text("value") == "open");
    CHECK(config_field(after, "pubsub#title")->child_text("value") == "Mood");
    CHECK(item_ids(pep.ok(items_xml("n"), false, stranger())) == std::vector<std::string>{"1"});

    // Cancel changes nothing; an unchanged form journals nothing.
    auto events = pep.journal.events.size();
    pep.ok(
        "<pubsub xmlns='http://jabber.org/protocol/pubsub#owner'><configure node='n'>"
        "<x xmlns='jabber:x:data' type='cancel'/></configure></pubsub>",
        true, owner());
    pep.ok(configure_xml("n", field("pubsub#access_model", "open")), true, owner());
    CHECK(pep.journal.events.size() == events);

    // Items no longer persisted are dropped.
    pep.ok(configure_xml("n", field("pubsub#persist_items", "0")), true, owner());
    CHECK(item_ids(pep.ok(items_xml("n"), false, owner())).empty());

    Success def =
        pep.ok("<pubsub xmlns='http://jabber.org/protocol/pubsub#owner'><default/></pubsub>", false, stranger());
    CHECK(def.payload->child("default")->child("x", xmpp::ns::data_forms));
}

TEST_CASE("create: conflict, owner only, configuration applied and validated") {
    Pep pep;
    const std::string create = "<pubsub xmlns='http://jabber.org/protocol/pubsub'><create node='n'/></pubsub>";
    check_error(pep.run(create, true, friend_contact()), StanzaError::forbidden);
    pep.ok(create, true, owner());
    check_error(pep.run(create, true, owner()), StanzaError::conflict);
    check_error(pep.run("<pubsub xmlns='http://jabber.org/protocol/pubsub'><create node='m'/><configure>"
                        "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>"
                        "http://jabber.org/protocol/pubsub#node_config</value></field>" +
                            field("pubsub#max_items", "1000000") + "</x></configure></pubsub>",
                        true, owner()),
                StanzaError::not_acceptable, Condition::max_items_exceeded);
}

TEST_CASE("transient nodes: no item stored, payloads refused when not delivered") {
    Pep pep;
    pep.create("t", field("pubsub#persist_items", "0"));
    Success s = pep.publish("t", "1");
    CHECK(s.notifications.size() == 1);
    CHECK(item_ids(pep.ok(items_xml("t"), false, owner())).empty());
    CHECK(pep.service.stored_bytes() == 0);

    pep.create("bare", field("pubsub#persist_items", "0") + field("pubsub#deliver_payloads", "0"));
    check_error(pep.run(publish_xml("bare", "1"), true, owner()), StanzaError::bad_request, Condition::item_forbidden);
    Success bare = pep.ok(
        "<pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='bare'><item id='e'/></publish></pubsub>",
        true, owner());
    REQUIRE(bare.notifications.size() == 1);
    CHECK(xmpp::to_string(bare.notifications[0].event) ==
          "<event xmlns='http://jabber.org/protocol/pubsub#event'><items node='bare'><item id='e'/></items></event>");
    // Without <item/> at all: notified under an id the service makes.
    Success no_item = pep.ok(
        "<pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='bare'/></pubsub>", true, owner());
    REQUIRE(no_item.notifications.size() == 1);
    CHECK(xmpp::to_string(no_item.notifications[0].event).find("<item id='" + published_id(no_item) + "'/>") !=
          std::string::npos);

    check_error(
        pep.run("<pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='t'/></pubsub>", true, owner()),
        StanzaError::bad_request, Condition::item_required);
    check_error(
        pep.run("<pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='t'><item id='e'/></publish></pubsub>",
                true, owner()),
        StanzaError::bad_request, Condition::payload_required);
}

TEST_CASE("bounds: nodes, payload size, stored bytes") {
    ServiceOptions options = pep_options();
    options.limits.max_nodes = 2;
    options.limits.max_item_bytes = 100;
    options.limits.max_total_bytes = 200;  // each payload below is 82 or 92 bytes
    Pep pep(options);
    pep.publish("a", "1", std::string(50, 'x'));
    pep.publish("b", "1", std::string(50, 'x'));
    check_error(pep.run(publish_xml("c", "1"), true, owner()), StanzaError::policy_violation,
                Condition::max_nodes_exceeded);
    check_error(pep.run("<pubsub xmlns='http://jabber.org/protocol/pubsub'><create node='c'/></pubsub>", true, owner()),
                StanzaError::policy_violation, Condition::max_nodes_exceeded);
    check_error(pep.run(publish_xml("a", "2", std::string(150, 'x')), true, owner()), StanzaError::not_acceptable,
                Condition::payload_too_big);
    // Replacing the one item of a max_items=1 node frees its bytes first.
    CHECK(pep.service.stored_bytes() == 164);
    pep.publish("a", "2", std::string(60, 'x'));
    CHECK(pep.service.stored_bytes() == 174);
    // A node keeping more items adds up.
    pep.ok(configure_xml("b", field("pubsub#max_items", "10")), true, owner());
    check_error(pep.run(publish_xml("b", "2", std::string(60, 'x')), true, owner()), StanzaError::policy_violation);
    CHECK(pep.service.stored_bytes() == 174);
    CHECK(pep.service.node_count() == 2);
}

TEST_CASE("restore and snapshot: a service loads back what the journal saw") {
    Pep pep;
    pep.create("n", field("pubsub#max_items", "5") + field("pubsub#access_model", "whitelist"));
    pep.publish("n", "a", "one");
    pep.publish("n", "b", "two");
    pep.ok(
        "<pubsub xmlns='http://jabber.org/protocol/pubsub#owner'><affiliations node='n'>"
        "<affiliation jid='bob@example.org' affiliation='member'/></affiliations></pubsub>",
        true, owner());
    pep.ok(subscribe_xml("n", "bob@example.org/phone"), true, friend_contact());
    std::vector<StoredNode> stored = pep.service.snapshot();

    RecordingJournal journal;
    Service copy(pep_options(), &journal);
    for (auto& node : stored) CHECK(copy.restore(node));
    CHECK(journal.events.empty());
    CHECK(copy.stored_bytes() == pep.service.stored_bytes());
    CHECK(item_ids(copy.handle(request(items_xml("n"), false), friend_contact()).value()) ==
          std::vector<std::string>{"b", "a"});
    CHECK(copy.snapshot().front().items == stored.front().items);
    Success p = copy.handle(request(publish_xml("n", "c"), true), owner()).value();
    CHECK(p.notifications[0].subscribers == std::vector<std::string>{"bob@example.org/phone"});

    // Restoring under smaller bounds trims oldest first and refuses extra nodes.
    ServiceOptions small = pep_options();
    small.limits.max_items_per_node = 1;
    small.limits.max_nodes = 1;
    stored.front().config.max_items = std::nullopt;
    Service trimmed(small);
    CHECK(trimmed.restore(stored.front()));
    CHECK(trimmed.snapshot().front().items.size() == 1);
    CHECK(trimmed.snapshot().front().items.front().id == "b");
    CHECK_FALSE(trimmed.restore(StoredNode{"other", {}, {}, {}, {}}));
}

TEST_CASE("last_published: the newest item of each node the contact may read") {
    Pep pep;
    pep.publish("mood", "1", "sad");
    pep.publish("mood", "2", "happy");
    pep.create("secret", field("pubsub#access_model", "whitelist"));
    pep.publish("secret", "1");
    pep.create("never", field("pubsub#send_last_published_item", "never"));
    pep.publish("never", "1");
    auto for_friend = pep.service.last_published(friend_contact());
    REQUIRE(for_friend.size() == 1);
    CHECK(for_friend[0].node == "mood");
    CHECK(xmpp::to_string(for_friend[0].event).find("happy") != std::string::npos);
    CHECK(pep.service.last_published(stranger()).empty());
    CHECK(pep.service.last_published(owner()).size() == 2);
}

TEST_CASE("a public service: creators own their nodes, notifications go to subscribers only") {
    ServiceOptions options;
    options.personal = false;
    options.anyone_may_create = true;
    options.default_config.access_model = AccessModel::open;
    RecordingJournal journal;
    Service service(options, &journal);
    Requester bob = friend_contact();
    REQUIRE(
        service
            .handle(request("<pubsub xmlns='http://jabber.org/protocol/pubsub'><create node='news'/></pubsub>", true),
                    bob)
            .ok());
    CHECK(journal.events == std::vector<std::string>{"created news", "affiliation news bob@example.org owner"});
    Success published = service.handle(request(publish_xml("news", "1"), true), bob).value();
    CHECK(published.notifications.empty());  // nobody subscribed yet
    check_error(service.handle(request(publish_xml("news", "2"), true), stranger()), StanzaError::forbidden);
    check_error(service.handle(request(configure_xml("news", field("pubsub#title", "t")), true), stranger()),
                StanzaError::forbidden);
    REQUIRE(service.handle(request(subscribe_xml("news", "eve@example.net"), true), stranger()).ok());
    Success second = service.handle(request(publish_xml("news", "2"), true), bob).value();
    REQUIRE(second.notifications.size() == 1);
    CHECK_FALSE(second.notifications[0].owner_contacts);
    CHECK(second.notifications[0].subscribers == std::vector<std::string>{"eve@example.net"});
    Success mine =
        service
            .handle(request("<pubsub xmlns='http://jabber.org/protocol/pubsub'><affiliations/></pubsub>", false), bob)
            .value();
    CHECK(
        xmpp::to_string(*mine.payload) ==
        "<pubsub xmlns='http://jabber.org/protocol/pubsub'><affiliations><affiliation node='news' affiliation='owner'/>"
        "</affiliations></pubsub>");
}

TEST_CASE("visible_nodes: the nodes that admit the requester, by name") {
    Pep pep;
    pep.publish("mood", "1");
    pep.create("bundle", field("pubsub#access_model", "open"));
    pep.create("secret", field("pubsub#access_model", "whitelist"));
    CHECK(pep.service.visible_nodes(owner()) == std::vector<std::string>{"bundle", "mood", "secret"});
    CHECK(pep.service.visible_nodes(friend_contact()) == std::vector<std::string>{"bundle", "mood"});
    CHECK(pep.service.visible_nodes(stranger()) == std::vector<std::string>{"bundle"});
}
