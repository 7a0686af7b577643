// Module "muc" (XEP-0045) through real sessions: the service on
// conference.localhost is discovered from the host, rooms are entered,
// spoken in and left, and a session that ends leaves its rooms.
#include <doctest/doctest.h>

#include <algorithm>

#include "conversation.hpp"

namespace muc_session_test {

using test::Client;

const std::string room = "hall@conference.localhost";

std::string join_xml(std::string nick, std::string extra = {}) {
    return "<presence to='" + room + "/" + nick + "'><x xmlns='http://jabber.org/protocol/muc'>" + extra +
           "</x></presence>";
}

std::vector<int> codes(const xmpp::Element& stanza) {
    std::vector<int> out;
    if (const auto* x = stanza.child("x", xmpp::ns::muc_user))
        for (const auto& c : x->children())
            if (!c.is_text() && c.name() == "status") out.push_back(std::stoi(std::string(c.attr_or("code"))));
    return out;
}

struct Three {
    test::C2sHarness h;
    Three() {
        test::add_account(h, "romeo", "m0ntague");
        test::add_account(h, "nurse", "n0rse");
    }
};

TEST_CASE("muc: the host lists conference.localhost; the service and its rooms answer disco") {
    Three t;
    Client juliet(t.h, "juliet", "r0meo", "balcony");
    auto items = juliet.iq("get", "<query xmlns='http://jabber.org/protocol/disco#items'/>", "localhost");
    bool listed = false;
    for (const auto& c : items.child("query", xmpp::ns::disco_items)->children())
        if (!c.is_text() && c.attr_or("jid") == "conference.localhost") listed = true;
    CHECK(listed);
    auto info = juliet.iq("get", "<query xmlns='http://jabber.org/protocol/disco#info'/>", "conference.localhost");
    const auto* identity = info.child("query", xmpp::ns::disco_info)->child("identity");
    REQUIRE(identity != nullptr);
    CHECK(identity->attr_or("category") == "conference");
    CHECK(identity->attr_or("type") == "text");
    auto features = test::disco_features(info);
    CHECK(std::find(features.begin(), features.end(), "http://jabber.org/protocol/muc") != features.end());
    CHECK(test::error_condition(juliet.iq("get", "<query xmlns='http://jabber.org/protocol/disco#info'/>", room)) ==
          "item-not-found");

    juliet.say(join_xml("Juliet"));
    auto room_info = test::disco_features(
        juliet.iq("get", "<query xmlns='http://jabber.org/protocol/disco#info'/>", room));
    CHECK(std::find(room_info.begin(), room_info.end(), "muc_public") != room_info.end());
    auto public_rooms = juliet.iq("get", "<query xmlns='http://jabber.org/protocol/disco#items'/>",
                                  "conference.localhost");
    const auto* item = public_rooms.child("query", xmpp::ns::disco_items)->child("item");
    REQUIRE(item != nullptr);
    CHECK(item->attr_or("jid") == room);
}

TEST_CASE("muc: join, talk, private message and leave between two real sessions") {
    Three t;
    Client juliet(t.h, "juliet", "r0meo", "balcony");
    Client romeo(t.h, "romeo", "m0ntague", "phone");
    auto created = test::only(juliet.say(join_xml("Juliet")), "presence");
    REQUIRE(created.size() == 1);
    CHECK(codes(created[0]) == std::vector<int>{110, 201});

    auto joined = romeo.say(join_xml("Romeo"));
    auto presences = test::only(joined, "presence");
    REQUIRE(presences.size() == 2);
    CHECK(presences[0].attr_or("from") == room + "/Juliet");
    CHECK(presences[1].attr_or("from") == room + "/Romeo");
    CHECK(codes(presences[1]) == std::vector<int>{110});
    CHECK(test::only(juliet.received(), "presence").size() == 1);

    auto echo = romeo.say("<message to='" + room + "' type='groupchat' id='g1'><body>But soft!</body></message>");
    for (Client* c : {&juliet, &romeo}) {
        auto got = test::only(c == &romeo ? echo : c->received(), "message", "groupchat");
        REQUIRE(got.size() == 1);
        CHECK(got[0].attr_or("from") == room + "/Romeo");
        CHECK(got[0].attr_or("to") == c->jid());
        CHECK(got[0].child_text("body") == "But soft!");
    }
    romeo.say("<message to='" + room + "/Juliet' type='chat'><body>psst</body></message>");
    auto pm = test::only(juliet.received(), "message", "chat");
    REQUIRE(pm.size() == 1);
    CHECK(pm[0].attr_or("from") == room + "/Romeo");

    // An outsider may not speak.
    Client nurse(t.h, "nurse", "n0rse", "kitchen");
    auto refused = nurse.say("<message to='" + room + "' type='groupchat'><body>Juliet!</body></message>");
    REQUIRE(refused.size() == 1);
    CHECK(test::error_condition(refused[0]) == "not-acceptable");
    CHECK(test::only(juliet.received(), "message").empty());

    romeo.say("<presence to='" + room + "/Romeo' type='unavailable'/>");
    auto left = test::only(juliet.received(), "presence", "unavailable");
    REQUIRE(left.size() == 1);
    CHECK(left[0].attr_or("from") == room + "/Romeo");
}

TEST_CASE("muc: a session that ends leaves its rooms, and the others see it go; an empty room is gone") {
    Three t;
    Client juliet(t.h, "juliet", "r0meo", "balcony");
    Client romeo(t.h, "romeo", "m0ntague", "phone");
    juliet.say(join_xml("Juliet"));
    romeo.say(join_xml("Romeo"));
    juliet.received();
    romeo.hang_up();
    auto left = test::only(juliet.received(), "presence", "unavailable");
    REQUIRE(left.size() == 1);
    CHECK(left[0].attr_or("from") == room + "/Romeo");
    juliet.say("<presence to='" + room + "/Juliet' type='unavailable'/>");
    CHECK(test::error_condition(juliet.iq("get", "<query xmlns='http://jabber.org/protocol/disco#info'/>", room)) ==
          "item-not-found");
}

TEST_CASE("muc: a user is in at most max_rooms_per_user rooms") {
    conf::Config config = conf::default_config();
    config.modules.options["muc"]["max_rooms_per_user"] = 2;
    test::C2sHarness h(config);
    Client juliet(h, "juliet", "r0meo", "balcony");
    juliet.say("<presence to='a@conference.localhost/J'/>");
    juliet.say("<presence to='b@conference.localhost/J'/>");
    auto third = juliet.say("<presence to='c@conference.localhost/J'/>");
    REQUIRE(third.size() == 1);
    CHECK(test::error_condition(third[0]) == "resource-constraint");
    // Leaving one makes room for another.
    juliet.say("<presence to='a@conference.localhost/J' type='unavailable'/>");
    CHECK(test::error_condition(test::only(juliet.say("<presence to='c@conference.localhost/J'/>"), "presence").at(0))
              .empty());
}

TEST_CASE("muc: the module switched off serves no conference domain") {
    conf::Config config = conf::default_config();
    config.modules.disabled = {"muc"};
    test::C2sHarness h(config);
    Client juliet(h, "juliet", "r0meo", "balcony");
    auto items = juliet.iq("get", "<query xmlns='http://jabber.org/protocol/disco#items'/>", "localhost");
    for (const auto& c : items.child("query", xmpp::ns::disco_items)->children())
        if (!c.is_text()) CHECK(c.attr_or("jid") != "conference.localhost");
    auto refused = juliet.say(join_xml("Juliet"));
    CHECK(test::only(refused, "presence").empty());
}

}  // namespace muc_session_test

