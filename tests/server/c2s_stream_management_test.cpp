// Stream management (XEP-0198) through the real c2s over the in-memory
// transport: the <sm/> feature, enable, acks both ways, the server's own ack
// requests, the XEP's errors, resumption on a new connection (exactly the
// unacknowledged stanzas, in order, once), and the module switched off.
#include <doctest/doctest.h>

#include "modules/conversation.hpp"
#include "server/c2s/stream_management.hpp"

// A named namespace: the unity build puts several test files in one unit.
namespace c2s_stream_management_test {

using test::C2sHarness;
using test::Client;
using test::MemoryPipe;
using test::only;

bool contains(const std::string& haystack, std::string_view needle) {
    return haystack.find(needle) != std::string::npos;
}

std::string chat(std::string_view to, std::string_view id) {
    return "<message to='" + std::string(to) + "' type='chat' id='" + std::string(id) + "'><body>" +
           std::string(id) + "</body></message>";
}

conf::Config with_options(std::map<std::string, std::int64_t> options) {
    conf::Config config = conf::default_config();
    config.modules.options["stream_management"] = std::move(options);
    return config;
}

// Signs in on a new connection and stops before binding; returns the pipe and the features.
std::shared_ptr<MemoryPipe> authenticated(C2sHarness& h, std::string_view user, std::string_view password,
                                          std::string* features = nullptr) {
    auto pipe = h.connect(true);
    h.say(*pipe, C2sHarness::open_stream());
    REQUIRE(contains(h.say(*pipe, C2sHarness::plain_auth(user, password)), "<success"));
    const std::string after_auth = h.say(*pipe, C2sHarness::open_stream());
    if (features) *features = after_auth;
    return pipe;
}

std::vector<std::string> ids(const std::vector<xmpp::Element>& stanzas) {
    std::vector<std::string> out;
    for (const auto& s : stanzas) out.emplace_back(s.attr_or("id"));
    return out;
}

TEST_CASE("sm: <sm/> is offered after authentication only") {
    C2sHarness h;
    auto pipe = h.connect(true);
    CHECK_FALSE(contains(h.say(*pipe, C2sHarness::open_stream()), "urn:xmpp:sm:3"));
    std::string features;
    authenticated(h, "juliet", "r0meo", &features);
    CHECK(contains(features, "<sm xmlns='urn:xmpp:sm:3'/>"));
}

TEST_CASE("sm: enable before bind and enable twice get <failed> with unexpected-request") {
    C2sHarness h;
    auto pipe = authenticated(h, "juliet", "r0meo");
    const std::string early = h.say(*pipe, "<enable xmlns='urn:xmpp:sm:3'/>");
    CHECK(contains(early, "<failed xmlns='urn:xmpp:sm:3'><unexpected-request"));
    CHECK(contains(h.say(*pipe, "<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>"),
                   "<jid>"));
    CHECK(h.say(*pipe, "<enable xmlns='urn:xmpp:sm:3'/>") == "<enabled xmlns='urn:xmpp:sm:3'/>");
    CHECK(contains(h.say(*pipe, "<enable xmlns='urn:xmpp:sm:3' resume='true'/>"), "<unexpected-request"));
    CHECK_FALSE(pipe->closed);
}

TEST_CASE("sm: r and a both ways, h counting from enable") {
    C2sHarness h;
    test::add_account(h, "romeo", "m0ntague");
    Client juliet(h, "juliet", "r0meo", "balcony");
    Client romeo(h, "romeo", "m0ntague", "garden");
    romeo.say("<presence/>");  // a stanza before enable is not counted
    const auto enabled = romeo.say("<enable xmlns='urn:xmpp:sm:3'/>");
    REQUIRE(only(enabled, "enabled").size() == 1);
    CHECK(only(romeo.say("<r xmlns='urn:xmpp:sm:3'/>"), "a")[0].attr_or("h") == "0");
    romeo.say(chat("juliet@localhost/balcony", "m1"));
    romeo.say("<iq type='get' id='p1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>");
    CHECK(only(romeo.say("<r xmlns='urn:xmpp:sm:3'/>"), "a")[0].attr_or("h") == "2");

    // The server counts what it sent: the ping's result.
    CHECK(romeo.say("<a xmlns='urn:xmpp:sm:3' h='1'/>").empty());
    CHECK(romeo.say("<a xmlns='urn:xmpp:sm:3' h='0'/>").empty());  // an old ack changes nothing
    // One more than was sent: the stream ends with <handled-count-too-high/>.
    const auto errors = only(romeo.say("<a xmlns='urn:xmpp:sm:3' h='2'/>"), "error");
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].child("undefined-condition", xmpp::ns::streams) != nullptr);
    const xmpp::Element* too_high = errors[0].child("handled-count-too-high", xmpp::ns::sm);
    REQUIRE(too_high != nullptr);
    CHECK(too_high->attr_or("h") == "2");
    CHECK(too_high->attr_or("send-count") == "1");
}

