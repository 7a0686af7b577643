// The room core (muc/room.hpp) without sockets: joins and the order of what
// a joiner gets, nick conflicts and changes, leaving, multi-session nicks,
// groupchat order, subject, history, private messages, the errors for
// non-occupants, the owner's configuration and destruction, kick and ban.
#include <doctest/doctest.h>

#include <algorithm>

#include "fixture.hpp"
#include "xmpp/datetime.hpp"

namespace muc_test {

const std::string romeo = "romeo@localhost/phone";
const std::string juliet = "juliet@localhost/balcony";
const std::string juliet2 = "juliet@localhost/laptop";
const std::string nurse = "nurse@localhost/kitchen";
const std::string room_jid = "hall@conference.localhost";

TEST_CASE("room: the first joiner creates the room and owns it (201, 110), with an empty subject") {
    RoomFixture f;
    auto sent = f.join(romeo, "Romeo");
    REQUIRE(sent.size() == 2);
    CHECK(sent[0].to == romeo);
    CHECK(sent[0].stanza.attr_or("from") == room_jid + "/Romeo");
    CHECK(codes(sent[0].stanza) == std::vector<int>{110, 201});
    REQUIRE(item(sent[0].stanza) != nullptr);
    CHECK(item(sent[0].stanza)->attr_or("affiliation") == "owner");
    CHECK(item(sent[0].stanza)->attr_or("role") == "moderator");
    CHECK(sent[0].stanza.child("occupant-id", xmpp::ns::occupant_id) != nullptr);
    CHECK(sent[1].stanza.name() == "message");
    CHECK(sent[1].stanza.child("subject") != nullptr);
    CHECK(sent[1].stanza.child_text("subject").empty());
    CHECK(f.room.affiliation_of(jid("romeo@localhost")) == muc::Affiliation::owner);
}

TEST_CASE("room: a joiner gets the occupants first, its own presence last; the others get its presence") {
    RoomFixture f;
    f.join(romeo, "Romeo");
    auto sent = f.join(juliet, "Juliet");
    auto mine = to(sent, juliet);
    REQUIRE(mine.size() == 3);
    CHECK(mine[0].stanza.attr_or("from") == room_jid + "/Romeo");
    CHECK(codes(mine[0].stanza).empty());
    // Semi-anonymous: a participant does not see real JIDs.
    CHECK(item(mine[0].stanza)->attr("jid") == nullptr);
    CHECK(mine[1].stanza.attr_or("from") == room_jid + "/Juliet");
    CHECK(codes(mine[1].stanza) == std::vector<int>{110});
    CHECK(item(mine[1].stanza)->attr_or("role") == "participant");
    CHECK(item(mine[1].stanza)->attr_or("affiliation") == "none");
    CHECK(mine[2].stanza.name() == "message");
    auto romeos = to(sent, romeo);
    REQUIRE(romeos.size() == 1);
    CHECK(romeos[0].stanza.attr_or("from") == room_jid + "/Juliet");
    // Romeo, a moderator, sees Juliet's real JID.
    CHECK(item(romeos[0].stanza)->attr_or("jid") == juliet);
    // Sessions' occupant ids differ between users and stay put.
    CHECK(f.room.occupant_id(jid("juliet@localhost")) != f.room.occupant_id(jid("romeo@localhost")));
    CHECK(f.room.occupant_id(jid("juliet@localhost")) == f.room.occupant_id(jid("juliet@localhost/other")));
}

TEST_CASE("room: a nick taken by another user is a conflict; a long nick is not acceptable") {
    RoomFixture f;
    f.join(romeo, "Romeo");
    auto sent = f.join(juliet, "Romeo");
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].stanza.attr_or("type") == "error");
    CHECK(error_of(sent[0].stanza) == "conflict");
    CHECK(sent[0].stanza.attr_or("from") == room_jid + "/Romeo");
    CHECK(error_of(f.join(juliet, "abcdefghijklmnopq")[0].stanza) == "not-acceptable");
    CHECK(error_of(f.say(juliet, room_jid, "<presence xmlns='jabber:client'/>")[0].stanza) == "jid-malformed");
    CHECK_FALSE(f.room.has_session(jid(juliet)));
}

