// The room's side of its archive (XEP-0313 on the room JID, muc/room.hpp):
// which groupchat messages it archives and the stanza-id occupants see,
// who may read the archive, the queries it hands to the service, and the
// discussion history brought back from the archive after a restart.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "fixture.hpp"

namespace muc_archive_test {

using namespace muc_test;

namespace {

const std::string romeo = "romeo@localhost/phone";
const std::string juliet = "juliet@localhost/balcony";
const std::string nurse = "nurse@localhost/kitchen";
const std::string room_jid = "hall@conference.localhost";

const std::string mam_query = "<query xmlns='urn:xmpp:mam:2' queryid='f'><set xmlns='http://jabber.org/protocol/rsm'>"
                              "<max>10</max><before/></set></query>";

void configure(RoomFixture& f, std::string fields) {
    auto sent = f.iq(romeo, "set",
                     "<query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'>" +
                         fields + "</x></query>");
    REQUIRE(to(sent, romeo).size() >= 1);
    REQUIRE(to(sent, romeo)[0].stanza.attr_or("type") == "result");
}

std::string field(std::string var, std::string value) {
    return "<field var='" + var + "'><value>" + value + "</value></field>";
}

}  // namespace

TEST_CASE("room archive: a message with a body is archived and every occupant sees its stanza-id by the room") {
    RoomFixture f;
    f.join(romeo, "Romeo");
    f.join(juliet, "Juliet");
    f.room.take_archived();
    auto sent = f.groupchat(juliet, "hello", "m1");
    auto archived = f.room.take_archived();
    REQUIRE(archived.size() == 1);
    CHECK(archived[0].nick == "Juliet");
    using std::chrono::microseconds;
    CHECK(archived[0].stamp_us == std::chrono::duration_cast<microseconds>(f.now.time_since_epoch()).count());
    REQUIRE(sent.size() == 2);
    for (const auto& s : sent) {
        const auto* sid = s.stanza.child("stanza-id", xmpp::ns::stanza_id);
        REQUIRE(sid != nullptr);
        CHECK(sid->attr_or("by") == room_jid);
        CHECK(sid->attr_or("id") == archived[0].id);
    }
    auto stored = xml(archived[0].xml);
    CHECK(stored.attr_or("from") == room_jid + "/Juliet");
    CHECK(stored.attr("to") == nullptr);
    CHECK(stored.child_text("body") == "hello");
    CHECK(stored.child("stanza-id", xmpp::ns::stanza_id)->attr_or("id") == archived[0].id);
    // The history a later joiner gets carries the same id.
    auto joined = to(f.join(nurse, "Nurse"), nurse);
    bool found = false;
    for (const auto& s : joined)
        if (s.stanza.child("body")) {
            found = true;
            CHECK(s.stanza.child("stanza-id", xmpp::ns::stanza_id)->attr_or("id") == archived[0].id);
        }
    CHECK(found);
}

TEST_CASE("room archive: subject changes, no-store hints and a client's forged stanza-id stay out") {
    RoomFixture f;
    f.join(romeo, "Romeo");
    f.say(romeo, room_jid, "<message xmlns='jabber:client' type='groupchat'><subject>topic</subject></message>");
    f.say(romeo, room_jid,
          "<message xmlns='jabber:client' type='groupchat'><body>secret</body>"
          "<no-store xmlns='urn:xmpp:hints'/></message>");
    CHECK(f.room.take_archived().empty());
    auto sent = f.say(romeo, room_jid,
                      "<message xmlns='jabber:client' type='groupchat'><body>x</body>"
                      "<stanza-id xmlns='urn:xmpp:sid:0' by='hall@conference.localhost' id='forged'/></message>");
    auto archived = f.room.take_archived();
    REQUIRE(archived.size() == 1);
    REQUIRE(sent.size() == 1);
    std::size_t ids = 0;
    for (const auto& c : sent[0].stanza.children())
        if (!c.is_text() && c.name() == "stanza-id") {
            ++ids;
            CHECK(c.attr_or("id") == archived[0].id);
        }
    CHECK(ids == 1);
}

TEST_CASE("room archive: switched off by the owner, nothing is archived, nothing advertised, queries refused") {
    RoomFixture f;
    f.join(romeo, "Romeo");
    auto features = [&] {
        std::vector<std::string> out;
        auto sent = f.iq(romeo, "get", "<query xmlns='http://jabber.org/protocol/disco#info'/>");
        for (const auto& c : sent.at(0).stanza.child("query")->children())
            if (!c.is_text() && c.name() == "feature") out.emplace_back(c.attr_or("var"));
        return out;
    };
    auto has = [](const std::vector<std::string>& v, std::string_view s) {
        return std::find(v.begin(), v.end(), s) != v.end();
    };
    CHECK(has(features(), "urn:xmpp:mam:2"));
    CHECK(has(features(), "urn:xmpp:sid:0"));
    configure(f, field("muc#roomconfig_enablearchiving", "0"));
    CHECK_FALSE(f.room.config().archive);
    CHECK_FALSE(has(features(), "urn:xmpp:mam:2"));
    auto sent = f.groupchat(romeo, "not kept");
    CHECK(f.room.take_archived().empty());
    CHECK(sent.at(0).stanza.child("stanza-id", xmpp::ns::stanza_id) == nullptr);
    CHECK(error_of(f.iq(romeo, "set", mam_query).at(0).stanza) == "feature-not-implemented");
    // ejabberd's name for the field turns it back on.
    configure(f, field("mam", "1"));
    CHECK(f.room.config().archive);
}

TEST_CASE("room archive: occupants and, in an open room, anyone not banned may query; the query goes to the service") {
    RoomFixture f;
    f.join(romeo, "Romeo");
    auto sent = f.iq(nurse, "set", mam_query);
    CHECK(sent.empty());
    auto requests = f.room.take_archive_requests();
    REQUIRE(requests.size() == 1);
    CHECK(requests[0].kind == muc::ArchiveRequest::Kind::query);
    CHECK(requests[0].from.full() == nurse);
    CHECK(requests[0].query.queryid == "f");
    CHECK(requests[0].query.max == 10u);
    CHECK(requests[0].query.before == std::string());
    // The form, and the metadata query.
    auto form = f.iq(nurse, "get", "<query xmlns='urn:xmpp:mam:2'/>");
    REQUIRE(form.size() == 1);
    CHECK(form[0].stanza.attr_or("type") == "result");
    CHECK(form[0].stanza.child("query", xmpp::ns::mam)->child("x", xmpp::ns::data_forms) != nullptr);
    CHECK(f.iq(nurse, "get", "<metadata xmlns='urn:xmpp:mam:2'/>").empty());
    CHECK(f.room.take_archive_requests().at(0).kind == muc::ArchiveRequest::Kind::metadata);
    // A malformed query is the parser's error; preferences are not a room's.
    CHECK(error_of(f.iq(nurse, "set",
                        "<query xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'><max>x</max>"
                        "</set></query>")
                       .at(0)
                       .stanza) == "bad-request");
    CHECK(error_of(f.iq(nurse, "get", "<prefs xmlns='urn:xmpp:mam:2'/>").at(0).stanza) == "feature-not-implemented");
    CHECK(f.room.take_archive_requests().empty());
    // A banned user may not.
    f.iq(romeo, "set",
         "<query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='outcast' jid='nurse@localhost'/>"
         "</query>");
    CHECK(error_of(f.iq(nurse, "set", mam_query).at(0).stanza) == "forbidden");
}

TEST_CASE("room archive: a members-only or password room lets only occupants and members read") {
    RoomFixture f;
    f.join(romeo, "Romeo");
    configure(f, field("muc#roomconfig_passwordprotectedroom", "1") + field("muc#roomconfig_roomsecret", "pw"));
    CHECK(error_of(f.iq(nurse, "set", mam_query).at(0).stanza) == "forbidden");
    configure(f, field("muc#roomconfig_passwordprotectedroom", "0") + field("muc#roomconfig_membersonly", "1"));
    CHECK(error_of(f.iq(nurse, "set", mam_query).at(0).stanza) == "forbidden");
    f.iq(romeo, "set",
         "<query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='member' jid='nurse@localhost'/>"
         "</query>");
    f.room.take_archive_requests();
    CHECK(f.iq(nurse, "set", mam_query).empty());
    CHECK(f.room.take_archive_requests().size() == 1);
    // The owner, an occupant, may.
    CHECK(f.iq(romeo, "set", mam_query).empty());
    CHECK(f.room.take_archive_requests().size() == 1);
}

TEST_CASE("room archive: messages restored from the archive are the discussion history of a stored room") {
    const muc::Limits limits = test_limits();
    muc::RoomState state{muc::default_config(limits.config, 10), {{"romeo@localhost", muc::Affiliation::owner}}, {}, {}};
    state.config.persistent = true;
    muc::Room room(jid(room_jid), std::move(state), "key", limits);
    const std::int64_t stamp_us = 1'700'000'000'000'000;
    for (int i = 0; i < 3; ++i)
        room.restore_history(xml("<message xmlns='jabber:client' type='groupchat' from='" + room_jid +
                                 "/Romeo' to='someone@localhost/x'><body>b" + std::to_string(i) +
                                 "</body><stanza-id xmlns='urn:xmpp:sid:0' by='" + room_jid + "' id='s" +
                                 std::to_string(i) + "'/></message>"),
                             stamp_us + i);
    room.restore_history(xml("<message xmlns='jabber:client' type='chat'><body>not groupchat</body></message>"),
                         stamp_us);
    muc::Outbox out;
    xmpp::Element presence = xml("<presence xmlns='jabber:client'><x xmlns='http://jabber.org/protocol/muc'>"
                                 "<history maxstanzas='2'/></x></presence>");
    room.handle(presence, jid(juliet), jid(room_jid + "/Juliet"), muc::Clock::now(), out);
    std::vector<std::string> bodies;
    for (const auto& o : out)
        if (o.to.full() == juliet && o.stanza->child("body")) {
            bodies.push_back(o.stanza->child_text("body"));
            CHECK(o.stanza->attr("to") == nullptr);
            CHECK(o.stanza->child("delay", xmpp::ns::delay)->attr_or("stamp") == "2023-11-14T22:13:20Z");
        }
    CHECK(bodies == std::vector<std::string>{"b1", "b2"});
}

}  // namespace muc_archive_test
