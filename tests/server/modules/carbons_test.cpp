// Module "carbons" (XEP-0280), through sessions: two resources of juliet and
// romeo; received and sent copies to the carbons-enabled resources that do
// not get the original, none for <private/> or no-copy, none after
// <disable/>, none for a resource that ended; the enable request itself.
#include <doctest/doctest.h>

#include "conversation.hpp"

namespace carbons_test {

using test::Client;
using test::error_condition;
using test::only;

const std::string enable = "<enable xmlns='urn:xmpp:carbons:2'/>";
const std::string disable = "<disable xmlns='urn:xmpp:carbons:2'/>";

// The message a carbon copy forwards under <sent/> or <received/>, or null.
const xmpp::Element* forwarded(const xmpp::Element& copy, std::string_view side) {
    const xmpp::Element* wrapper = copy.child(side, xmpp::ns::carbons);
    const xmpp::Element* fwd = wrapper ? wrapper->child("forwarded", xmpp::ns::forward) : nullptr;
    return fwd ? fwd->child("message", xmpp::ns::client) : nullptr;
}

struct Scene {
    test::C2sHarness h;
    Client balcony{h, "juliet", "r0meo", "balcony"};
    Client chamber{h, "juliet", "r0meo", "chamber"};
    std::optional<Client> romeo;
    Scene() {
        test::add_account(h, "romeo", "m0ntague");
        romeo.emplace(h, "romeo", "m0ntague", "garden");
        balcony.say("<presence/>");
        chamber.say("<presence/>");
        romeo->say("<presence/>");
        balcony.received();
        chamber.received();
        romeo->received();
    }
};

TEST_CASE("carbons: enable and disable answer result, again and again; advertised on the server and the account") {
    Scene s;
    CHECK(s.chamber.iq("set", enable).attr_or("type") == "result");
    CHECK(s.chamber.iq("set", enable).attr_or("type") == "result");
    CHECK(s.chamber.iq("set", disable).attr_or("type") == "result");
    CHECK(s.chamber.iq("set", disable).attr_or("type") == "result");
    CHECK(error_condition(s.chamber.iq("set", "<received xmlns='urn:xmpp:carbons:2'/>")) == "bad-request");
    CHECK(error_condition(s.chamber.iq("set", enable, "romeo@localhost")) == "not-allowed");
    for (const char* target : {"localhost", "juliet@localhost"}) {
        const auto features =
            test::disco_features(s.balcony.iq("get", "<query xmlns='http://jabber.org/protocol/disco#info'/>", target));
        CHECK(std::find(features.begin(), features.end(), "urn:xmpp:carbons:2") != features.end());
    }
}

TEST_CASE("carbons: a message to a full JID is copied to the other enabled resource, received") {
    Scene s;
    s.chamber.iq("set", enable);
    s.romeo->say("<message to='juliet@localhost/balcony' type='chat' id='m1'><body>hi</body></message>");
    const auto original = only(s.balcony.received(), "message");
    REQUIRE(original.size() == 1);
    CHECK(original[0].child("received", xmpp::ns::carbons) == nullptr);
    const auto copies = only(s.chamber.received(), "message");
    REQUIRE(copies.size() == 1);
    CHECK(copies[0].attr_or("from") == "juliet@localhost");
    CHECK(copies[0].attr_or("to") == "juliet@localhost/chamber");
    CHECK(copies[0].attr_or("type") == "chat");
    const auto* inner = forwarded(copies[0], "received");
    REQUIRE(inner != nullptr);
    CHECK(inner->attr_or("id") == "m1");
    CHECK(inner->attr_or("from") == "romeo@localhost/garden");
    CHECK(inner->child_text("body") == "hi");
}

TEST_CASE("carbons: a resource that does not enable carbons gets no copy") {
    Scene s;
    s.romeo->say("<message to='juliet@localhost/balcony' type='chat'><body>hi</body></message>");
    CHECK(only(s.balcony.received(), "message").size() == 1);
    CHECK(only(s.chamber.received(), "message").empty());
}

TEST_CASE("carbons: a message to the bare JID reaches the top resources, the others get a copy") {
    Scene s;
    s.balcony.iq("set", enable);
    s.chamber.iq("set", enable);
    s.balcony.say("<presence><priority>5</priority></presence>");
    s.romeo->received();
    s.chamber.received();
    s.romeo->say("<message to='juliet@localhost' type='chat'><body>to the house</body></message>");
    const auto top = only(s.balcony.received(), "message");
    REQUIRE(top.size() == 1);
    CHECK(top[0].child("received", xmpp::ns::carbons) == nullptr);  // the original, and no copy
    const auto other = only(s.chamber.received(), "message");
    REQUIRE(other.size() == 1);
    CHECK(forwarded(other[0], "received") != nullptr);

    // Equal priorities: both get the original, nobody a copy.
    s.balcony.say("<presence/>");
    s.romeo->received();
    s.chamber.received();
    s.romeo->say("<message to='juliet@localhost' type='chat'><body>both</body></message>");
    for (Client* c : {&s.balcony, &s.chamber}) {
        const auto got = only(c->received(), "message");
        REQUIRE(got.size() == 1);
        CHECK(got[0].child("received", xmpp::ns::carbons) == nullptr);
    }
}

TEST_CASE("carbons: what a resource sends is copied to the other enabled resources, not to itself") {
    Scene s;
    s.balcony.iq("set", enable);
    s.chamber.iq("set", enable);
    s.balcony.say("<message to='romeo@localhost/garden' type='chat' id='s1'><body>wherefore</body></message>");
    CHECK(only(s.balcony.received(), "message").empty());
    const auto copies = only(s.chamber.received(), "message");
    REQUIRE(copies.size() == 1);
    CHECK(copies[0].attr_or("from") == "juliet@localhost");
    const auto* inner = forwarded(copies[0], "sent");
    REQUIRE(inner != nullptr);
    CHECK(inner->attr_or("to") == "romeo@localhost/garden");
    CHECK(inner->attr_or("from") == "juliet@localhost/balcony");
    CHECK(inner->attr_or("id") == "s1");
    CHECK(only(s.romeo->received(), "message").size() == 1);
}

TEST_CASE("carbons: <private/> and no-copy are not copied, and <private/> is stripped from the original") {
    Scene s;
    s.balcony.iq("set", enable);
    s.chamber.iq("set", enable);
    s.romeo->say("<message to='juliet@localhost/balcony' type='chat'><body>secret</body>"
                 "<private xmlns='urn:xmpp:carbons:2'/></message>");
    const auto original = only(s.balcony.received(), "message");
    REQUIRE(original.size() == 1);
    CHECK(original[0].child("private", xmpp::ns::carbons) == nullptr);
    CHECK(original[0].child_text("body") == "secret");
    CHECK(only(s.chamber.received(), "message").empty());

    s.balcony.say("<message to='romeo@localhost/garden' type='chat'><body>a</body>"
                  "<private xmlns='urn:xmpp:carbons:2'/></message>");
    s.balcony.say("<message to='romeo@localhost/garden' type='chat'><body>b</body>"
                  "<no-copy xmlns='urn:xmpp:hints'/></message>");
    CHECK(only(s.chamber.received(), "message").empty());
    CHECK(only(s.romeo->received(), "message").size() == 2);
}

TEST_CASE("carbons: headline, groupchat-less normal messages without a body are not copied") {
    Scene s;
    s.chamber.iq("set", enable);
    s.romeo->say("<message to='juliet@localhost/balcony' type='headline'><body>news</body></message>");
    s.romeo->say("<message to='juliet@localhost/balcony'><received xmlns='urn:xmpp:receipts' id='x'/></message>");
    CHECK(only(s.balcony.received(), "message").size() == 2);
    CHECK(only(s.chamber.received(), "message").empty());
}

TEST_CASE("carbons: disable stops the copies; a new session starts without them") {
    Scene s;
    s.chamber.iq("set", enable);
    s.chamber.iq("set", disable);
    s.romeo->say("<message to='juliet@localhost/balcony' type='chat'><body>1</body></message>");
    s.balcony.say("<message to='romeo@localhost/garden' type='chat'><body>2</body></message>");
    CHECK(only(s.chamber.received(), "message").empty());

    s.chamber.iq("set", enable);
    s.chamber.hang_up();
    Client again(s.h, "juliet", "r0meo", "chamber");
    again.say("<presence/>");
    again.received();
    s.romeo->say("<message to='juliet@localhost/balcony' type='chat'><body>3</body></message>");
    CHECK(only(again.received(), "message").empty());
}

TEST_CASE("carbons: a message between two resources of one account: the sender's others get <sent/>") {
    Scene s;
    Client nurse(s.h, "juliet", "r0meo", "nurse");
    nurse.iq("set", enable);
    s.chamber.iq("set", enable);
    s.balcony.say("<message to='juliet@localhost/chamber' type='chat'><body>note to self</body></message>");
    const auto at_chamber = only(s.chamber.received(), "message");
    REQUIRE(at_chamber.size() == 1);  // the original only
    CHECK(at_chamber[0].child("sent", xmpp::ns::carbons) == nullptr);
    const auto at_nurse = only(nurse.received(), "message");
    REQUIRE(at_nurse.size() == 1);
    CHECK(forwarded(at_nurse[0], "sent") != nullptr);
}

TEST_CASE("carbons: without the module, enable is service-unavailable and nothing is copied") {
    conf::Config config = conf::default_config();
    config.modules.disabled = {"carbons"};
    test::C2sHarness h(config);
    test::add_account(h, "romeo", "m0ntague");
    Client balcony(h, "juliet", "r0meo", "balcony");
    Client chamber(h, "juliet", "r0meo", "chamber");
    Client romeo(h, "romeo", "m0ntague", "garden");
    CHECK(error_condition(chamber.iq("set", enable)) == "service-unavailable");
    romeo.say("<message to='juliet@localhost/balcony' type='chat'><body>hi</body></message>");
    CHECK(only(chamber.received(), "message").empty());
}

}  // namespace carbons_test