TEST_CASE("room: the same user joins one nick from two sessions; each leaves alone, the last takes the nick away") {
    RoomFixture f;
    f.join(romeo, "Romeo");
    f.join(juliet, "Juliet");
    auto second = f.join(juliet2, "Juliet");
    CHECK_FALSE(to(second, juliet2).empty());
    CHECK(codes(to(second, juliet2).at(to(second, juliet2).size() - 2).stanza) == std::vector<int>{110});
    CHECK(f.room.occupant_count() == 2);
    // A groupchat message reaches both sessions.
    auto said = f.groupchat(romeo, "hi");
    CHECK(to(said, juliet).size() == 1);
    CHECK(to(said, juliet2).size() == 1);
    // One session leaves: Romeo sees no unavailable presence.
    auto left = f.say(juliet, room_jid + "/Juliet", "<presence xmlns='jabber:client' type='unavailable'/>");
    CHECK(to(left, juliet).at(0).stanza.attr_or("type") == "unavailable");
    for (const auto& s : to(left, romeo)) CHECK(s.stanza.attr_or("type") != "unavailable");
    CHECK(f.room.occupant_count() == 2);
    {
        muc::Outbox out;
        f.room.session_ended(jid(juliet2), out);
        REQUIRE(out.size() == 2);
        CHECK(out[0].stanza->attr_or("type") == "unavailable");
        CHECK(f.room.occupant_count() == 1);
    }
}

TEST_CASE("room: a nick change is unavailable with 303 and the new nick, then presence under the new nick") {
    RoomFixture f;
    f.join(romeo, "Romeo");
    f.join(juliet, "Juliet");
    auto sent = f.say(juliet, room_jid + "/Jules", "<presence xmlns='jabber:client'/>");
    auto romeos = to(sent, romeo);
    REQUIRE(romeos.size() == 2);
    CHECK(romeos[0].stanza.attr_or("type") == "unavailable");
    CHECK(romeos[0].stanza.attr_or("from") == room_jid + "/Juliet");
    CHECK(codes(romeos[0].stanza) == std::vector<int>{303});
    CHECK(item(romeos[0].stanza)->attr_or("nick") == "Jules");
    CHECK(romeos[1].stanza.attr_or("from") == room_jid + "/Jules");
    auto mine = to(sent, juliet);
    REQUIRE(mine.size() == 2);
    CHECK(codes(mine[0].stanza) == std::vector<int>{110, 303});
    CHECK(codes(mine[1].stanza) == std::vector<int>{110});
    // Taken nicks stay taken.
    CHECK(error_of(f.say(juliet, room_jid + "/Romeo", "<presence xmlns='jabber:client'/>")[0].stanza) == "conflict");
}

TEST_CASE("room: groupchat goes to every occupant from room/nick with the client's id; non-occupants are refused") {
    RoomFixture f;
    f.join(romeo, "Romeo");
    f.join(juliet, "Juliet");
    auto sent = f.groupchat(juliet, "hello", "m1");
    REQUIRE(sent.size() == 2);
    for (const auto& s : sent) {
        CHECK(s.stanza.attr_or("from") == room_jid + "/Juliet");
        CHECK(s.stanza.attr_or("id") == "m1");
        CHECK(s.stanza.child_text("body") == "hello");
        CHECK(s.stanza.child("occupant-id", xmpp::ns::occupant_id)->attr_or("id") ==
              f.room.occupant_id(jid("juliet@localhost")));
    }
    auto refused = f.groupchat(nurse, "let me in");
    REQUIRE(refused.size() == 1);
    CHECK(refused[0].to == nurse);
    CHECK(error_of(refused[0].stanza) == "not-acceptable");
    CHECK(error_of(f.say(juliet, room_jid + "/Romeo",
                         "<message xmlns='jabber:client' type='groupchat'><body>x</body></message>")[0]
                       .stanza) == "bad-request");
}

TEST_CASE("room: a client's own occupant-id and MUC elements are not reflected") {
    RoomFixture f;
    f.join(romeo, "Romeo");
    auto sent = f.say(romeo, room_jid,
                      "<message xmlns='jabber:client' type='groupchat'><body>b</body>"
                      "<occupant-id xmlns='urn:xmpp:occupant-id:0' id='forged'/></message>");
    REQUIRE(sent.size() == 1);
    std::size_t ids = 0;
    for (const auto& c : sent[0].stanza.children())
        if (!c.is_text() && c.name() == "occupant-id") {
            ++ids;
            CHECK(c.attr_or("id") != "forged");
        }
    CHECK(ids == 1);
}