TEST_CASE("sm: the server asks for an ack after N unacknowledged stanzas, and not again until answered") {
    C2sHarness h(with_options({{"ack_after_stanzas", 2}}));
    test::add_account(h, "romeo", "m0ntague");
    Client juliet(h, "juliet", "r0meo", "balcony");
    Client romeo(h, "romeo", "m0ntague", "garden");
    juliet.say("<enable xmlns='urn:xmpp:sm:3'/>");
    romeo.say(chat("juliet@localhost/balcony", "m1"));
    CHECK(only(juliet.received(), "r").empty());
    romeo.say(chat("juliet@localhost/balcony", "m2"));
    CHECK(only(juliet.received(), "r").size() == 1);
    romeo.say(chat("juliet@localhost/balcony", "m3"));
    romeo.say(chat("juliet@localhost/balcony", "m4"));
    CHECK(only(juliet.received(), "r").empty());
    juliet.say("<a xmlns='urn:xmpp:sm:3' h='3'/>");
    romeo.say(chat("juliet@localhost/balcony", "m5"));
    CHECK(only(juliet.received(), "r").size() == 1);  // m4 and m5 unacknowledged
}

TEST_CASE("sm: without stream management enabled, r and a get <failed>") {
    C2sHarness h;
    Client juliet(h, "juliet", "r0meo", "balcony");
    CHECK(only(juliet.say("<r xmlns='urn:xmpp:sm:3'/>"), "failed").size() == 1);
    CHECK(only(juliet.say("<a xmlns='urn:xmpp:sm:3' h='0'/>"), "failed").size() == 1);
    const auto malformed = juliet.say("<a xmlns='urn:xmpp:sm:3' h='x'/>");
    REQUIRE(only(malformed, "error").size() == 1);
    CHECK(only(malformed, "error")[0].child("bad-format", xmpp::ns::streams) != nullptr);
}

