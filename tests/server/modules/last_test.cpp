// Module "last" (XEP-0012), through sessions: the server's uptime; an
// account's idle time and status, to itself and to contacts it lets see its
// presence, refused to anyone else.
#include <doctest/doctest.h>

#include "conversation.hpp"
#include "server/store/storage.hpp"
#include "xmpp/subscription_state.hpp"

namespace last_test {

using test::Client;
using test::error_condition;

const std::string last_query = "<query xmlns='jabber:iq:last'/>";

// juliet lets romeo see her presence (her roster says 'from'), written to the
// store directly: this test is about last activity, not subscriptions.
void juliet_shares_presence_with_romeo(test::C2sHarness& h) {
    REQUIRE(h.parts->stores->roster().put("juliet", "localhost",
                       {"romeo@localhost", "", {}, xmpp::to_int(xmpp::SubState::from), true}));
}

std::string seconds_of(const xmpp::Element& answer) {
    const xmpp::Element* query = answer.child("query", xmpp::ns::last);
    return query ? std::string(query->attr_or("seconds", "none")) : "no query";
}

TEST_CASE("last: asked of the server, its uptime") {
    test::C2sHarness h;
    Client juliet(h, "juliet", "r0meo", "balcony");
    const auto answer = juliet.iq("get", last_query, "localhost");
    CHECK(answer.attr_or("type") == "result");
    CHECK(seconds_of(answer) == "0");
}

TEST_CASE("last: 0 while available; after going away, the time since and the status it left with") {
    test::C2sHarness h;
    test::add_account(h, "romeo", "m0ntague");
    juliet_shares_presence_with_romeo(h);
    Client juliet(h, "juliet", "r0meo", "balcony");
    Client romeo(h, "romeo", "m0ntague", "garden");

    juliet.say("<presence/>");
    CHECK(seconds_of(juliet.iq("get", last_query, "juliet@localhost")) == "0");
    CHECK(seconds_of(romeo.iq("get", last_query, "juliet@localhost")) == "0");

    juliet.say("<presence type='unavailable'><status>Gone to Mantua</status></presence>");
    const auto answer = romeo.iq("get", last_query, "juliet@localhost");
    REQUIRE(answer.child("query", xmpp::ns::last) != nullptr);
    CHECK((seconds_of(answer) == "0" || seconds_of(answer) == "1"));
    CHECK(answer.child("query", xmpp::ns::last)->text() == "Gone to Mantua");
}

TEST_CASE("last: a stranger is forbidden; no account is service-unavailable; never seen is item-not-found") {
    test::C2sHarness h;
    test::add_account(h, "romeo", "m0ntague");
    test::add_account(h, "nurse", "an9el");
    juliet_shares_presence_with_romeo(h);
    Client nurse(h, "nurse", "an9el", "kitchen");
    CHECK(error_condition(nurse.iq("get", last_query, "juliet@localhost")) == "forbidden");
    CHECK(error_condition(nurse.iq("get", last_query, "tybalt@localhost")) == "service-unavailable");
    Client romeo(h, "romeo", "m0ntague", "garden");
    CHECK(error_condition(romeo.iq("get", last_query, "juliet@localhost")) == "item-not-found");
}

}  // namespace last_test