TEST_CASE("room: the subject is set by moderators, reflected, and sent to joiners after the history") {
    RoomFixture f;
    f.join(romeo, "Romeo");
    f.join(juliet, "Juliet");
    auto refused = f.say(juliet, room_jid, "<message xmlns='jabber:client' type='groupchat'><subject>Mine</subject></message>");
    CHECK(error_of(refused.at(0).stanza) == "forbidden");
    auto set = f.say(romeo, room_jid, "<message xmlns='jabber:client' type='groupchat'><subject>Verona</subject></message>");
    CHECK(set.size() == 2);
    f.groupchat(romeo, "one");
    auto joined = f.join(nurse, "Nurse");
    auto mine = to(joined, nurse);
    REQUIRE(mine.size() == 5);  // two occupants, itself, one history message, the subject
    CHECK(mine[3].stanza.child_text("body") == "one");
    CHECK(mine[4].stanza.child_text("subject") == "Verona");
    CHECK(mine[4].stanza.attr_or("from") == room_jid + "/Romeo");
}

TEST_CASE("room: history on join carries delay stamps and honours maxstanzas, maxchars, seconds and since") {
    RoomFixture f;
    f.join(romeo, "Romeo");
    for (int i = 0; i < 5; ++i) {
        f.groupchat(romeo, "m" + std::to_string(i));
        f.now += std::chrono::seconds(60);
    }
    auto history = [&](std::string spec) {
        auto sent = to(f.join(juliet, "Juliet", spec), juliet);
        std::vector<std::string> bodies;
        for (const auto& s : sent)
            if (s.stanza.name() == "message" && s.stanza.child("body")) {
                const auto* delay = s.stanza.child("delay", xmpp::ns::delay);
                CHECK(delay != nullptr);
                if (delay) CHECK(delay->attr_or("from") == room_jid);
                bodies.push_back(s.stanza.child_text("body"));
            }
        muc::Outbox out;
        f.room.session_ended(jid(juliet), out);
        return bodies;
    };
    CHECK(history("") == std::vector<std::string>{"m0", "m1", "m2", "m3", "m4"});
    CHECK(history("<history maxstanzas='2'/>") == std::vector<std::string>{"m3", "m4"});
    CHECK(history("<history maxstanzas='0'/>").empty());
    CHECK(history("<history seconds='130'/>") == std::vector<std::string>{"m3", "m4"});
    const auto m2_stamp = std::chrono::duration_cast<std::chrono::seconds>(f.now.time_since_epoch()).count() - 180;
    CHECK(history("<history since='" + xmpp::xep82_datetime(m2_stamp) + "'/>") ==
          std::vector<std::string>{"m2", "m3", "m4"});
    CHECK(history("<history maxchars='0'/>").empty());
    CHECK(history("<history maxchars='1000000'/>").size() == 5);
    CHECK(error_of(f.join(juliet, "Juliet", "<history maxstanzas='-1'/>").at(0).stanza) == "bad-request");
}

TEST_CASE("room: private messages go to every session of the occupant with <x/> and from room/nick") {
    RoomFixture f;
    f.join(romeo, "Romeo");
    f.join(juliet, "Juliet");
    f.join(juliet2, "Juliet");
    auto sent = f.say(romeo, room_jid + "/Juliet", "<message xmlns='jabber:client' type='chat'><body>psst</body></message>");
    REQUIRE(sent.size() == 2);
    for (const auto& s : sent) {
        CHECK(s.stanza.attr_or("from") == room_jid + "/Romeo");
        CHECK(s.stanza.child("x", xmpp::ns::muc_user) != nullptr);
    }
    CHECK(error_of(f.say(romeo, room_jid + "/Tybalt", "<message xmlns='jabber:client' type='chat'><body>?</body></message>")[0].stanza) == "item-not-found");
    CHECK(error_of(f.say(nurse, room_jid + "/Juliet", "<message xmlns='jabber:client' type='chat'><body>?</body></message>")[0].stanza) == "not-acceptable");
}

