// Module "blocking" (XEP-0191), through sessions: block, list, unblock with
// pushes to the resources that asked for the list; stanzas between the
// account and a JID it blocks refused both ways, as §3.4 and §3.5 say; the
// list bounded by [modules.blocking] max_blocked.
#include <doctest/doctest.h>

#include "conversation.hpp"

namespace blocking_test {

using test::Client;
using test::error_condition;
using test::only;

std::string command(std::string_view verb, std::vector<std::string_view> jids) {
    std::string xml = "<" + std::string(verb) + " xmlns='urn:xmpp:blocking'>";
    for (auto jid : jids) xml += "<item jid='" + std::string(jid) + "'/>";
    return xml + "</" + std::string(verb) + ">";
}

std::vector<std::string> blocklist(Client& client) {
    const auto answer = client.iq("get", "<blocklist xmlns='urn:xmpp:blocking'/>");
    std::vector<std::string> jids;
    if (const auto* list = answer.child("blocklist", xmpp::ns::blocking))
        for (const auto& item : list->children())
            if (!item.is_text()) jids.push_back(std::string(item.attr_or("jid")));
    return jids;
}

TEST_CASE("blocking: block, list and unblock, pushed to the resources that asked for the list") {
    test::C2sHarness h;
    Client balcony(h, "juliet", "r0meo", "balcony");
    Client chamber(h, "juliet", "r0meo", "chamber");
    CHECK(blocklist(balcony).empty());
    CHECK(blocklist(chamber).empty());

    CHECK(balcony.iq("set", command("block", {"romeo@localhost", "montague.example"})).attr_or("type") == "result");
    const auto pushes = only(chamber.received(), "iq", "set");
    REQUIRE(pushes.size() == 1);
    const xmpp::Element* pushed = pushes[0].child("block", xmpp::ns::blocking);
    REQUIRE(pushed != nullptr);
    CHECK(pushed->element_count() == 2);
    CHECK(blocklist(chamber) == std::vector<std::string>{"montague.example", "romeo@localhost"});

    CHECK(balcony.iq("set", command("unblock", {"romeo@localhost"})).attr_or("type") == "result");
    CHECK(only(chamber.received(), "iq", "set").at(0).child("unblock", xmpp::ns::blocking) != nullptr);
    CHECK(blocklist(balcony) == std::vector<std::string>{"montague.example"});

    CHECK(balcony.iq("set", command("unblock", {})).attr_or("type") == "result");  // §3.4: everything
    CHECK(blocklist(balcony).empty());
}

TEST_CASE("blocking: messages from a blocked JID are refused service-unavailable, to it not-acceptable with <blocked/>") {
    test::C2sHarness h;
    test::add_account(h, "romeo", "m0ntague");
    Client juliet(h, "juliet", "r0meo", "balcony");
    Client romeo(h, "romeo", "m0ntague", "garden");
    juliet.iq("set", command("block", {"romeo@localhost"}));

    const auto refused = only(romeo.say("<message to='juliet@localhost/balcony' id='m1'><body>hi</body></message>"),
                              "message");
    REQUIRE(refused.size() == 1);
    CHECK(error_condition(refused[0]) == "service-unavailable");
    CHECK(only(juliet.received(), "message").empty());

    const auto own = only(juliet.say("<message to='romeo@localhost/garden' id='m2'><body>hi</body></message>"),
                          "message");
    REQUIRE(own.size() == 1);
    REQUIRE(error_condition(own[0]) == "not-acceptable");
    CHECK(own[0].child("error")->child("blocked", xmpp::ns::blocking_errors) != nullptr);
    CHECK(only(romeo.received(), "message").empty());

    juliet.iq("set", command("unblock", {"romeo@localhost"}));
    CHECK(only(romeo.say("<message to='juliet@localhost/balcony' id='m3'><body>hi</body></message>"), "message")
              .empty());
    CHECK(only(juliet.received(), "message").size() == 1);
}

TEST_CASE("blocking: a list holds at most [modules.blocking] max_blocked JIDs") {
    conf::Config config = conf::default_config();
    config.modules.options["blocking"]["max_blocked"] = 2;
    test::C2sHarness h(config);
    Client juliet(h, "juliet", "r0meo", "balcony");
    CHECK(juliet.iq("set", command("block", {"a@localhost", "b@localhost"})).attr_or("type") == "result");
    CHECK(error_condition(juliet.iq("set", command("block", {"c@localhost"}))) == "resource-constraint");
}

TEST_CASE("blocking: another account's list is forbidden") {
    test::C2sHarness h;
    test::add_account(h, "romeo", "m0ntague");
    Client juliet(h, "juliet", "r0meo", "balcony");
    CHECK(error_condition(juliet.iq("get", "<blocklist xmlns='urn:xmpp:blocking'/>", "romeo@localhost")) ==
          "forbidden");
}

}  // namespace blocking_test
