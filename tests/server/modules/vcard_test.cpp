// Module "vcard" (XEP-0054), through sessions: an account sets its own
// vCard, anyone reads it; reading one never set; writing another's; the size
// bound of [modules.vcard] max_bytes.
#include <doctest/doctest.h>

#include "conversation.hpp"

namespace vcard_test {

using test::Client;
using test::error_condition;

TEST_CASE("vcard: an account stores its vCard, reads it back, and others read it too") {
    test::C2sHarness h;
    test::add_account(h, "romeo", "m0ntague");
    Client juliet(h, "juliet", "r0meo", "balcony");
    Client romeo(h, "romeo", "m0ntague", "garden");

    CHECK(juliet.iq("set", "<vCard xmlns='vcard-temp'><FN>Juliet Capulet</FN></vCard>").attr_or("type") == "result");
    const auto own = juliet.iq("get", "<vCard xmlns='vcard-temp'/>");
    REQUIRE(own.child("vCard", xmpp::ns::vcard) != nullptr);
    CHECK(own.child("vCard", xmpp::ns::vcard)->child_text("FN") == "Juliet Capulet");
    const auto theirs = romeo.iq("get", "<vCard xmlns='vcard-temp'/>", "juliet@localhost");
    CHECK(theirs.attr_or("from") == "juliet@localhost");
    REQUIRE(theirs.child("vCard", xmpp::ns::vcard) != nullptr);
    CHECK(theirs.child("vCard", xmpp::ns::vcard)->child_text("FN") == "Juliet Capulet");
}

TEST_CASE("vcard: none set is empty for its owner, item-not-found for others; no account is service-unavailable") {
    test::C2sHarness h;
    test::add_account(h, "romeo", "m0ntague");
    Client juliet(h, "juliet", "r0meo", "balcony");
    const auto own = juliet.iq("get", "<vCard xmlns='vcard-temp'/>");
    REQUIRE(own.child("vCard", xmpp::ns::vcard) != nullptr);
    CHECK(own.child("vCard", xmpp::ns::vcard)->element_count() == 0);
    CHECK(error_condition(juliet.iq("get", "<vCard xmlns='vcard-temp'/>", "romeo@localhost")) == "item-not-found");
    CHECK(error_condition(juliet.iq("get", "<vCard xmlns='vcard-temp'/>", "tybalt@localhost")) ==
          "service-unavailable");
    CHECK(error_condition(juliet.iq("set", "<vCard xmlns='vcard-temp'/>", "romeo@localhost")) == "forbidden");
}

TEST_CASE("vcard: one larger than [modules.vcard] max_bytes is not-acceptable") {
    conf::Config config = conf::default_config();
    config.modules.options["vcard"]["max_bytes"] = 1024;
    test::C2sHarness h(config);
    Client juliet(h, "juliet", "r0meo", "balcony");
    const std::string note(1100, 'x');
    CHECK(error_condition(juliet.iq("set", "<vCard xmlns='vcard-temp'><NOTE>" + note + "</NOTE></vCard>")) ==
          "not-acceptable");
    CHECK(juliet.iq("set", "<vCard xmlns='vcard-temp'><NOTE>short</NOTE></vCard>").attr_or("type") == "result");
}

}  // namespace vcard_test
