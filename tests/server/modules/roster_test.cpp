// Module "roster" (RFC 6121 §2, XEP-0237), through a session: get, set,
// pushes to the resources that asked for the roster, versions, removal.
#include <doctest/doctest.h>

#include "conversation.hpp"

namespace roster_test {

using test::Client;
using test::error_condition;
using test::only;

const std::string roster_get = "<query xmlns='jabber:iq:roster'/>";

std::string roster_set(std::string_view item) { return "<query xmlns='jabber:iq:roster'>" + std::string(item) + "</query>"; }

const xmpp::Element* query_of(const xmpp::Element& iq) { return iq.child("query", xmpp::ns::roster); }

std::vector<const xmpp::Element*> items_of(const xmpp::Element& iq) {
    std::vector<const xmpp::Element*> items;
    if (const auto* query = query_of(iq))
        for (const auto& child : query->children())
            if (!child.is_text() && child.name() == "item") items.push_back(&child);
    return items;
}

TEST_CASE("roster: a set is answered and pushed to each resource that asked for the roster, with a new version") {
    test::C2sHarness h;
    Client phone(h, "juliet", "r0meo", "phone");
    Client laptop(h, "juliet", "r0meo", "laptop");
    Client tablet(h, "juliet", "r0meo", "tablet");  // never asks for the roster

    const auto empty = phone.iq("get", roster_get);
    REQUIRE(query_of(empty) != nullptr);
    CHECK(items_of(empty).empty());
    CHECK(query_of(empty)->attr_or("ver") == "0");
    laptop.iq("get", roster_get);

    const auto answer = phone.iq(
        "set", roster_set("<item jid='romeo@localhost' name='Romeo'><group>Montague</group></item>"));
    CHECK(answer.attr_or("type") == "result");
    CHECK(answer.element_count() == 0);

    for (Client* resource : {&phone, &laptop}) {
        const auto pushes = only(resource->received(), "iq", "set");
        REQUIRE(pushes.size() == 1);
        REQUIRE(query_of(pushes[0]) != nullptr);
        CHECK(pushes[0].attr_or("to") == resource->jid());
        CHECK(query_of(pushes[0])->attr_or("ver") == "1");
        const auto items = items_of(pushes[0]);
        REQUIRE(items.size() == 1);
        CHECK(items[0]->attr_or("jid") == "romeo@localhost");
        CHECK(items[0]->attr_or("name") == "Romeo");
        CHECK(items[0]->attr_or("subscription") == "none");
        CHECK(items[0]->child_text("group") == "Montague");
    }
    CHECK(only(tablet.received(), "iq").empty());

    const auto full = laptop.iq("get", roster_get);
    REQUIRE(query_of(full) != nullptr);
    CHECK(query_of(full)->attr_or("ver") == "1");
    REQUIRE(items_of(full).size() == 1);
    CHECK(items_of(full)[0]->attr_or("jid") == "romeo@localhost");
}

TEST_CASE("roster versioning: the current version gets an empty result, an older one the whole roster") {
    test::C2sHarness h;
    Client juliet(h, "juliet", "r0meo", "balcony");
    juliet.iq("set", roster_set("<item jid='romeo@localhost'/>"));
    juliet.iq("set", roster_set("<item jid='nurse@localhost'/>"));

    const auto current = juliet.iq("get", "<query xmlns='jabber:iq:roster' ver='2'/>");
    CHECK(current.attr_or("type") == "result");
    CHECK(query_of(current) == nullptr);  // RFC 6121 §2.6.3: the cached roster is current

    const auto older = juliet.iq("get", "<query xmlns='jabber:iq:roster' ver='1'/>");
    REQUIRE(query_of(older) != nullptr);
    CHECK(query_of(older)->attr_or("ver") == "2");
    CHECK(items_of(older).size() == 2);
}

TEST_CASE("roster: removing an item pushes its removal; removing one that is not there is item-not-found") {
    test::C2sHarness h;
    Client juliet(h, "juliet", "r0meo", "balcony");
    juliet.iq("get", roster_get);
    juliet.iq("set", roster_set("<item jid='romeo@localhost'/>"));
    juliet.received();

    CHECK(juliet.iq("set", roster_set("<item jid='romeo@localhost' subscription='remove'/>")).attr_or("type") ==
          "result");
    const auto pushes = only(juliet.received(), "iq", "set");
    REQUIRE(pushes.size() == 1);
    REQUIRE(items_of(pushes[0]).size() == 1);
    CHECK(items_of(pushes[0])[0]->attr_or("subscription") == "remove");
    CHECK(items_of(juliet.iq("get", roster_get)).empty());

    CHECK(error_condition(juliet.iq("set", roster_set("<item jid='romeo@localhost' subscription='remove'/>"))) ==
          "item-not-found");
}

TEST_CASE("roster: another account's roster is forbidden; a set of two items is a bad request") {
    test::C2sHarness h;
    test::add_account(h, "romeo", "m0ntague");
    Client juliet(h, "juliet", "r0meo", "balcony");
    CHECK(error_condition(juliet.iq("get", roster_get, "romeo@localhost")) == "forbidden");
    CHECK(error_condition(juliet.iq("set", roster_set("<item jid='a@localhost'/><item jid='b@localhost'/>"))) ==
          "bad-request");
}

TEST_CASE("roster versioning is offered as a stream feature after authentication") {
    test::C2sHarness h;
    auto pipe = h.connect(true);
    h.say(*pipe, test::C2sHarness::open_stream());
    h.say(*pipe, test::C2sHarness::plain_auth("juliet", "r0meo"));
    const std::string features = h.say(*pipe, test::C2sHarness::open_stream());
    CHECK(features.find("<ver xmlns='urn:xmpp:features:rosterver'/>") != std::string::npos);
}

}  // namespace roster_test