TEST_CASE("room: self-ping is answered for occupants and refused for others") {
    RoomFixture f;
    f.join(romeo, "Romeo");
    auto pong = f.iq(romeo, "get", "<ping xmlns='urn:xmpp:ping'/>", room_jid + "/Romeo");
    REQUIRE(pong.size() == 1);
    CHECK(pong[0].stanza.attr_or("type") == "result");
    CHECK(error_of(f.iq(nurse, "get", "<ping xmlns='urn:xmpp:ping'/>", room_jid + "/Romeo")[0].stanza) ==
          "not-acceptable");
}

TEST_CASE("room: the owner gets and submits the configuration form; others may not") {
    RoomFixture f;
    f.join(romeo, "Romeo");
    f.join(juliet, "Juliet");
    auto form = f.iq(romeo, "get", "<query xmlns='http://jabber.org/protocol/muc#owner'/>");
    REQUIRE(form.size() == 1);
    CHECK(form[0].stanza.attr_or("type") == "result");
    CHECK(form[0].stanza.child("query", xmpp::ns::muc_owner)->child("x", xmpp::ns::data_forms) != nullptr);
    CHECK(error_of(f.iq(juliet, "get", "<query xmlns='http://jabber.org/protocol/muc#owner'/>")[0].stanza) ==
          "forbidden");
    auto submit = f.iq(romeo, "set",
                       "<query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'>"
                       "<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field>"
                       "<field var='muc#roomconfig_roomname'><value>The Hall</value></field>"
                       "<field var='muc#roomconfig_whois'><value>anyone</value></field>"
                       "</x></query>");
    CHECK(submit.at(0).stanza.attr_or("type") == "result");
    CHECK(f.room.config().name == "The Hall");
    // Both occupants hear 104 and 172.
    auto notice = to(submit, juliet);
    REQUIRE(notice.size() == 1);
    CHECK(codes(notice[0].stanza) == std::vector<int>{104, 172});
    // A joiner of a non-anonymous room gets 100.
    auto joined = to(f.join(nurse, "Nurse"), nurse);
    CHECK(codes(joined.at(2).stanza) == std::vector<int>{100, 110});
    CHECK(item(joined.at(0).stanza)->attr("jid") != nullptr);
}

TEST_CASE("room: members-only, password and full rooms refuse with their errors") {
    RoomFixture f;
    f.join(romeo, "Romeo");
    f.iq(romeo, "set",
         "<query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'>"
         "<field var='muc#roomconfig_membersonly'><value>1</value></field>"
         "<field var='muc#roomconfig_roomsecret'><value>capulet</value></field>"
         "<field var='muc#roomconfig_maxusers'><value>2</value></field></x></query>");
    CHECK(error_of(f.join(juliet, "Juliet").at(0).stanza) == "registration-required");
    f.iq(romeo, "set",
         "<query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='member' jid='juliet@localhost'/>"
         "<item affiliation='member' jid='nurse@localhost'/></query>");
    CHECK(error_of(f.join(juliet, "Juliet").at(0).stanza) == "not-authorized");
    CHECK(to(f.join(juliet, "Juliet", "<password>capulet</password>"), juliet).size() == 3);
    auto full = f.join(nurse, "Nurse", "<password>capulet</password>").at(0).stanza;
    CHECK(error_of(full) == "service-unavailable");
    CHECK(full.child("error")->attr_or("type") == "wait");
}

