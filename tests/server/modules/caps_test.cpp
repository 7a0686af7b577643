// Module "caps" (XEP-0115), through sessions: the server's caps in its
// stream features and its disco#info on NODE#VER; a client's new ver asked
// once with disco#info from the server, cached when the answer hashes to it,
// not when it does not; forgotten on unavailable.
#include <doctest/doctest.h>

#include "conversation.hpp"
#include "server/modules/caps_cache.hpp"
#include "xmpp/caps.hpp"
#include "xmpp/serializer.hpp"

namespace caps_test {

using server::modules::CapsCache;
using test::Client;
namespace caps = xmpp::caps;

const caps::DiscoInfo conversations = {
    .identities = {{"client", "phone", "", "Conversations"}},
    .features = {"http://jabber.org/protocol/caps", "http://jabber.org/protocol/disco#info",
                 "urn:xmpp:omemo:2:devices+notify", "eu.siacs.conversations.axolotl.devicelist+notify"},
    .forms = {}};

const caps::Caps conversations_caps{"sha-1", "http://conversations.im", *caps::ver(conversations, "sha-1")};

std::string presence_with(const caps::Caps& c) {
    return "<presence><c xmlns='http://jabber.org/protocol/caps' hash='" + c.hash + "' node='" + c.node + "' ver='" +
           c.ver + "'/></presence>";
}

// The disco#info queries the server sent among `stanzas`.
std::vector<xmpp::Element> queries(const std::vector<xmpp::Element>& stanzas) {
    std::vector<xmpp::Element> out;
    for (const auto& s : stanzas)
        if (s.name() == "iq" && s.attr_or("type") == "get" && s.child("query", xmpp::ns::disco_info)) out.push_back(s);
    return out;
}

std::string answer(const xmpp::Element& query, const caps::DiscoInfo& info) {
    xmpp::Element result("iq", "jabber:client");
    result.set_attr("type", "result");
    result.set_attr("id", std::string(query.attr_or("id")));
    result.set_attr("to", std::string(query.attr_or("from")));
    auto payload = caps::to_element(info);
    payload.set_attr("node", std::string(query.child("query", xmpp::ns::disco_info)->attr_or("node")));
    result.add_child(std::move(payload));
    return xmpp::to_string(result);
}

std::shared_ptr<CapsCache> cache_of(test::C2sHarness& h) { return h.services.modules->find_shared<CapsCache>(); }

xmpp::Jid jid(std::string_view s) { return *xmpp::Jid::parse(s); }

// The features of a new authenticated stream.
xmpp::Element features_after_auth(test::C2sHarness& h) {
    auto pipe = h.connect(true);
    h.say(*pipe, h.open_stream());
    REQUIRE(h.say(*pipe, h.plain_auth("juliet", "r0meo")).find("<success") != std::string::npos);
    const std::string out = h.say(*pipe, h.open_stream());
    auto start = out.find("<stream:features");
    REQUIRE(start != std::string::npos);
    for (auto& stanza : test::parse_stanzas(out.substr(start)))
        if (stanza.name() == "features") return stanza;
    FAIL("no features");
    return {};
}

TEST_CASE("caps: the server's caps are in its stream features and name its disco#info") {
    test::C2sHarness h;
    const auto features = features_after_auth(h);
    const xmpp::Element* c = features.child("c", xmpp::ns::caps);
    REQUIRE(c != nullptr);
    CHECK(c->attr_or("hash") == "sha-1");
    CHECK(c->attr_or("node") == "https://xmqd.org");

    Client juliet(h, "juliet", "r0meo", "balcony");
    const auto info = juliet.iq("get", "<query xmlns='http://jabber.org/protocol/disco#info'/>", "localhost");
    const xmpp::Element* query = info.child("query", xmpp::ns::disco_info);
    REQUIRE(query != nullptr);
    auto parsed = caps::parse_disco_info(*query);
    REQUIRE(parsed.ok());
    CHECK(caps::ver(*parsed, "sha-1") == std::string(c->attr_or("ver")));

    // The same disco#info on NODE#VER, with the node named (§6.2).
    const std::string node = "https://xmqd.org#" + std::string(c->attr_or("ver"));
    const auto on_node =
        juliet.iq("get", "<query xmlns='http://jabber.org/protocol/disco#info' node='" + node + "'/>", "localhost");
    REQUIRE(on_node.attr_or("type") == "result");
    const xmpp::Element* node_query = on_node.child("query", xmpp::ns::disco_info);
    REQUIRE(node_query != nullptr);
    CHECK(node_query->attr_or("node") == node);
    CHECK(test::disco_features(on_node) == test::disco_features(info));
    // Any other node is still not served.
    CHECK(test::error_condition(
              juliet.iq("get", "<query xmlns='http://jabber.org/protocol/disco#info' node='https://xmqd.org#other'/>",
                        "localhost")) == "item-not-found");
}

TEST_CASE("caps: a new ver is asked once from the server; the verified answer is known for every resource") {
    test::C2sHarness h;
    test::add_account(h, "romeo", "j0uliet");
    Client juliet(h, "juliet", "r0meo", "balcony");
    Client romeo(h, "romeo", "j0uliet", "orchard");
    auto asked = queries(juliet.say(presence_with(conversations_caps)));
    REQUIRE(asked.size() == 1);
    CHECK(asked[0].attr_or("from") == "localhost");
    CHECK(asked[0].attr_or("to") == juliet.jid());
    CHECK(asked[0].child("query", xmpp::ns::disco_info)->attr_or("node") ==
          "http://conversations.im#" + conversations_caps.ver);
    // A second resource with the same ver while the query is out: no second query.
    CHECK(queries(romeo.say(presence_with(conversations_caps))).empty());
    CHECK(cache_of(h)->features_of(jid(romeo.jid())) == nullptr);

    juliet.say(answer(asked[0], conversations));
    REQUIRE(cache_of(h)->features_of(jid(romeo.jid())) != nullptr);
    CHECK(cache_of(h)->wants_notify(jid(juliet.jid()), "urn:xmpp:omemo:2:devices"));
    CHECK(cache_of(h)->wants_notify(jid(romeo.jid()), "eu.siacs.conversations.axolotl.devicelist"));
    CHECK_FALSE(cache_of(h)->wants_notify(jid(romeo.jid()), "urn:xmpp:avatar:metadata"));

    // Known now: a third resource is not asked.
    Client juliet2(h, "juliet", "r0meo", "hall");
    CHECK(queries(juliet2.say(presence_with(conversations_caps))).empty());
    CHECK(cache_of(h)->features_of(jid(juliet2.jid())) != nullptr);

    // Unavailable forgets the resource's caps.
    romeo.say("<presence type='unavailable'/>");
    CHECK(cache_of(h)->features_of(jid(romeo.jid())) == nullptr);
    CHECK(cache_of(h)->features_of(jid(juliet.jid())) != nullptr);
}

TEST_CASE("caps: a wrong answer is not cached; another resource with that ver is asked, not the same one again") {
    test::C2sHarness h;
    test::add_account(h, "romeo", "j0uliet");
    Client liar(h, "juliet", "r0meo", "balcony");
    Client romeo(h, "romeo", "j0uliet", "orchard");
    auto asked = queries(liar.say(presence_with(conversations_caps)));
    REQUIRE(asked.size() == 1);
    CHECK(queries(romeo.say(presence_with(conversations_caps))).empty());

    caps::DiscoInfo forged = conversations;
    forged.features.push_back("urn:xmpp:forged");
    liar.say(answer(asked[0], forged));
    CHECK(cache_of(h)->features_of(jid(liar.jid())) == nullptr);
    auto second = queries(romeo.received());  // §5.4: ask another entity with that ver
    REQUIRE(second.size() == 1);
    CHECK(second[0].attr_or("to") == romeo.jid());
    romeo.say(answer(second[0], conversations));
    REQUIRE(cache_of(h)->features_of(jid(liar.jid())) != nullptr);
    CHECK_FALSE(cache_of(h)->features_of(jid(liar.jid()))->has_feature("urn:xmpp:forged"));
}

TEST_CASE("caps: an error answer, or a resource that leaves, lets the next resource be asked") {
    test::C2sHarness h;
    test::add_account(h, "romeo", "j0uliet");
    Client juliet(h, "juliet", "r0meo", "balcony");
    Client romeo(h, "romeo", "j0uliet", "orchard");
    auto asked = queries(juliet.say(presence_with(conversations_caps)));
    REQUIRE(asked.size() == 1);
    CHECK(queries(romeo.say(presence_with(conversations_caps))).empty());
    juliet.hang_up();  // the query to it will never be answered
    auto second = queries(romeo.received());
    REQUIRE(second.size() == 1);
    romeo.say("<iq type='error' id='" + std::string(second[0].attr_or("id")) +
              "' to='localhost'><query xmlns='http://jabber.org/protocol/disco#info'/>"
              "<error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>");
    CHECK(cache_of(h)->features_of(jid(romeo.jid())) == nullptr);
    CHECK(cache_of(h)->stats().pending == 0);
    // Not asked again for the ver it failed.
    CHECK(queries(romeo.say(presence_with(conversations_caps))).empty());
}

TEST_CASE("caps: a <c/> without hash (legacy) or with an unknown hash is not asked about") {
    test::C2sHarness h;
    Client juliet(h, "juliet", "r0meo", "balcony");
    CHECK(queries(juliet.say("<presence><c xmlns='http://jabber.org/protocol/caps' node='http://psi-im.org' "
                             "ver='0.11' ext='xhtml'/></presence>"))
              .empty());
    CHECK(queries(juliet.say(presence_with({"md5", "http://psi-im.org", "abc="}))).empty());
    CHECK(cache_of(h)->stats().resources == 0);
}

TEST_CASE("caps: without the module there is no <c/> feature and no query") {
    conf::Config config = conf::default_config();
    config.modules.disabled = {"caps", "pep", "bookmarks", "pep_vcard_conversion"};  // PEP needs caps; they need PEP
    test::C2sHarness h(config);
    CHECK(features_after_auth(h).child("c", xmpp::ns::caps) == nullptr);
    Client juliet(h, "juliet", "r0meo", "balcony");
    CHECK(queries(juliet.say(presence_with(conversations_caps))).empty());
    CHECK(cache_of(h) == nullptr);
}

}  // namespace caps_test
