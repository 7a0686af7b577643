// Module "disco" (XEP-0030), through a session: the server's and an
// account's disco#info list what the modules serve there.
#include <doctest/doctest.h>

#include <algorithm>
#include <stdexcept>

#include "conversation.hpp"
#include "server/router/component_table.hpp"

namespace disco_test {

using test::Client;
using test::disco_features;

bool has(const std::vector<std::string>& features, std::string_view var) {
    return std::find(features.begin(), features.end(), var) != features.end();
}

const std::string disco_info = "<query xmlns='http://jabber.org/protocol/disco#info'/>";

TEST_CASE("disco: the server lists the features of the modules it runs") {
    test::C2sHarness h;
    Client juliet(h, "juliet", "r0meo", "balcony");
    const auto features = disco_features(juliet.iq("get", disco_info, "localhost"));
    for (std::string_view var :
         {"http://jabber.org/protocol/disco#info", "http://jabber.org/protocol/disco#items", "urn:xmpp:ping",
          "jabber:iq:version", "msgoffline", "vcard-temp", "urn:xmpp:time", "jabber:iq:last", "urn:xmpp:blocking",
          "jabber:iq:register"})
        CHECK_MESSAGE(has(features, var), var);
}

// XEP-0049 is served on the account's own bare JID; clients look for it in
// the disco#info of their server or of their account, so both list it.
TEST_CASE("disco: private XML storage is advertised by the server and by the account") {
    test::C2sHarness h;
    Client juliet(h, "juliet", "r0meo", "balcony");
    CHECK(has(disco_features(juliet.iq("get", disco_info, "localhost")), "jabber:iq:private"));
    CHECK(has(disco_features(juliet.iq("get", disco_info, "juliet@localhost")), "jabber:iq:private"));
}

TEST_CASE("disco: an account's disco#info has its identity; a missing account is service-unavailable") {
    test::C2sHarness h;
    Client juliet(h, "juliet", "r0meo", "balcony");
    const auto info = juliet.iq("get", disco_info, "juliet@localhost");
    REQUIRE(info.child("query", xmpp::ns::disco_info) != nullptr);
    const xmpp::Element* identity = info.child("query", xmpp::ns::disco_info)->child("identity");
    REQUIRE(identity != nullptr);
    CHECK(identity->attr_or("category") == "account");
    CHECK(identity->attr_or("type") == "registered");
    CHECK(has(disco_features(info), "vcard-temp"));
    CHECK(test::error_condition(juliet.iq("get", disco_info, "tybalt@localhost")) == "service-unavailable");
}

// A service domain (ModuleHost::add_service_domain) is an item of its host's
// disco#items, and every stanza to it or under it reaches its handler.
TEST_CASE("disco: a service domain is listed by its host and gets the stanzas addressed under it") {
    test::C2sHarness h;
    std::vector<std::string> reached;
    h.services.modules->add_service_domain(
        {"rooms.localhost", "localhost", "Rooms",
         [&reached](xmpp::Element&& stanza, const xmpp::Jid& from, const xmpp::Jid& to, server::Router& router) {
             reached.push_back(stanza.name() + " " + to.full() + " from " + from.full());
             if (stanza.name() == "iq") router.send(xmpp::make_error_reply(stanza, xmpp::StanzaError::forbidden));
         }});
    Client juliet(h, "juliet", "r0meo", "balcony");
    const auto items = juliet.iq("get", "<query xmlns='http://jabber.org/protocol/disco#items'/>", "localhost");
    const xmpp::Element* query = items.child("query", xmpp::ns::disco_items);
    REQUIRE(query != nullptr);
    // Other modules' service domains (the muc module's conference.localhost) are listed too.
    const xmpp::Element* item = nullptr;
    for (const auto& child : query->children())
        if (!child.is_text() && child.attr_or("jid") == "rooms.localhost") item = &child;
    REQUIRE(item != nullptr);
    CHECK(item->attr_or("jid") == "rooms.localhost");
    CHECK(item->attr_or("name") == "Rooms");

    CHECK(test::error_condition(juliet.iq("get", disco_info, "hall@rooms.localhost/nick")) == "forbidden");
    CHECK(reached == std::vector<std::string>{"iq hall@rooms.localhost/nick from juliet@localhost/balcony"});
    CHECK_THROWS_AS(h.services.modules->add_service_domain({"rooms.localhost", "localhost", "", {}}),
                    std::logic_error);
}

// An external component (XEP-0114) is listed while it is connected.
struct NoComponent final : server::ComponentLink {
    void deliver(std::string) override {}
};

TEST_CASE("disco: a connected component is an item of its parent host") {
    conf::Config config = conf::default_config();
    config.components = {conf::ComponentConfig{"bot.localhost", "s3cret"}};
    test::C2sHarness h(config);
    test::Client juliet(h, "juliet", "r0meo", "balcony");
    const std::string items = "<query xmlns='http://jabber.org/protocol/disco#items'/>";
    auto jids = [&] {
        std::vector<std::string> out;
        auto answer = juliet.iq("get", items, "localhost");
        for (const auto& item : answer.child("query")->children())
            if (!item.is_text()) out.emplace_back(item.attr_or("jid"));
        return out;
    };
    auto has = [](const std::vector<std::string>& v, std::string_view s) {
        return std::find(v.begin(), v.end(), s) != v.end();
    };
    CHECK_FALSE(has(jids(), "bot.localhost"));
    auto bot = std::make_shared<NoComponent>();
    REQUIRE(h.services.components->attach("bot.localhost", bot));
    CHECK(has(jids(), "bot.localhost"));
    h.services.components->detach("bot.localhost", bot.get());
    CHECK_FALSE(has(jids(), "bot.localhost"));
}

}  // namespace disco_test
