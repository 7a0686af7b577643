// Module "private" (XEP-0049), through sessions: an account stores XML by
// namespace and reads it back; nobody else can; reserved namespaces and
// malformed queries are refused; [modules.private] bounds documents.
#include <doctest/doctest.h>

#include "conversation.hpp"

namespace private_test {

using test::Client;
using test::error_condition;

std::string query(std::string_view payload) { return "<query xmlns='jabber:iq:private'>" + std::string(payload) + "</query>"; }

TEST_CASE("private: a document stored under its namespace is read back; one never stored comes back empty") {
    test::C2sHarness h;
    Client juliet(h, "juliet", "r0meo", "balcony");
    const std::string bookmarks =
        "<storage xmlns='storage:bookmarks'><conference jid='capulet@conference.localhost' name='Feast'/></storage>";
    const auto stored = juliet.iq("set", query(bookmarks));
    CHECK(stored.attr_or("type") == "result");

    const auto read = juliet.iq("get", query("<storage xmlns='storage:bookmarks'/>"));
    REQUIRE(read.attr_or("type") == "result");
    const xmpp::Element* storage = read.child("query", xmpp::ns::private_xml)->child("storage", "storage:bookmarks");
    REQUIRE(storage != nullptr);
    CHECK(storage->child("conference")->attr_or("name") == "Feast");

    const auto none = juliet.iq("get", query("<prefs xmlns='urn:example:prefs'/>"));
    REQUIRE(none.attr_or("type") == "result");
    const xmpp::Element* prefs = none.child("query", xmpp::ns::private_xml)->child("prefs", "urn:example:prefs");
    REQUIRE(prefs != nullptr);
    CHECK(prefs->element_count() == 0);
}

TEST_CASE("private: another account's storage is forbidden; reserved namespaces and two children are refused") {
    test::C2sHarness h;
    test::add_account(h, "romeo", "m0ntague");
    Client juliet(h, "juliet", "r0meo", "balcony");
    CHECK(error_condition(juliet.iq("get", query("<storage xmlns='storage:bookmarks'/>"), "romeo@localhost")) ==
          "forbidden");
    CHECK(error_condition(juliet.iq("set", query("<x xmlns='jabber:client'/>"))) == "not-acceptable");
    CHECK(error_condition(juliet.iq("set", query("<a xmlns='urn:a'/><b xmlns='urn:b'/>"))) == "bad-request");
}

TEST_CASE("private: [modules.private] bounds the documents of an account and their size") {
    conf::Config config = conf::default_config();
    config.modules.options["private"]["max_documents"] = 1;
    config.modules.options["private"]["max_document_bytes"] = 1024;
    test::C2sHarness h(config);
    Client juliet(h, "juliet", "r0meo", "balcony");
    CHECK(juliet.iq("set", query("<a xmlns='urn:a'>one</a>")).attr_or("type") == "result");
    CHECK(juliet.iq("set", query("<a xmlns='urn:a'>replaced</a>")).attr_or("type") == "result");
    CHECK(error_condition(juliet.iq("set", query("<b xmlns='urn:b'/>"))) == "resource-constraint");
    CHECK(error_condition(juliet.iq("set", query("<a xmlns='urn:a'>" + std::string(1100, 'x') + "</a>"))) ==
          "not-acceptable");
}

}  // namespace private_test