namespace muc_session_test {

TEST_CASE("muc: a persistent room stays when everyone leaves, is written to the store, and deleted when destroyed") {
    Three t;
    Client juliet(t.h, "juliet", "r0meo", "balcony");
    juliet.say(join_xml("Juliet"));
    auto configured = juliet.iq("set",
                                "<query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' "
                                "type='submit'><field var='muc#roomconfig_persistentroom'><value>1</value></field>"
                                "<field var='muc#roomconfig_roomname'><value>Hall</value></field></x></query>",
                                room);
    CHECK(configured.attr_or("type") == "result");
    juliet.say("<presence to='" + room + "/Juliet' type='unavailable'/>");
    auto info = juliet.iq("get", "<query xmlns='http://jabber.org/protocol/disco#info'/>", room);
    CHECK(info.attr_or("type") == "result");
    auto rows = t.h.services.stores->muc().load(10);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].name == "hall");
    CHECK(rows[0].config.find("Hall") != std::string::npos);
    REQUIRE(rows[0].affiliations.size() == 1);
    CHECK(rows[0].affiliations[0] == std::pair<std::string, std::string>{"juliet@localhost", "owner"});

    // The owner comes back (no 201) and destroys it.
    auto back = test::only(juliet.say(join_xml("Juliet")), "presence");
    REQUIRE(back.size() == 1);
    CHECK(codes(back[0]) == std::vector<int>{110});
    juliet.iq("set", "<query xmlns='http://jabber.org/protocol/muc#owner'><destroy/></query>", room);
    CHECK(t.h.services.stores->muc().load(10).empty());
    CHECK(test::error_condition(juliet.iq("get", "<query xmlns='http://jabber.org/protocol/disco#info'/>", room)) ==
          "item-not-found");
}

}  // namespace muc_session_test

namespace muc_session_test {

TEST_CASE("muc: an occupant's vCard query reaches the other occupant's client and its answer comes back") {
    Three t;
    Client juliet(t.h, "juliet", "r0meo", "balcony");
    Client romeo(t.h, "romeo", "m0ntague", "phone");
    juliet.say(join_xml("Juliet"));
    romeo.say(join_xml("Romeo"));
    juliet.received();
    romeo.say("<iq type='get' id='v1' to='" + room + "/Juliet'><vCard xmlns='vcard-temp'/></iq>");
    auto asked = test::only(juliet.received(), "iq", "get");
    REQUIRE(asked.size() == 1);
    CHECK(asked[0].attr_or("from") == room + "/Romeo");
    juliet.say("<iq type='result' id='" + std::string(asked[0].attr_or("id")) + "' to='" + room +
               "/Romeo'><vCard xmlns='vcard-temp'><FN>Juliet</FN></vCard></iq>");
    auto got = test::only(romeo.received(), "iq", "result");
    REQUIRE(got.size() == 1);
    CHECK(got[0].attr_or("id") == "v1");
    CHECK(got[0].attr_or("from") == room + "/Juliet");
    CHECK(got[0].child("vCard", "vcard-temp") != nullptr);
}

}  // namespace muc_session_test