TEST_CASE("room: a moderator kicks (307), an admin bans (301); the banned cannot return; the last owner stays") {
    RoomFixture f;
    f.join(romeo, "Romeo");
    f.join(juliet, "Juliet");
    f.join(nurse, "Nurse");
    auto kicked = f.iq(romeo, "set",
                       "<query xmlns='http://jabber.org/protocol/muc#admin'><item nick='Nurse' role='none'>"
                       "<reason>Enough</reason></item></query>");
    auto nurses = to(kicked, nurse);
    REQUIRE(nurses.size() == 1);
    CHECK(nurses[0].stanza.attr_or("type") == "unavailable");
    CHECK(codes(nurses[0].stanza) == std::vector<int>{110, 307});
    CHECK(item(nurses[0].stanza)->child_text("reason") == "Enough");
    CHECK(item(nurses[0].stanza)->child("actor")->attr_or("nick") == "Romeo");
    CHECK(codes(to(kicked, juliet).at(0).stanza) == std::vector<int>{307});
    CHECK_FALSE(f.room.has_session(jid(nurse)));
    // A participant may not kick.
    CHECK(error_of(f.iq(juliet, "set",
                        "<query xmlns='http://jabber.org/protocol/muc#admin'><item nick='Romeo' role='none'/></query>")
                       .at(0)
                       .stanza) == "forbidden");
    auto banned = f.iq(romeo, "set",
                       "<query xmlns='http://jabber.org/protocol/muc#admin'>"
                       "<item affiliation='outcast' jid='juliet@localhost'/></query>");
    CHECK(codes(to(banned, juliet).at(0).stanza) == std::vector<int>{110, 301});
    CHECK(error_of(f.join(juliet, "Juliet").at(0).stanza) == "forbidden");
    auto outcasts = f.iq(romeo, "get", "<query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='outcast'/></query>");
    CHECK(outcasts.at(0).stanza.child("query", xmpp::ns::muc_admin)->child("item")->attr_or("jid") == "juliet@localhost");
    CHECK(error_of(f.iq(romeo, "set",
                        "<query xmlns='http://jabber.org/protocol/muc#admin'>"
                        "<item affiliation='none' jid='romeo@localhost'/></query>")
                       .at(0)
                       .stanza) == "conflict");
}

TEST_CASE("room: moderated rooms give voice; visitors may not speak until granted") {
    RoomFixture f;
    f.join(romeo, "Romeo");
    f.iq(romeo, "set",
         "<query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'>"
         "<field var='muc#roomconfig_moderatedroom'><value>1</value></field></x></query>");
    auto joined = to(f.join(juliet, "Juliet"), juliet);
    CHECK(item(joined.at(1).stanza)->attr_or("role") == "visitor");
    CHECK(error_of(f.groupchat(juliet, "may I?").at(0).stanza) == "forbidden");
    f.iq(romeo, "set", "<query xmlns='http://jabber.org/protocol/muc#admin'><item nick='Juliet' role='participant'/></query>");
    CHECK(f.groupchat(juliet, "thanks").size() == 2);
}

TEST_CASE("room: the owner destroys the room with a reason and an alternate venue") {
    RoomFixture f;
    f.join(romeo, "Romeo");
    f.join(juliet, "Juliet");
    auto sent = f.iq(romeo, "set",
                     "<query xmlns='http://jabber.org/protocol/muc#owner'><destroy jid='crypt@conference.localhost'>"
                     "<reason>Moving</reason></destroy></query>");
    auto mine = to(sent, juliet);
    REQUIRE(mine.size() == 1);
    const auto* destroy = mine[0].stanza.child("x", xmpp::ns::muc_user)->child("destroy", xmpp::ns::muc_user);
    REQUIRE(destroy != nullptr);
    CHECK(destroy->attr_or("jid") == "crypt@conference.localhost");
    CHECK(destroy->child_text("reason") == "Moving");
    CHECK(f.room.destroyed());
    CHECK(f.room.empty());
}

TEST_CASE("room: a mediated invitation reaches the invitee from the room; an admin's invitation makes a member") {
    RoomFixture f;
    f.join(romeo, "Romeo");
    f.iq(romeo, "set",
         "<query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'>"
         "<field var='muc#roomconfig_membersonly'><value>1</value></field></x></query>");
    auto sent = f.say(romeo, room_jid,
                      "<message xmlns='jabber:client'><x xmlns='http://jabber.org/protocol/muc#user'>"
                      "<invite to='juliet@localhost'><reason>Come</reason></invite></x></message>");
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].to == "juliet@localhost");
    const auto* invite = sent[0].stanza.child("x", xmpp::ns::muc_user)->child("invite", xmpp::ns::muc_user);
    CHECK(invite->attr_or("from") == "romeo@localhost");
    CHECK(invite->child_text("reason") == "Come");
    CHECK(f.room.affiliation_of(jid("juliet@localhost")) == muc::Affiliation::member);
    CHECK(error_of(f.say(nurse, room_jid,
                         "<message xmlns='jabber:client'><x xmlns='http://jabber.org/protocol/muc#user'>"
                         "<invite to='juliet@localhost'/></x></message>")
                       .at(0)
                       .stanza) == "not-acceptable");
}

