// ComponentTable: one connected component per domain (the first stays),
// found by domain, gone when it detaches; and the Router hands stanzas for
// a connected component's domain to it, answers service-unavailable for a
// configured one that is not connected, and sends its answers back to it.
// (Its place in the host's disco#items: modules/disco_test.cpp.)
#include <doctest/doctest.h>

#include <thread>

#include "../c2s_harness.hpp"
#include "../modules/conversation.hpp"
#include "server/router/component_table.hpp"
#include "xmpp/stored_xml.hpp"

namespace component_table_test {
namespace {

struct FakeComponent final : server::ComponentLink {
    void deliver(std::string xml) override {
        std::lock_guard lock(mutex);
        received.push_back(std::move(xml));
    }
    std::vector<std::string> taken() {
        std::lock_guard lock(mutex);
        return std::exchange(received, {});
    }
    std::mutex mutex;
    std::vector<std::string> received;
};

conf::Config with_component() {
    conf::Config c = conf::default_config();
    c.components = {conf::ComponentConfig{"bot.localhost", "s3cret"}};
    return c;
}

// As ComponentStream hands a checked stanza of the component to the Router.
void from_component(test::C2sHarness& h, std::string_view xml) {
    auto stanza = xmpp::parse_stored(xml);
    REQUIRE(stanza.has_value());
    const auto from = xmpp::Jid::parse(stanza->attr_or("from"));
    const auto to = xmpp::Jid::parse(stanza->attr_or("to"));
    REQUIRE((from && to));
    h.router.route(std::move(*stanza), *from, &*to);
}

}  // namespace

TEST_CASE("component table: the first connection of a domain keeps it until it detaches") {
    server::ComponentTable table;
    auto first = std::make_shared<FakeComponent>();
    auto second = std::make_shared<FakeComponent>();
    CHECK(table.find("bot.localhost") == nullptr);
    CHECK(table.attach("bot.localhost", first));
    CHECK_FALSE(table.attach("bot.localhost", second));
    CHECK(table.find("bot.localhost") == first);
    table.detach("bot.localhost", second.get());  // not the one there: nothing changes
    CHECK(table.find("bot.localhost") == first);
    CHECK(table.attach("a.localhost", second));
    CHECK(table.domains() == std::vector<std::string>{"a.localhost", "bot.localhost"});
    table.detach("bot.localhost", first.get());
    CHECK(table.find("bot.localhost") == nullptr);
    CHECK(table.size() == 1);
}

TEST_CASE("component table: attach, find and detach from several threads at once") {
    server::ComponentTable table;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&table, t] {
            const std::string domain = "c" + std::to_string(t) + ".localhost";
            for (int i = 0; i < 500; ++i) {
                auto link = std::make_shared<FakeComponent>();
                REQUIRE(table.attach(domain, link));
                CHECK(table.find(domain) == link);
                table.detach(domain, link.get());
            }
        });
    for (auto& thread : threads) thread.join();
    CHECK(table.size() == 0);
}

TEST_CASE("router: stanzas to a component's domain reach it; offline, the sender gets service-unavailable") {
    test::C2sHarness h(with_component());
    test::Client juliet(h, "juliet", "r0meo", "balcony");
    juliet.say("<presence/>");  // available: a message to the account reaches the resource

    auto offline = juliet.say("<message to='echo@bot.localhost' id='m1'><body>hi</body></message>");
    REQUIRE(offline.size() == 1);
    CHECK(offline[0].attr_or("type") == "error");
    CHECK(offline[0].child("error")->child("service-unavailable", xmpp::ns::stanzas) != nullptr);

    auto bot = std::make_shared<FakeComponent>();
    REQUIRE(h.services.components->attach("bot.localhost", bot));
    CHECK(juliet.say("<message to='echo@bot.localhost/x' id='m2'><body>hi</body></message>").empty());
    CHECK(juliet.say("<iq to='bot.localhost' type='get' id='q1'><query xmlns='jabber:iq:version'/></iq>").empty());
    auto got = bot->taken();
    REQUIRE(got.size() == 2);
    CHECK(got[0] == "<message to='echo@bot.localhost/x' id='m2' from='juliet@localhost/balcony'><body>hi</body>"
                    "</message>");
    CHECK(got[1].starts_with("<iq to='bot.localhost' type='get' id='q1' from='juliet@localhost/balcony'>"));

    // The component's answer, and a message from a JID at its domain.
    from_component(h, "<iq xmlns='jabber:client' type='result' id='q1' from='bot.localhost' "
                      "to='juliet@localhost/balcony'/>");
    from_component(h, "<message xmlns='jabber:client' type='chat' from='echo@bot.localhost/x' "
                      "to='juliet@localhost'><body>back</body></message>");
    auto in = juliet.received();
    REQUIRE(in.size() == 2);
    CHECK(in[0].name() == "iq");
    CHECK(in[0].attr_or("from") == "bot.localhost");
    CHECK(in[1].child_text("body") == "back");

    // The server's own answer to the component goes back to it (disco#info of the host).
    from_component(h, "<iq xmlns='jabber:client' type='get' id='d1' from='bot.localhost' "
                      "to='localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
    got = bot->taken();
    REQUIRE(got.size() == 1);
    CHECK(got[0].starts_with("<iq type='result' id='d1' from='localhost' to='bot.localhost'>"));

    h.services.components->detach("bot.localhost", bot.get());
    auto again = juliet.say("<message to='echo@bot.localhost' id='m3'><body>hi</body></message>");
    REQUIRE(again.size() == 1);
    CHECK(again[0].child("error")->child("service-unavailable", xmpp::ns::stanzas) != nullptr);
}

TEST_CASE("router: directed presence to a component's JID is followed by the unavailable one (RFC 6121 §4.6.3)") {
    test::C2sHarness h(with_component());
    test::Client juliet(h, "juliet", "r0meo", "balcony");
    juliet.say("<presence/>");
    auto bot = std::make_shared<FakeComponent>();
    REQUIRE(h.services.components->attach("bot.localhost", bot));
    juliet.say("<presence to='#room%irc.net@bot.localhost/juliet'><x xmlns='http://jabber.org/protocol/muc'/></presence>");
    auto got = bot->taken();
    REQUIRE(got.size() == 1);
    CHECK(got[0].starts_with("<presence to='#room%irc.net@bot.localhost/juliet' from='juliet@localhost/balcony'>"));

    juliet.say("<presence type='unavailable'/>");
    h.parts->storage.drain();
    got = bot->taken();
    REQUIRE(got.size() == 1);
    CHECK(got[0].find("type='unavailable'") != std::string::npos);
    CHECK(got[0].find("to='#room%irc.net@bot.localhost/juliet'") != std::string::npos);
    h.services.components->detach("bot.localhost", bot.get());
}

}  // namespace component_table_test
