// Module "presence" (RFC 6121 §3, §4), through sessions of two local users:
// a subscription requested and approved, probes answered by the server at
// initial presence, broadcast of changes, of unavailability and of a lost
// connection, and a waiting request delivered again at the next login.
#include <doctest/doctest.h>

#include "conversation.hpp"

namespace presence_test {

using test::Client;
using test::only;

const std::string roster_get = "<query xmlns='jabber:iq:roster'/>";

// The roster items pushed in `stanzas`.
std::vector<xmpp::Element> pushed_items(const std::vector<xmpp::Element>& stanzas) {
    std::vector<xmpp::Element> items;
    for (const auto& iq : only(stanzas, "iq", "set"))
        if (const auto* query = iq.child("query", xmpp::ns::roster))
            if (const auto* item = query->child("item")) items.push_back(*item);
    return items;
}

std::vector<xmpp::Element> presence_from(const std::vector<xmpp::Element>& stanzas, std::string_view from,
                                         std::string_view type = {}) {
    std::vector<xmpp::Element> out;
    for (const auto& p : only(stanzas, "presence"))
        if (p.attr_or("from") == from && p.attr_or("type") == type) out.push_back(p);
    return out;
}

struct Verona {
    test::C2sHarness h;
    std::unique_ptr<Client> juliet;
    std::unique_ptr<Client> romeo;

    // juliet/balcony and romeo/garden, each available and interested in its roster.
    Verona() {
        test::add_account(h, "romeo", "m0ntague");
        juliet = std::make_unique<Client>(h, "juliet", "r0meo", "balcony");
        romeo = std::make_unique<Client>(h, "romeo", "m0ntague", "garden");
        for (Client* c : {juliet.get(), romeo.get()}) {
            c->iq("get", roster_get);
            c->say("<presence/>");
        }
    }

    // romeo subscribes to juliet's presence and juliet approves.
    void romeo_subscribes() {
        romeo->say("<presence to='juliet@localhost' type='subscribe'/>");
        juliet->say("<presence to='romeo@localhost' type='subscribed'/>");
        juliet->received();
        romeo->received();
    }
};

TEST_CASE("presence: a subscription is requested and approved, with roster pushes on both sides") {
    Verona v;
    const auto asked = v.romeo->say("<presence to='juliet@localhost' type='subscribe'/>");
    auto items = pushed_items(asked);
    REQUIRE(items.size() == 1);
    CHECK(items[0].attr_or("jid") == "juliet@localhost");
    CHECK(items[0].attr_or("subscription") == "none");
    CHECK(items[0].attr_or("ask") == "subscribe");
    CHECK(presence_from(v.juliet->received(), "romeo@localhost", "subscribe").size() == 1);

    items = pushed_items(v.juliet->say("<presence to='romeo@localhost' type='subscribed'/>"));
    REQUIRE(items.size() == 1);
    CHECK(items[0].attr_or("jid") == "romeo@localhost");
    CHECK(items[0].attr_or("subscription") == "from");

    const auto romeo_got = v.romeo->received();
    items = pushed_items(romeo_got);
    REQUIRE(items.size() == 1);
    CHECK(items[0].attr_or("subscription") == "to");
    CHECK(items[0].attr("ask") == nullptr);
    CHECK(presence_from(romeo_got, "juliet@localhost", "subscribed").size() == 1);
    // RFC 6121 §3.1.6: the new subscriber sees the contact's presence at once.
    CHECK(presence_from(romeo_got, "juliet@localhost/balcony").size() == 1);
}

TEST_CASE("presence: initial presence gets the contacts' presence from the server, and goes to subscribers only") {
    Verona v;
    v.romeo_subscribes();
    Client orchard(v.h, "romeo", "m0ntague", "orchard");
    const auto answer = orchard.say("<presence/>");
    CHECK(presence_from(answer, "juliet@localhost/balcony").size() == 1);  // the probe, answered locally
    CHECK(presence_from(answer, "romeo@localhost/garden").size() == 1);    // the user's other resource
    // juliet never subscribed to romeo's presence: it does not reach her.
    CHECK(presence_from(v.juliet->received(), "romeo@localhost/orchard").empty());
    CHECK(presence_from(v.romeo->received(), "romeo@localhost/orchard").size() == 1);
}

TEST_CASE("presence: a change, unavailability and a lost connection are broadcast to the subscribers") {
    Verona v;
    v.romeo_subscribes();

    v.juliet->say("<presence><show>away</show></presence>");
    auto seen = presence_from(v.romeo->received(), "juliet@localhost/balcony");
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].child_text("show") == "away");

    v.juliet->say("<presence type='unavailable'><status>Gone to Mantua</status></presence>");
    seen = presence_from(v.romeo->received(), "juliet@localhost/balcony", "unavailable");
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].child_text("status") == "Gone to Mantua");

    Client tomb(v.h, "juliet", "r0meo", "tomb");
    tomb.say("<presence/>");
    CHECK(presence_from(v.romeo->received(), "juliet@localhost/tomb").size() == 1);
    tomb.hang_up();
    CHECK(presence_from(v.romeo->received(), "juliet@localhost/tomb", "unavailable").size() == 1);
}

TEST_CASE("presence: a request made while the contact was away is delivered at its next initial presence") {
    test::C2sHarness h;
    test::add_account(h, "romeo", "m0ntague");
    Client romeo(h, "romeo", "m0ntague", "garden");
    romeo.say("<presence to='juliet@localhost' type='subscribe'/>");

    Client juliet(h, "juliet", "r0meo", "balcony");
    CHECK(presence_from(juliet.say("<presence/>"), "romeo@localhost", "subscribe").size() == 1);
}

}  // namespace presence_test