TEST_CASE("sm: a resumed session gets exactly the unacknowledged stanzas, in order, once") {
    C2sHarness h;
    test::add_account(h, "romeo", "m0ntague");
    auto old_pipe = h.login("juliet", "r0meo", "balcony");
    const std::string enabled = h.say(*old_pipe, "<enable xmlns='urn:xmpp:sm:3' resume='true'/>");
    const auto answer = test::parse_stanzas(enabled);
    REQUIRE(answer.size() == 1);
    const std::string id(answer[0].attr_or("id"));
    CHECK(id.size() == 22);
    CHECK(answer[0].attr_or("resume") == "true");
    CHECK(answer[0].attr_or("max") == "600");

    Client romeo(h, "romeo", "m0ntague", "garden");
    romeo.say(chat("juliet@localhost/balcony", "m1"));
    romeo.say(chat("juliet@localhost/balcony", "m2"));
    h.say(*old_pipe, "<message to='romeo@localhost/garden' type='chat' id='j1'><body>hi</body></message>");
    h.say(*old_pipe, "<a xmlns='urn:xmpp:sm:3' h='1'/>");  // m1 handled
    old_pipe->hang_up();
    h.settle();
    auto session = std::dynamic_pointer_cast<server::BoundSession>(
        h.sessions.find(*xmpp::Jid::parse("juliet@localhost/balcony")));
    REQUIRE(session);  // hibernated, still bound
    CHECK_FALSE(session->attached());
    romeo.say(chat("juliet@localhost/balcony", "m3"));  // while hibernated
    CHECK(only(romeo.received(), "message").empty());   // no error to the sender

    // Another account, and an unknown id: item-not-found; the stream goes on.
    auto romeo_pipe = authenticated(h, "romeo", "m0ntague");
    CHECK(contains(h.say(*romeo_pipe, "<resume xmlns='urn:xmpp:sm:3' previd='" + id + "' h='0'/>"),
                   "<item-not-found"));
    auto pipe = authenticated(h, "juliet", "r0meo");
    CHECK(contains(h.say(*pipe, "<resume xmlns='urn:xmpp:sm:3' previd='nope' h='0'/>"), "<item-not-found"));

    const auto resumed = test::parse_stanzas(h.say(*pipe, "<resume xmlns='urn:xmpp:sm:3' previd='" + id + "' h='1'/>"));
    REQUIRE(resumed.size() >= 1);
    CHECK(resumed[0].name() == "resumed");
    CHECK(resumed[0].attr_or("previd") == id);
    CHECK(resumed[0].attr_or("h") == "1");  // j1 was handled
    CHECK(ids(only(resumed, "message")) == std::vector<std::string>{"m2", "m3"});
    CHECK(session->attached());

    // The counters go on: m2 and m3 are 2 and 3; acknowledging them leaves nothing to resend.
    CHECK(only(test::parse_stanzas(h.say(*pipe, "<r xmlns='urn:xmpp:sm:3'/>")), "a")[0].attr_or("h") == "1");
    h.say(*pipe, "<a xmlns='urn:xmpp:sm:3' h='3'/>");
    CHECK(session->held() == 0);
    romeo.say(chat("juliet@localhost/balcony", "m4"));
    CHECK(ids(only(test::parse_stanzas(pipe->output), "message")) == std::vector<std::string>{"m4"});

    // A second resumption of the same id, on yet another connection, takes over.
    auto third = authenticated(h, "juliet", "r0meo");
    const auto again = test::parse_stanzas(h.say(*third, "<resume xmlns='urn:xmpp:sm:3' previd='" + id + "' h='3'/>"));
    REQUIRE(again.size() >= 1);
    CHECK(again[0].name() == "resumed");
    CHECK(ids(only(again, "message")) == std::vector<std::string>{"m4"});
    CHECK(pipe->closed);  // the old connection is closed
}

TEST_CASE("sm: a resumption whose h is above what was sent ends with <handled-count-too-high/>") {
    C2sHarness h;
    auto old_pipe = h.login("juliet", "r0meo", "balcony");
    const auto enabled = test::parse_stanzas(h.say(*old_pipe, "<enable xmlns='urn:xmpp:sm:3' resume='true'/>"));
    const std::string id(enabled.at(0).attr_or("id"));
    old_pipe->hang_up();
    h.settle();
    auto pipe = authenticated(h, "juliet", "r0meo");
    const std::string answer = h.say(*pipe, "<resume xmlns='urn:xmpp:sm:3' previd='" + id + "' h='5'/>");
    CHECK(contains(answer, "<handled-count-too-high xmlns='urn:xmpp:sm:3' h='5' send-count='0'/>"));
    CHECK(pipe->closed);
    CHECK(h.sessions.find(*xmpp::Jid::parse("juliet@localhost/balcony")) == nullptr);
}

TEST_CASE("sm: a resumable stream closed in order ends its session; unacknowledged messages go offline") {
    C2sHarness h;
    test::add_account(h, "romeo", "m0ntague");
    auto pipe = h.login("juliet", "r0meo", "balcony");
    h.say(*pipe, "<enable xmlns='urn:xmpp:sm:3' resume='true'/>");
    Client romeo(h, "romeo", "m0ntague", "garden");
    romeo.say(chat("juliet@localhost/balcony", "m1"));
    h.say(*pipe, "</stream:stream>");
    CHECK(h.sessions.find(*xmpp::Jid::parse("juliet@localhost/balcony")) == nullptr);
    CHECK(h.services.modules->find_shared<server::StreamManagement>()->resumable.size() == 0);
    Client juliet(h, "juliet", "r0meo", "phone");
    CHECK(ids(only(juliet.say("<presence/>"), "message")) == std::vector<std::string>{"m1"});
}

