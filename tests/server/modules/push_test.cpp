// Module "push" (XEP-0357), through sessions: a client registers an app
// server (here another local client, "app@localhost/srv", standing in for
// one) and is notified of messages while it is offline or hibernated; the
// wire pieces (push_protocol.hpp) as pure code.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>

#include "conversation.hpp"
#include "server/modules/push_protocol.hpp"
#include "xmpp/serializer.hpp"
#include "xmpp/stored_xml.hpp"

namespace push_test {

using test::Client;
using test::error_condition;

constexpr const char* kApp = "app@localhost/srv";
const std::string kSecretForm =
    "<x xmlns='jabber:x:data' type='submit'>"
    "<field var='FORM_TYPE'><value>http://jabber.org/protocol/pubsub#publish-options</value></field>"
    "<field var='secret'><value>s3cr3t</value></field></x>";

std::string enable(std::string_view node, std::string_view form = kSecretForm) {
    return "<enable xmlns='urn:xmpp:push:0' jid='" + std::string(kApp) + "' node='" + std::string(node) + "'>" +
           std::string(form) + "</enable>";
}

std::string chat(std::string_view to, std::string_view body) {
    return "<message type='chat' to='" + std::string(to) + "' id='m1'><body>" + std::string(body) + "</body></message>";
}

// The notifications the app server got, each answered `answer_type`.
std::vector<xmpp::Element> notifications(Client& app, std::string_view answer_type = "result") {
    std::vector<xmpp::Element> out;
    for (auto& stanza : app.received()) {
        if (stanza.name() != "iq" || stanza.attr_or("type") != "set" ||
            !stanza.child("pubsub", xmpp::ns::pubsub))
            continue;
        std::string answer = "<iq type='" + std::string(answer_type) + "' id='" + std::string(stanza.attr_or("id")) +
                             "' to='" + std::string(stanza.attr_or("from")) + "'";
        answer += answer_type == "error"
                      ? "><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>"
                      : "/>";
        app.say(answer);
        out.push_back(std::move(stanza));
    }
    return out;
}

// The summary form's fields of a notification, var -> value.
std::map<std::string, std::string> summary(const xmpp::Element& iq) {
    std::map<std::string, std::string> fields;
    const xmpp::Element* form = iq.child("pubsub", xmpp::ns::pubsub)
                                    ->child("publish", xmpp::ns::pubsub)
                                    ->child("item", xmpp::ns::pubsub)
                                    ->child("notification", xmpp::ns::push)
                                    ->child("x", xmpp::ns::data_forms);
    for (const auto& field : form->children())
        if (!field.is_text()) fields[std::string(field.attr_or("var"))] = field.child_text("value", xmpp::ns::data_forms);
    return fields;
}

TEST_CASE("push: the account advertises urn:xmpp:push:0") {
    test::C2sHarness h;
    Client juliet(h, "juliet", "r0meo", "balcony");
    const auto info = juliet.iq("get", "<query xmlns='http://jabber.org/protocol/disco#info'/>", "juliet@localhost");
    const auto vars = test::disco_features(info);
    CHECK(std::find(vars.begin(), vars.end(), "urn:xmpp:push:0") != vars.end());
}

TEST_CASE("push: a message to an account with no session notifies its app server, with the client's secret") {
    test::C2sHarness h;
    test::add_account(h, "romeo", "m0ntague");
    test::add_account(h, "app", "app-pw");
    Client app(h, "app", "app-pw", "srv");
    Client romeo(h, "romeo", "m0ntague", "orchard");
    {
        Client juliet(h, "juliet", "r0meo", "balcony");
        CHECK(juliet.iq("set", enable("node-1")).attr_or("type") == "result");
        juliet.hang_up();
    }
    romeo.say(chat("juliet@localhost", "wherefore art thou"));
    auto got = notifications(app);
    REQUIRE(got.size() == 1);
    CHECK(got[0].attr_or("from") == "juliet@localhost");
    CHECK(got[0].child("pubsub", xmpp::ns::pubsub)->child("publish", xmpp::ns::pubsub)->attr_or("node") == "node-1");
    // The default summary tells only that a message came.
    CHECK(summary(got[0]) == std::map<std::string, std::string>{{"FORM_TYPE", "urn:xmpp:push:summary"},
                                                                 {"message-count", "1"}});
    const xmpp::Element* options = got[0].child("pubsub", xmpp::ns::pubsub)->child("publish-options", xmpp::ns::pubsub);
    REQUIRE(options != nullptr);
    CHECK(xmpp::to_string(*options).find("s3cr3t") != std::string::npos);
    // Answered with a result: the registration stays. A chat state alone wakes nobody.
    romeo.say("<message type='chat' to='juliet@localhost'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>");
    CHECK(notifications(app).empty());
    romeo.say(chat("juliet@localhost", "again"));
    CHECK(notifications(app, "error").size() == 1);
    // The app server refused that one: the registration is gone.
    romeo.say(chat("juliet@localhost", "and again"));
    CHECK(notifications(app).empty());
}

TEST_CASE("push: a message waiting in the enabling session's hibernation notifies; an online account does not") {
    test::C2sHarness h;
    test::add_account(h, "romeo", "m0ntague");
    test::add_account(h, "app", "app-pw");
    Client app(h, "app", "app-pw", "srv");
    Client romeo(h, "romeo", "m0ntague", "orchard");
    Client juliet(h, "juliet", "r0meo", "balcony");
    CHECK(juliet.iq("set", enable("phone")).attr_or("type") == "result");
    juliet.say("<enable xmlns='urn:xmpp:sm:3' resume='true'/>");
    romeo.say(chat("juliet@localhost/balcony", "while connected"));
    CHECK(notifications(app).empty());
    juliet.hang_up();  // hibernated: the session waits for the client to resume
    romeo.say(chat("juliet@localhost/balcony", "while hibernated"));
    CHECK(notifications(app).size() == 1);
}

TEST_CASE("push: disable by node or by app server; bad requests; another account's pushes") {
    conf::Config config = conf::default_config();
    config.modules.options["push"]["max_registrations"] = 2;
    config.modules.options["push"]["summary"] = 2;  // body
    test::C2sHarness h(config);
    test::add_account(h, "romeo", "m0ntague");
    test::add_account(h, "app", "app-pw");
    Client app(h, "app", "app-pw", "srv");
    Client romeo(h, "romeo", "m0ntague", "orchard");
    {
        Client juliet(h, "juliet", "r0meo", "balcony");
        CHECK(juliet.iq("set", enable("a")).attr_or("type") == "result");
        CHECK(juliet.iq("set", enable("b", "")).attr_or("type") == "result");
        CHECK(error_condition(juliet.iq("set", enable("c"))) == "resource-constraint");
        CHECK(juliet.iq("set", enable("a")).attr_or("type") == "result");  // the same again replaces it
        CHECK(error_condition(juliet.iq("set", "<enable xmlns='urn:xmpp:push:0' node='x'/>")) == "bad-request");
        CHECK(error_condition(juliet.iq("set", enable("d", "<x xmlns='jabber:x:data' type='form'/>"))) ==
              "bad-request");
        CHECK(error_condition(juliet.iq("set", enable("e"), "romeo@localhost")) == "forbidden");
        juliet.hang_up();
    }
    romeo.say(chat("juliet@localhost", "two nodes"));
    auto got = notifications(app);
    REQUIRE(got.size() == 2);
    CHECK(summary(got[0])["last-message-sender"] == "romeo@localhost/orchard");
    CHECK(summary(got[0])["last-message-body"] == "two nodes");
    {
        Client juliet(h, "juliet", "r0meo", "balcony");
        CHECK(juliet.iq("set", "<disable xmlns='urn:xmpp:push:0' jid='app@localhost/srv' node='a'/>")
                  .attr_or("type") == "result");
        juliet.hang_up();
    }
    romeo.say(chat("juliet@localhost", "one node"));
    CHECK(notifications(app).size() == 1);
    {
        Client juliet(h, "juliet", "r0meo", "balcony");
        CHECK(juliet.iq("set", "<disable xmlns='urn:xmpp:push:0' jid='app@localhost/srv'/>").attr_or("type") ==
              "result");
        juliet.hang_up();
    }
    romeo.say(chat("juliet@localhost", "none"));
    CHECK(notifications(app).empty());
}

TEST_CASE("push_protocol: a registration document round-trips; what wakes a device") {
    auto enable_element = xmpp::parse_stored(enable("n"));
    REQUIRE(enable_element);
    auto r = server::modules::push::parse_enable(*enable_element, "phone");
    REQUIRE(r);
    auto back = server::modules::push::from_document(server::modules::push::to_document(*r));
    REQUIRE(back);
    CHECK(back->service == kApp);
    CHECK(back->node == "n");
    CHECK(back->resource == "phone");
    REQUIRE(back->options);
    CHECK(xmpp::to_string(*back->options) == xmpp::to_string(*r->options));
    auto wakes = [](std::string xml) { return server::modules::push::wakes_the_device(*xmpp::parse_stored(xml)); };
    CHECK(wakes("<message xmlns='jabber:client' type='chat'><body>hi</body></message>"));
    CHECK(wakes("<message xmlns='jabber:client'><encrypted xmlns='urn:xmpp:omemo:2'/></message>"));
    CHECK_FALSE(wakes("<message xmlns='jabber:client'><received xmlns='urn:xmpp:receipts' id='x'/></message>"));
    CHECK_FALSE(wakes("<message xmlns='jabber:client' type='error'><body>hi</body></message>"));
}

}  // namespace push_test
