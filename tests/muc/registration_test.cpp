// Nick registration with a room (XEP-0045 §7.10, muc/registration.hpp and the
// room): the form, registering makes a member and reserves the nick (others
// entering or changing to it get conflict), re-registering, removing,
// the reserved nick in disco (§7.12) and the member list, bad forms, and
// the registration kept in the room's stored state.
#include <doctest/doctest.h>

#include <string>

#include "fixture.hpp"
#include "muc/registration.hpp"

namespace muc_registration_test {

using namespace muc_test;

namespace {

const std::string romeo = "romeo@localhost/phone";
const std::string juliet = "juliet@localhost/balcony";
const std::string nurse = "nurse@localhost/kitchen";
const std::string room_jid = "hall@conference.localhost";

std::string form(std::string nick, std::string form_type = "http://jabber.org/protocol/muc#register") {
    return "<query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='submit'>"
           "<field var='FORM_TYPE'><value>" + form_type + "</value></field>"
           "<field var='muc#register_roomnick'><value>" + nick + "</value></field></x></query>";
}

}  // namespace

TEST_CASE("registration: the form, then registering reserves the nick and makes a member") {
    RoomFixture f;
    f.join(romeo, "Romeo");
    auto get = f.iq(juliet, "get", "<query xmlns='jabber:iq:register'/>");
    REQUIRE(get.size() == 1);
    const auto* query = get[0].stanza.child("query", xmpp::ns::register_query);
    REQUIRE(query != nullptr);
    CHECK(query->child("registered", xmpp::ns::register_query) == nullptr);
    CHECK(query->child("x", xmpp::ns::data_forms) != nullptr);

    auto set = f.iq(juliet, "set", form("Juliet"));
    REQUIRE(set.size() == 1);
    CHECK(set[0].stanza.attr_or("type") == "result");
    CHECK(f.room.affiliation_of(jid("juliet@localhost")) == muc::Affiliation::member);
    get = f.iq(juliet, "get", "<query xmlns='jabber:iq:register'/>");
    query = get.at(0).stanza.child("query", xmpp::ns::register_query);
    CHECK(query->child("registered", xmpp::ns::register_query) != nullptr);
    CHECK(query->child_text("username", xmpp::ns::register_query) == "Juliet");

    // Reserved: another user may not enter with it, nor change to it, nor register it.
    CHECK(error_of(f.join(nurse, "Juliet").at(0).stanza) == "conflict");
    f.join(nurse, "Nurse");
    CHECK(error_of(f.join(nurse, "Juliet").at(0).stanza) == "conflict");
    CHECK(error_of(f.iq(nurse, "set", form("Juliet")).at(0).stanza) == "conflict");
    // Nor a nick an occupant of another user holds.
    CHECK(error_of(f.iq(juliet, "set", form("Nurse")).at(0).stanza) == "conflict");
    // Its owner may.
    auto entered = to(f.join(juliet, "Juliet"), juliet);
    CHECK(error_of(entered.at(0).stanza).empty());
    CHECK(f.room.has_session(jid(juliet)));

    // §7.12 and the member list name it.
    auto disco = f.iq(juliet, "get", "<query xmlns='http://jabber.org/protocol/disco#info' node='x-roomuser-item'/>");
    const auto* identity = disco.at(0).stanza.child("query")->child("identity");
    REQUIRE(identity != nullptr);
    CHECK(identity->attr_or("name") == "Juliet");
    auto members = f.iq(romeo, "get",
                        "<query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='member'/></query>");
    const auto* item = members.at(0).stanza.child("query")->child("item");
    REQUIRE(item != nullptr);
    CHECK(item->attr_or("nick") == "Juliet");
}

TEST_CASE("registration: re-registering moves the reservation; removing frees it and ends the membership") {
    RoomFixture f;
    f.join(romeo, "Romeo");
    f.iq(juliet, "set", form("Juliet"));
    CHECK(f.iq(juliet, "set", form("Jules")).at(0).stanza.attr_or("type") == "result");
    f.join(nurse, "Juliet");
    CHECK(f.room.has_session(jid(nurse)));
    CHECK(error_of(f.join("other@localhost/x", "Jules").at(0).stanza) == "conflict");
    CHECK(f.iq(juliet, "set", "<query xmlns='jabber:iq:register'><remove/></query>").at(0).stanza.attr_or("type") ==
          "result");
    CHECK(f.room.affiliation_of(jid("juliet@localhost")) == muc::Affiliation::none);
    CHECK(error_of(f.iq(juliet, "set", "<query xmlns='jabber:iq:register'><remove/></query>").at(0).stanza) ==
          "item-not-found");
    f.join("other@localhost/x", "Jules");
    CHECK(f.room.has_session(jid("other@localhost/x")));
}

TEST_CASE("registration: a banned user, a non-member of a members-only room and bad forms are refused") {
    RoomFixture f;
    f.join(romeo, "Romeo");
    CHECK(error_of(f.iq(juliet, "set", form("")).at(0).stanza) == "not-acceptable");
    CHECK(error_of(f.iq(juliet, "set", form("abcdefghijklmnopqrstu")).at(0).stanza) == "not-acceptable");
    CHECK(error_of(f.iq(juliet, "set", form("Juliet", "urn:other")).at(0).stanza) == "bad-request");
    CHECK(error_of(f.iq(juliet, "set", "<query xmlns='jabber:iq:register'/>").at(0).stanza) == "bad-request");
    CHECK(f.iq(juliet, "set",
               "<query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='cancel'/></query>")
              .at(0)
              .stanza.attr_or("type") == "result");
    CHECK(f.room.affiliation_of(jid("juliet@localhost")) == muc::Affiliation::none);
    f.iq(romeo, "set",
         "<query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='outcast' jid='nurse@localhost'/>"
         "</query>");
    CHECK(error_of(f.iq(nurse, "set", form("Nurse")).at(0).stanza) == "forbidden");
    f.iq(romeo, "set",
         "<query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'>"
         "<field var='muc#roomconfig_membersonly'><value>1</value></field></x></query>");
    CHECK(error_of(f.iq(juliet, "set", form("Juliet")).at(0).stanza) == "registration-required");
}

TEST_CASE("registration: a ban or the loss of membership drops the nick; the state keeps it") {
    RoomFixture f;
    f.join(romeo, "Romeo");
    f.iq(juliet, "set", form("Juliet"));
    auto state = f.room.state();
    REQUIRE(state.nicks.size() == 1);
    CHECK(state.nicks[0] == std::pair<std::string, std::string>{"juliet@localhost", "Juliet"});
    muc::Room restored(jid(room_jid), state, "key", test_limits());
    muc::Outbox out;
    xmpp::Element presence =
        xml("<presence xmlns='jabber:client'><x xmlns='http://jabber.org/protocol/muc'/></presence>");
    restored.handle(presence, jid(nurse), jid(room_jid + "/Juliet"), f.now, out);
    CHECK_FALSE(restored.has_session(jid(nurse)));

    f.iq(romeo, "set",
         "<query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='none' jid='juliet@localhost'/>"
         "</query>");
    CHECK(f.room.state().nicks.empty());
    f.join(nurse, "Juliet");
    CHECK(f.room.has_session(jid(nurse)));
}

TEST_CASE("registration: parse_registration resourcepreps the nick") {
    auto room = jid(room_jid);
    auto parsed = muc::parse_registration(xml(form("Ju\u00c9liet")), room, 64);
    REQUIRE(parsed);
    CHECK(parsed->kind == muc::RegistrationRequest::Kind::register_nick);
    CHECK(parsed->nick == "Ju\u00c9liet");
    CHECK_FALSE(muc::parse_registration(xml(form("a/b@c\x7f")), room, 64));
}

}  // namespace muc_registration_test