TEST_CASE("sm: a session without resumption ends with its connection; its unacknowledged messages go offline") {
    C2sHarness h;
    test::add_account(h, "romeo", "m0ntague");
    auto pipe = h.login("juliet", "r0meo", "balcony");
    h.say(*pipe, "<enable xmlns='urn:xmpp:sm:3'/>");
    Client romeo(h, "romeo", "m0ntague", "garden");
    romeo.say(chat("juliet@localhost/balcony", "m1"));
    romeo.say(chat("juliet@localhost/balcony", "m2"));
    h.say(*pipe, "<a xmlns='urn:xmpp:sm:3' h='1'/>");
    pipe->hang_up();
    h.settle();
    CHECK(h.sessions.find(*xmpp::Jid::parse("juliet@localhost/balcony")) == nullptr);
    Client juliet(h, "juliet", "r0meo", "phone");
    CHECK(ids(only(juliet.say("<presence/>"), "message")) == std::vector<std::string>{"m2"});
}

TEST_CASE("sm: the account's hibernated sessions beyond the limit end, their messages go offline") {
    C2sHarness h(with_options({{"max_hibernated_per_account", 1}}));
    test::add_account(h, "romeo", "m0ntague");
    Client romeo(h, "romeo", "m0ntague", "garden");
    auto first = h.login("juliet", "r0meo", "one");
    h.say(*first, "<enable xmlns='urn:xmpp:sm:3' resume='true'/>");
    romeo.say(chat("juliet@localhost/one", "m1"));
    first->hang_up();
    h.settle();
    CHECK(h.sessions.find(*xmpp::Jid::parse("juliet@localhost/one")) != nullptr);
    auto second = h.login("juliet", "r0meo", "two");
    h.say(*second, "<enable xmlns='urn:xmpp:sm:3' resume='true'/>");
    second->hang_up();
    h.settle();
    CHECK(h.sessions.find(*xmpp::Jid::parse("juliet@localhost/one")) == nullptr);
    CHECK(h.sessions.find(*xmpp::Jid::parse("juliet@localhost/two")) != nullptr);
    Client juliet(h, "juliet", "r0meo", "three");
    CHECK(ids(only(juliet.say("<presence/>"), "message")) == std::vector<std::string>{"m1"});
}

TEST_CASE("sm: the server stops: hibernated sessions end and their messages go offline") {
    C2sHarness h;
    test::add_account(h, "romeo", "m0ntague");
    Client romeo(h, "romeo", "m0ntague", "garden");
    auto pipe = h.login("juliet", "r0meo", "balcony");
    h.say(*pipe, "<enable xmlns='urn:xmpp:sm:3' resume='true'/>");
    romeo.say(chat("juliet@localhost/balcony", "m1"));
    pipe->hang_up();
    h.settle();
    auto sm = h.services.modules->find_shared<server::StreamManagement>();
    REQUIRE(sm);
    CHECK(sm->resumable.hibernated() == 1);
    sm->shut_down();
    h.settle();
    CHECK(sm->resumable.size() == 0);
    CHECK(h.sessions.find(*xmpp::Jid::parse("juliet@localhost/balcony")) == nullptr);
    Client juliet(h, "juliet", "r0meo", "phone");
    CHECK(ids(only(juliet.say("<presence/>"), "message")) == std::vector<std::string>{"m1"});
}

TEST_CASE("sm: with the module off there is no <sm/>, and its nonzas are unsupported-stanza-type") {
    conf::Config config = conf::default_config();
    config.modules.disabled.push_back("stream_management");
    C2sHarness h(config);
    std::string features;
    auto pipe = authenticated(h, "juliet", "r0meo", &features);
    CHECK_FALSE(contains(features, "urn:xmpp:sm:3"));
    CHECK(contains(h.say(*pipe, "<enable xmlns='urn:xmpp:sm:3'/>"), "<unsupported-stanza-type"));
    CHECK(pipe->closed);

    Client juliet(h, "juliet", "r0meo", "balcony");
    const auto error = juliet.say("<enable xmlns='urn:xmpp:sm:3'/>");
    REQUIRE(only(error, "error").size() == 1);
    CHECK(only(error, "error")[0].child("unsupported-stanza-type", xmpp::ns::streams) != nullptr);
}

}  // namespace c2s_stream_management_test
