// Bookmarks: the XEP-0402 item and the XEP-0048 storage shapes, read and
// written, and reconcile() turning a legacy write into XEP-0402 item changes.
#include <doctest/doctest.h>

#include "xmpp/bookmarks.hpp"
#include "xmpp/serializer.hpp"
#include "xmpp/stored_xml.hpp"

namespace {

using namespace xmpp::bookmarks;

xmpp::Element bookmarks_xml(std::string_view xml) {
    auto element = xmpp::parse_stored(xml);
    REQUIRE(element.has_value());
    return *element;
}

Conference room(std::string jid, bool autojoin = false) {
    Conference c;
    c.jid = std::move(jid);
    c.autojoin = autojoin;
    return c;
}

}  // namespace

TEST_CASE("bookmarks: a XEP-0402 item reads back as written, extensions kept") {
    auto payload = bookmarks_xml(
        "<conference xmlns='urn:xmpp:bookmarks:1' name='Council of Oberon' autojoin='1'>"
        "<nick>Puck</nick><password>pass</password>"
        "<extensions><state xmlns='http://myclient.example/bookmark/state' minimized='true'/></extensions>"
        "</conference>");
    auto c = from_item("council@conference.underhill.org", payload);
    REQUIRE(c);
    CHECK(c->jid == "council@conference.underhill.org");
    CHECK(c->name == "Council of Oberon");
    CHECK(c->autojoin);
    CHECK(c->nick == "Puck");
    CHECK(c->password == "pass");
    REQUIRE(c->extensions.size() == 1);
    CHECK(c->extensions[0].attr_or("minimized") == "true");
    auto again = from_item(c->jid, item_payload(*c));
    REQUIRE(again);
    CHECK(*again == *c);
}

TEST_CASE("bookmarks: autojoin absent or false, no nick: fields absent") {
    auto c = from_item("a@muc.example", bookmarks_xml("<conference xmlns='urn:xmpp:bookmarks:1' autojoin='false'/>"));
    REQUIRE(c);
    CHECK_FALSE(c->autojoin);
    CHECK_FALSE(c->nick);
    CHECK_FALSE(c->password);
    CHECK(c->name.empty());
    CHECK_FALSE(from_item("a@muc.example", bookmarks_xml("<conference xmlns='urn:xmpp:bookmarks:1'/>"))->autojoin);
}

TEST_CASE("bookmarks: other payloads and empty ids are not conferences") {
    CHECK_FALSE(from_item("a@muc.example", bookmarks_xml("<conference xmlns='storage:bookmarks'/>")));
    CHECK_FALSE(from_item("a@muc.example", bookmarks_xml("<room xmlns='urn:xmpp:bookmarks:1'/>")));
    CHECK_FALSE(from_item("", bookmarks_xml("<conference xmlns='urn:xmpp:bookmarks:1'/>")));
}

TEST_CASE("bookmarks: XEP-0048 storage keeps urls and unknown entries, drops jid-less rooms") {
    auto storage = parse_storage(bookmarks_xml(
        "<storage xmlns='storage:bookmarks'>"
        "<conference name='Council' autojoin='true' jid='council@conference.underhill.org'><nick>Puck</nick></conference>"
        "<url name='Complete Works' url='http://the-tech.mit.edu/Shakespeare/'/>"
        "<conference name='no room'/>"
        "<conference jid='council@conference.underhill.org' name='Council again'/>"
        "</storage>"));
    REQUIRE(storage);
    REQUIRE(storage->conferences.size() == 1);
    CHECK(storage->conferences[0].name == "Council again");  // the later entry for the room wins
    CHECK_FALSE(storage->conferences[0].autojoin);
    REQUIRE(storage->others.size() == 1);
    CHECK(storage->others[0].name() == "url");

    auto written = storage_element(*storage);
    auto reread = parse_storage(written);
    REQUIRE(reread);
    CHECK(reread->conferences == storage->conferences);
    CHECK(reread->others == storage->others);
    CHECK(*written.children()[0].attr("jid") == "council@conference.underhill.org");
    CHECK_FALSE(parse_storage(bookmarks_xml("<storage xmlns='storage:rosternotes'/>")));
}

TEST_CASE("bookmarks: conversion between the shapes keeps every shared field") {
    Conference c = room("r@muc.example", true);
    c.name = "R";
    c.nick = "me";
    c.password = "secret";
    auto storage = parse_storage(storage_element(Storage{{c}, {}}));
    REQUIRE(storage);
    REQUIRE(storage->conferences.size() == 1);
    CHECK(storage->conferences[0] == c);
}

TEST_CASE("bookmarks: reconcile publishes new and changed rooms, retracts removed ones") {
    Conference kept = room("kept@muc.example");
    Conference changed = room("changed@muc.example");
    Conference removed = room("removed@muc.example");
    Conference changed_now = changed;
    changed_now.autojoin = true;
    Conference added = room("added@muc.example", true);

    auto changes = reconcile({kept, changed, removed}, {kept, changed_now, added});
    REQUIRE(changes.publish.size() == 2);
    CHECK(changes.publish[0] == changed_now);
    CHECK(changes.publish[1] == added);
    REQUIRE(changes.retract.size() == 1);
    CHECK(changes.retract[0] == "removed@muc.example");
}

TEST_CASE("bookmarks: a legacy write keeps the extensions it cannot see") {
    Conference with_ext = room("r@muc.example");
    with_ext.extensions.push_back(xmpp::Element("state", "http://myclient.example/bookmark/state"));
    Conference legacy = room("r@muc.example");

    CHECK(reconcile({with_ext}, {legacy}).publish.empty());  // nothing the legacy client could change

    legacy.nick = "new nick";
    auto changes = reconcile({with_ext}, {legacy});
    REQUIRE(changes.publish.size() == 1);
    CHECK(changes.publish[0].nick == "new nick");
    CHECK(changes.publish[0].extensions == with_ext.extensions);
    CHECK(changes.retract.empty());
}

TEST_CASE("bookmarks: reconcile of equal sets changes nothing; of an empty legacy list retracts all") {
    CHECK(reconcile({room("a@m"), room("b@m")}, {room("b@m"), room("a@m")}).publish.empty());
    auto all_gone = reconcile({room("a@m"), room("b@m")}, {});
    CHECK(all_gone.retract == std::vector<std::string>{"a@m", "b@m"});
}
