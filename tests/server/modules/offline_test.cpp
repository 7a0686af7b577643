// Module "offline" (XEP-0160, XEP-0203), through sessions: messages for an
// account with no available resource are kept and delivered, in order and
// with a delay stamp, at its next available presence; what is not worth
// keeping is dropped, a missing account is an error, the store is bounded.
#include <doctest/doctest.h>

#include "conversation.hpp"

namespace offline_test {

using test::Client;
using test::error_condition;
using test::only;

std::string chat(std::string_view id, std::string_view body) {
    return "<message to='juliet@localhost' type='chat' id='" + std::string(id) + "'><body>" + std::string(body) +
           "</body></message>";
}

TEST_CASE("offline: messages kept while the account is away arrive in order, stamped, at its available presence") {
    test::C2sHarness h;
    test::add_account(h, "romeo", "m0ntague");
    Client romeo(h, "romeo", "m0ntague", "garden");
    CHECK(romeo.say(chat("m1", "Wherefore art thou?")).empty());  // no error: kept
    CHECK(romeo.say(chat("m2", "It is the east")).empty());

    Client juliet(h, "juliet", "r0meo", "balcony");
    CHECK(only(juliet.received(), "message").empty());  // bound is not available yet
    const auto messages = only(juliet.say("<presence/>"), "message");
    REQUIRE(messages.size() == 2);
    CHECK(messages[0].attr_or("id") == "m1");
    CHECK(messages[1].attr_or("id") == "m2");
    CHECK(messages[0].attr_or("from") == "romeo@localhost/garden");
    CHECK(messages[0].child_text("body") == "Wherefore art thou?");
    const xmpp::Element* delay = messages[0].child("delay", xmpp::ns::delay);
    REQUIRE(delay != nullptr);
    CHECK(delay->attr_or("from") == "localhost");
    const std::string stamp(delay->attr_or("stamp"));
    CHECK(stamp.size() == 20);  // XEP-0082: 2026-01-02T03:04:05Z
    CHECK(stamp.ends_with("Z"));

    // Delivered once.
    Client nurse_phone(h, "juliet", "r0meo", "phone");
    CHECK(only(nurse_phone.say("<presence/>"), "message").empty());
}

TEST_CASE("offline: messages without content and headlines are dropped, a missing account is service-unavailable") {
    test::C2sHarness h;
    test::add_account(h, "romeo", "m0ntague");
    Client romeo(h, "romeo", "m0ntague", "garden");
    CHECK(romeo.say("<message to='juliet@localhost' type='chat'>"
                    "<active xmlns='http://jabber.org/protocol/chatstates'/></message>")
              .empty());
    CHECK(romeo.say("<message to='juliet@localhost' type='headline'><body>news</body></message>").empty());
    const auto bounced = only(romeo.say("<message to='tybalt@localhost' id='t1'><body>draw</body></message>"), "message");
    REQUIRE(bounced.size() == 1);
    CHECK(error_condition(bounced[0]) == "service-unavailable");

    Client juliet(h, "juliet", "r0meo", "balcony");
    CHECK(only(juliet.say("<presence/>"), "message").empty());
}

TEST_CASE("offline: past limits.max_offline_messages a message is answered resource-constraint") {
    conf::Config config = conf::default_config();
    config.limits.max_offline_messages = 1;
    test::C2sHarness h(config);
    test::add_account(h, "romeo", "m0ntague");
    Client romeo(h, "romeo", "m0ntague", "garden");
    CHECK(romeo.say(chat("m1", "one")).empty());
    const auto refused = only(romeo.say(chat("m2", "two")), "message");
    REQUIRE(refused.size() == 1);
    CHECK(error_condition(refused[0]) == "resource-constraint");
}

}  // namespace offline_test