TEST_CASE("room: the message rate per occupant is bounded") {
    auto limits = test_limits();
    limits.message_rate = 1;
    limits.message_burst = 2;
    RoomFixture f(limits);
    f.join(romeo, "Romeo");
    CHECK(f.groupchat(romeo, "1").at(0).stanza.attr_or("type") == "groupchat");
    CHECK(f.groupchat(romeo, "2").at(0).stanza.attr_or("type") == "groupchat");
    auto refused = f.groupchat(romeo, "3").at(0).stanza;
    CHECK(error_of(refused) == "policy-violation");
    f.now += std::chrono::seconds(1);
    CHECK(f.groupchat(romeo, "4").at(0).stanza.attr_or("type") == "groupchat");
}

TEST_CASE("room: disco#info lists the features of the configuration") {
    RoomFixture f;
    f.join(romeo, "Romeo");
    const auto info = f.room.disco_info();
    std::vector<std::string> features;
    for (const auto& c : info.children())
        if (!c.is_text() && c.name() == "feature") features.push_back(std::string(c.attr_or("var")));
    for (std::string_view var : {"http://jabber.org/protocol/muc", "muc_public", "muc_temporary", "muc_open",
                                 "muc_unmoderated", "muc_semianonymous", "muc_unsecured", "urn:xmpp:occupant-id:0"})
        CHECK_MESSAGE(std::find(features.begin(), features.end(), std::string(var)) != features.end(), var);
}

}  // namespace muc_test

namespace muc_test {

TEST_CASE("room: state() holds configuration, affiliations and subject; a restored room is not created anew") {
    RoomFixture f;
    f.join(romeo, "Romeo");
    const auto start = f.room.revision();
    f.say(romeo, room_jid, "<message xmlns='jabber:client' type='groupchat'><subject>Verona</subject></message>");
    CHECK(f.room.revision() > start);
    f.iq(romeo, "set", "<query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='member' jid='juliet@localhost'/></query>");
    const auto state = f.room.state();
    CHECK(state.affiliations.size() == 2);
    REQUIRE(state.subject.has_value());
    CHECK(state.subject->child_text("subject") == "Verona");

    muc::Room restored(jid(room_jid), state, f.room.occupant_id_key(), test_limits());
    CHECK(restored.affiliation_of(jid("juliet@localhost")) == muc::Affiliation::member);
    CHECK(restored.occupant_id(jid("romeo@localhost")) == f.room.occupant_id(jid("romeo@localhost")));
    xmpp::Element join = xml("<presence xmlns='jabber:client'><x xmlns='http://jabber.org/protocol/muc'/></presence>");
    muc::Outbox out;
    restored.handle(join, jid(juliet), jid(room_jid + "/Juliet"), f.now, out);
    REQUIRE(out.size() == 2);
    CHECK(codes(*out[0].stanza) == std::vector<int>{110});  // no 201: the room was there
    CHECK(item(*out[0].stanza)->attr_or("affiliation") == "member");
    CHECK(out[1].stanza->child_text("subject") == "Verona");
}

}  // namespace muc_test

namespace muc_test {

TEST_CASE("room: a deleted account leaves and loses its affiliation; ownership passes to admins, else the room goes") {
    RoomFixture f;
    f.join(romeo, "Romeo");
    f.join(juliet, "Juliet");
    f.iq(romeo, "set", "<query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='admin' jid='juliet@localhost'/></query>");
    muc::Outbox out;
    f.room.account_removed(jid("romeo@localhost"), out);
    CHECK_FALSE(f.room.has_session(jid(romeo)));
    CHECK(f.room.affiliation_of(jid("romeo@localhost")) == muc::Affiliation::none);
    CHECK(f.room.affiliation_of(jid("juliet@localhost")) == muc::Affiliation::owner);
    CHECK_FALSE(f.room.destroyed());

    out.clear();
    f.room.account_removed(jid("juliet@localhost"), out);
    CHECK(f.room.destroyed());
    CHECK(f.room.empty());
}

}  // namespace muc_test

