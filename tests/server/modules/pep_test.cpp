// Module "pep" (XEP-0163), through sessions: disco, publish with
// notifications to contacts and own resources filtered by +notify caps, the
// last item when a resource's caps become known, access by strangers,
// errors, limits, and the API other modules use.
#include <doctest/doctest.h>

#include "conversation.hpp"
#include "server/core/metrics.hpp"
#include "server/modules/pep.hpp"
#include "xmpp/caps.hpp"
#include "xmpp/serializer.hpp"

namespace pep_test {

using test::Client;
namespace caps = xmpp::caps;

const std::string devices = "urn:xmpp:omemo:2:devices";

caps::DiscoInfo client_info(std::vector<std::string> notify) {
    caps::DiscoInfo info{.identities = {{"client", "pc", "", "test"}},
                         .features = {"http://jabber.org/protocol/caps", "http://jabber.org/protocol/disco#info"},
                         .forms = {}};
    for (auto& node : notify) info.features.push_back(node + "+notify");
    return info;
}

// Announces caps for `info` and answers the server's query when it asks;
// what the client received meanwhile.
std::vector<xmpp::Element> announce(Client& c, const caps::DiscoInfo& info) {
    std::vector<xmpp::Element> seen;
    const caps::Caps own{"sha-1", "https://test.example", *caps::ver(info, "sha-1")};
    auto got = c.say("<presence><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='" + own.node + "' ver='" +
                     own.ver + "'/></presence>");
    for (const auto& s : got) {
        seen.push_back(s);
        if (s.name() != "iq" || s.attr_or("type") != "get" || !s.child("query", xmpp::ns::disco_info)) continue;
        xmpp::Element result("iq", "jabber:client");
        result.set_attr("type", "result");
        result.set_attr("id", std::string(s.attr_or("id")));
        result.set_attr("to", std::string(s.attr_or("from")));
        auto payload = caps::to_element(info);
        payload.set_attr("node", std::string(s.child("query", xmpp::ns::disco_info)->attr_or("node")));
        result.add_child(std::move(payload));
        for (auto& later : c.say(xmpp::to_string(result))) seen.push_back(std::move(later));
    }
    return seen;
}

std::string publish(std::string_view node, std::string_view id, std::string_view text, std::string_view options = {}) {
    return "<pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='" + std::string(node) + "'><item id='" +
           std::string(id) + "'><list xmlns='urn:test'>" + std::string(text) + "</list></item></publish>" +
           std::string(options) + "</pubsub>";
}

std::string access_options(std::string_view model) {
    return "<publish-options><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'>"
           "<value>http://jabber.org/protocol/pubsub#publish-options</value></field>"
           "<field var='pubsub#access_model'><value>" +
           std::string(model) + "</value></field></x></publish-options>";
}

// The pubsub events among `stanzas`: "from node id text".
std::vector<std::string> events(const std::vector<xmpp::Element>& stanzas) {
    std::vector<std::string> out;
    for (const auto& s : stanzas) {
        const xmpp::Element* event = s.name() == "message" ? s.child("event", xmpp::ns::pubsub_event) : nullptr;
        if (!event) continue;
        CHECK(s.attr_or("type") == "headline");
        const xmpp::Element* items = event->child("items", xmpp::ns::pubsub_event);
        if (!items) continue;
        const xmpp::Element* item = items->child("item", xmpp::ns::pubsub_event);
        out.push_back(std::string(s.attr_or("from")) + " " + std::string(items->attr_or("node")) + " " +
                      (item ? std::string(item->attr_or("id")) + " " + item->child_text("list", "urn:test") : "-"));
    }
    return out;
}

// juliet and romeo share presence both ways.
struct Contacts {
    test::C2sHarness h;
    std::unique_ptr<Client> juliet, romeo;
    explicit Contacts(conf::Config config = conf::default_config()) : h(std::move(config)) {
        test::add_account(h, "romeo", "j0uliet");
        test::add_account(h, "eve", "3ve");
        juliet = std::make_unique<Client>(h, "juliet", "r0meo", "balcony");
        romeo = std::make_unique<Client>(h, "romeo", "j0uliet", "orchard");
        juliet->say("<presence/>");
        romeo->say("<presence/>");
        for (auto [a, b] : {std::pair{juliet.get(), romeo.get()}, std::pair{romeo.get(), juliet.get()}}) {
            a->say("<presence to='" + b->bare() + "' type='subscribe'/>");
            b->say("<presence to='" + a->bare() + "' type='subscribed'/>");
        }
        juliet->received();
        romeo->received();
    }
};

TEST_CASE("pep: the account's disco#info says pubsub/pep with publish-options; the server's has the identity") {
    test::C2sHarness h;
    Client juliet(h, "juliet", "r0meo", "balcony");
    const auto info = juliet.iq("get", "<query xmlns='http://jabber.org/protocol/disco#info'/>", "juliet@localhost");
    auto features = test::disco_features(info);
    for (const char* f :
         {"http://jabber.org/protocol/pubsub#publish", "http://jabber.org/protocol/pubsub#publish-options",
          "http://jabber.org/protocol/pubsub#subscribe", "http://jabber.org/protocol/pubsub#last-published",
          "http://jabber.org/protocol/pubsub#config-node"})
        CHECK(std::find(features.begin(), features.end(), f) != features.end());
    // Not implemented, so not advertised.
    CHECK(std::find(features.begin(), features.end(), "http://jabber.org/protocol/pubsub#manage-subscriptions") ==
          features.end());
    auto has_pep = [](const xmpp::Element& result) {
        for (const auto& c : result.child("query", xmpp::ns::disco_info)->children())
            if (!c.is_text() && c.name() == "identity" && c.attr_or("category") == "pubsub" &&
                c.attr_or("type") == "pep")
                return true;
        return false;
    };
    CHECK(has_pep(info));
    CHECK(has_pep(juliet.iq("get", "<query xmlns='http://jabber.org/protocol/disco#info'/>", "localhost")));
}

TEST_CASE("pep: a publish reaches contacts and own resources whose caps say +notify, and no other") {
    Contacts v;
    Client romeo_plain(v.h, "romeo", "j0uliet", "nocaps");
    romeo_plain.say("<presence/>");
    Client juliet_phone(v.h, "juliet", "r0meo", "phone");
    announce(*v.romeo, client_info({devices}));
    announce(juliet_phone, client_info({devices}));
    v.juliet->received();
    romeo_plain.received();

    const auto publishes = server::metrics::counters().pep_publishes.load();
    const auto sent = server::metrics::counters().pep_notifications.load();
    const auto result = v.juliet->iq("set", publish(devices, "current", "1 2"));
    REQUIRE(result.attr_or("type") == "result");
    CHECK(server::metrics::counters().pep_publishes.load() == publishes + 1);
    CHECK(server::metrics::counters().pep_notifications.load() == sent + 2);
    CHECK(events(v.romeo->received()) == std::vector<std::string>{"juliet@localhost " + devices + " current 1 2"});
    CHECK(events(juliet_phone.received()) == std::vector<std::string>{"juliet@localhost " + devices + " current 1 2"});
    CHECK(events(romeo_plain.received()).empty());
    CHECK(events(v.juliet->received()).empty());  // no caps: no +notify

    // The contact reads the item; a stranger may not (presence access model).
    const auto read =
        v.romeo->iq("get", "<pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='" + devices + "'/></pubsub>",
                    "juliet@localhost");
    CHECK(read.attr_or("type") == "result");
    Client eve(v.h, "eve", "3ve", "pc");
    const auto refused =
        eve.iq("get", "<pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='" + devices + "'/></pubsub>",
               "juliet@localhost");
    CHECK(test::error_condition(refused) == "not-authorized");
    CHECK(refused.child("error")->child("presence-subscription-required", xmpp::ns::pubsub_errors) != nullptr);
}

TEST_CASE("pep: a stranger fetches an open node; publishing into another account is forbidden") {
    Contacts v;
    const std::string bundles = "eu.siacs.conversations.axolotl.bundles:123";
    REQUIRE(v.juliet->iq("set", publish(bundles, "current", "keys", access_options("open"))).attr_or("type") ==
            "result");
    Client eve(v.h, "eve", "3ve", "pc");
    const auto got =
        eve.iq("get", "<pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='" + bundles + "'/></pubsub>",
               "juliet@localhost");
    REQUIRE(got.attr_or("type") == "result");
    CHECK(xmpp::to_string(got).find("keys") != std::string::npos);

    CHECK(test::error_condition(eve.iq("set", publish(bundles, "current", "mine"), "juliet@localhost")) == "forbidden");
    // To an account that does not exist.
    CHECK(test::error_condition(eve.iq("set", publish(bundles, "current", "x"), "nobody@localhost")) ==
          "service-unavailable");
    // Configuration is the owner's.
    CHECK(test::error_condition(eve.iq(
              "get",
              "<pubsub xmlns='http://jabber.org/protocol/pubsub#owner'><configure node='" + bundles + "'/></pubsub>",
              "juliet@localhost")) == "forbidden");
    CHECK(v.juliet
              ->iq("get", "<pubsub xmlns='http://jabber.org/protocol/pubsub#owner'><configure node='" + bundles +
                              "'/></pubsub>")
              .attr_or("type") == "result");

    // disco#items: eve sees the open node only.
    REQUIRE(v.juliet->iq("set", publish("urn:xmpp:avatar:metadata", "a", "m")).attr_or("type") == "result");
    const auto items = eve.iq("get", "<query xmlns='http://jabber.org/protocol/disco#items'/>", "juliet@localhost");
    std::vector<std::string> nodes;
    for (const auto& c : items.child("query", xmpp::ns::disco_items)->children())
        if (!c.is_text()) nodes.push_back(std::string(c.attr_or("node")));
    CHECK(nodes == std::vector<std::string>{bundles});
}

TEST_CASE("pep: the last item reaches a resource when its caps become known, once") {
    Contacts v;
    REQUIRE(v.juliet->iq("set", publish(devices, "current", "7")).attr_or("type") == "result");
    v.romeo->received();
    Client romeo2(v.h, "romeo", "j0uliet", "tablet");
    CHECK(events(announce(romeo2, client_info({devices}))) ==
          std::vector<std::string>{"juliet@localhost " + devices + " current 7"});
    // A presence update with the same caps: not again.
    CHECK(events(announce(romeo2, client_info({devices}))).empty());
    romeo2.say("<presence><show>away</show></presence>");
    CHECK(events(romeo2.received()).empty());

    // The owner's own new resource gets its own last item too.
    Client juliet2(v.h, "juliet", "r0meo", "laptop");
    // (Its ver is verified already: known at its presence.)
    CHECK(events(announce(juliet2, client_info({devices}))) ==
          std::vector<std::string>{"juliet@localhost " + devices + " current 7"});
    // Caps that want one more node: only that node's item comes.
    REQUIRE(v.juliet->iq("set", publish("urn:xmpp:avatar:metadata", "a1", "pic")).attr_or("type") == "result");
    CHECK(events(announce(juliet2, client_info({devices, "urn:xmpp:avatar:metadata"}))) ==
          std::vector<std::string>{"juliet@localhost urn:xmpp:avatar:metadata a1 pic"});
}

TEST_CASE("pep: publish-options that differ are precondition-not-met; limits give the XEP-0060 errors") {
    conf::Config config = conf::default_config();
    config.modules.options["pep"]["max_nodes"] = 2;
    config.modules.options["pep"]["max_item_bytes"] = 300;
    Contacts v(std::move(config));
    REQUIRE(v.juliet->iq("set", publish("a", "1", "x")).attr_or("type") == "result");
    const auto differ = v.juliet->iq("set", publish("a", "2", "x", access_options("open")));
    CHECK(test::error_condition(differ) == "conflict");
    CHECK(differ.child("error")->child("precondition-not-met", xmpp::ns::pubsub_errors) != nullptr);

    const auto big = v.juliet->iq("set", publish("a", "3", std::string(400, 'x')));
    CHECK(test::error_condition(big) == "not-acceptable");
    CHECK(big.child("error")->child("payload-too-big", xmpp::ns::pubsub_errors) != nullptr);

    REQUIRE(v.juliet->iq("set", publish("b", "1", "x")).attr_or("type") == "result");
    const auto third = v.juliet->iq("set", publish("c", "1", "x"));
    CHECK(test::error_condition(third) == "policy-violation");
}

TEST_CASE("pep: another module publishes as the owner and observes the change") {
    Contacts v;
    auto pep = v.h.services.modules->find_shared<server::modules::Pep>();
    REQUIRE(pep);
    std::vector<std::string> seen;
    pep->observe([&](const server::modules::PepItemChange& c) {
        seen.push_back(c.owner.bare_string() + " " + c.node + " " + c.id + (c.removed ? " removed" : " stored"));
    });
    announce(*v.romeo, client_info({"http://jabber.org/protocol/mood"}));
    pubsub::Publish request;
    request.node = "http://jabber.org/protocol/mood";
    request.item = pubsub::PublishItem{"current", xmpp::Element("mood", "http://jabber.org/protocol/mood"), 50};
    std::optional<bool> ok;
    pep->request_as_owner(*xmpp::Jid::parse("juliet@localhost"), request,
                          [&](const pubsub::Outcome& o) { ok = o.ok(); });
    v.h.settle();
    REQUIRE(ok.has_value());
    CHECK(*ok);
    CHECK(seen == std::vector<std::string>{"juliet@localhost http://jabber.org/protocol/mood current stored"});
    CHECK(events(v.romeo->received()).size() == 1);

    REQUIRE(v.juliet
                ->iq("set", "<pubsub xmlns='http://jabber.org/protocol/pubsub'><retract node='http://jabber.org/protocol/mood'>"
                            "<item id='current'/></retract></pubsub>")
                .attr_or("type") == "result");
    CHECK(seen.back() == "juliet@localhost http://jabber.org/protocol/mood current removed");

    pubsub::GetItems get;
    get.node = "http://jabber.org/protocol/mood";
    std::optional<pubsub::Outcome> read;
    pep->request_as_owner(*xmpp::Jid::parse("juliet@localhost"), get, [&](const pubsub::Outcome& o) { read = o; });
    v.h.settle();
    REQUIRE(read.has_value());
    CHECK(read->ok());

    ok.reset();
    pep->request_as_owner(*xmpp::Jid::parse("nobody@localhost"), request,
                          [&](const pubsub::Outcome& o) { ok = o.ok(); });
    v.h.settle();
    REQUIRE(ok.has_value());
    CHECK_FALSE(*ok);
}

}  // namespace pep_test