namespace muc_test {

TEST_CASE("room: a query to another occupant passes to its session and the answer comes back with the asker's id") {
    RoomFixture f;
    f.join(romeo, "Romeo");
    f.join(juliet, "Juliet");
    f.join(juliet2, "Juliet");  // the latest session is asked
    auto sent = f.say(romeo, room_jid + "/Juliet",
                      "<iq xmlns='jabber:client' type='get' id='v1'><vCard xmlns='vcard-temp'/></iq>");
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].to == juliet2);
    CHECK(sent[0].stanza.attr_or("from") == room_jid + "/Romeo");
    const std::string room_id(sent[0].stanza.attr_or("id"));
    CHECK(room_id != "v1");
    CHECK(sent[0].stanza.child("vCard", "vcard-temp") != nullptr);

    // Another session may not answer for it; the one asked may, once.
    CHECK(f.say(juliet, room_jid + "/Romeo", "<iq xmlns='jabber:client' type='result' id='" + room_id + "'/>").empty());
    auto answer = f.say(juliet2, room_jid + "/Romeo",
                        "<iq xmlns='jabber:client' type='result' id='" + room_id +
                            "'><vCard xmlns='vcard-temp'><FN>J</FN></vCard></iq>");
    REQUIRE(answer.size() == 1);
    CHECK(answer[0].to == romeo);
    CHECK(answer[0].stanza.attr_or("id") == "v1");
    CHECK(answer[0].stanza.attr_or("from") == room_jid + "/Juliet");
    CHECK(answer[0].stanza.attr_or("type") == "result");
    CHECK(f.say(juliet2, room_jid + "/Romeo", "<iq xmlns='jabber:client' type='result' id='" + room_id + "'/>").empty());

    // Strangers are refused; a nick not in the room is item-not-found.
    CHECK(error_of(f.say(nurse, room_jid + "/Juliet", "<iq xmlns='jabber:client' type='get' id='x'><vCard xmlns='vcard-temp'/></iq>")[0].stanza) == "not-acceptable");
    CHECK(error_of(f.say(romeo, room_jid + "/Tybalt", "<iq xmlns='jabber:client' type='get' id='x'><vCard xmlns='vcard-temp'/></iq>")[0].stanza) == "item-not-found");
}

TEST_CASE("room: queries in flight are bounded and forgotten after the timeout") {
    auto limits = test_limits();
    limits.max_pending_iqs = 2;
    RoomFixture f(limits);
    f.join(romeo, "Romeo");
    f.join(juliet, "Juliet");
    const std::string q = "<iq xmlns='jabber:client' type='get' id='v'><vCard xmlns='vcard-temp'/></iq>";
    CHECK(f.say(romeo, room_jid + "/Juliet", q)[0].to == juliet);
    CHECK(f.say(romeo, room_jid + "/Juliet", q)[0].to == juliet);
    auto refused = f.say(romeo, room_jid + "/Juliet", q);
    CHECK(error_of(refused[0].stanza) == "resource-constraint");
    f.now += std::chrono::seconds(61);
    CHECK(f.say(romeo, room_jid + "/Juliet", q)[0].to == juliet);
}

}  // namespace muc_test

namespace muc_test {

TEST_CASE("room: a visitor asks for voice; moderators get the form; a moderator's approval gives voice") {
    RoomFixture f;
    f.join(romeo, "Romeo");
    f.iq(romeo, "set",
         "<query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'>"
         "<field var='muc#roomconfig_moderatedroom'><value>1</value></field></x></query>");
    f.join(juliet, "Juliet");
    const std::string request =
        "<message xmlns='jabber:client'><x xmlns='jabber:x:data' type='submit'>"
        "<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#request</value></field>"
        "<field var='muc#role'><value>participant</value></field></x></message>";
    auto sent = f.say(juliet, room_jid, request);
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].to == romeo);
    const auto* form = sent[0].stanza.child("x", xmpp::ns::data_forms);
    REQUIRE(form != nullptr);
    CHECK(form->attr_or("type") == "form");
    // A participant has voice already.
    CHECK(error_of(f.say(romeo, room_jid, request).at(0).stanza) == "not-acceptable");

    auto granted = f.say(romeo, room_jid,
                         "<message xmlns='jabber:client'><x xmlns='jabber:x:data' type='submit'>"
                         "<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#request</value></field>"
                         "<field var='muc#role'><value>participant</value></field>"
                         "<field var='muc#roomnick'><value>Juliet</value></field>"
                         "<field var='muc#request_allow'><value>true</value></field></x></message>");
    REQUIRE(granted.size() == 2);
    CHECK(item(granted[0].stanza)->attr_or("role") == "participant");
    CHECK(f.groupchat(juliet, "thank you").size() == 2);
}

}  // namespace muc_test
