// The load generator as a PEP contact (pep_entity.hpp): its caps hash, its
// answers to a server's requests, and its reading of notifications and rosters.
#include "pep_entity.hpp"
#include "xml_split.hpp"

#include <doctest/doctest.h>

using namespace loadgen;

TEST_CASE("the caps ver of XEP-0115's simple example (section 5.2)") {
    std::vector<DiscoIdentity> ids{{"client", "pc", "", "Exodus 0.9.1"}};
    std::vector<std::string> features{"http://jabber.org/protocol/disco#info", "http://jabber.org/protocol/disco#items",
                                      "http://jabber.org/protocol/muc", "http://jabber.org/protocol/caps"};
    CHECK(caps_verification_string(ids, features) ==
          "client/pc//Exodus 0.9.1<http://jabber.org/protocol/caps<http://jabber.org/protocol/disco#info<"
          "http://jabber.org/protocol/disco#items<http://jabber.org/protocol/muc<");
    CHECK(caps_ver(ids, features) == "QgayPKawpkPSDYmwT/WM94uAlu0=");
}

TEST_CASE("identities sort by category, then type, then xml:lang") {
    std::vector<DiscoIdentity> ids{{"client", "pc", "en", "B"}, {"client", "bot", "", "A"}, {"client", "pc", "de", "C"}};
    CHECK(caps_verification_string(ids, {}) == "client/bot//A<client/pc/de/C<client/pc/en/B<");
}

TEST_CASE("the presence carries the ver of the disco#info it answers with") {
    std::string presence = caps_presence();
    CHECK(presence.find("hash='sha-1'") != std::string::npos);
    CHECK(presence.find("ver='" + loadgen_caps_ver() + "'") != std::string::npos);
    std::string node = std::string(loadgen_caps_node) + "#" + loadgen_caps_ver();
    std::string answer = answer_request("<iq from='localhost' to='u5@localhost/c4' type='get' id='d1'>"
                                        "<query xmlns='http://jabber.org/protocol/disco#info' node='" + node + "'/></iq>");
    CHECK(attribute(answer, "type") == "result");
    CHECK(attribute(answer, "id") == "d1");
    CHECK(attribute(answer, "to") == "localhost");
    CHECK(answer.find("node='" + node + "'") != std::string::npos);
    CHECK(answer.find("<feature var='urn:xmpp:bench:pep+notify'/>") != std::string::npos);
    // What the answer lists hashes to the ver the presence announced.
    std::vector<std::string> features;
    for (auto p = answer.find("var='"); p != std::string::npos; p = answer.find("var='", p + 1))
        features.push_back(answer.substr(p + 5, answer.find('\'', p + 5) - p - 5));
    CHECK(caps_ver({{"client", "bot", "", "xmq-loadgen"}}, features) == loadgen_caps_ver());
}

TEST_CASE("a server's requests: unknown node, roster push, ping, anything else; results are not answered") {
    std::string wrong = answer_request("<iq type=\"get\" id=\"d2\" from=\"u1@localhost\"><query "
                                       "xmlns=\"http://jabber.org/protocol/disco#info\" node=\"other#x\"/></iq>");
    CHECK(attribute(wrong, "type") == "error");
    CHECK(wrong.find("item-not-found") != std::string::npos);
    std::string push = answer_request("<iq type='set' id='push1'><query xmlns='jabber:iq:roster'><item "
                                      "jid='u2@localhost' subscription='to'/></query></iq>");
    CHECK(push == "<iq type='result' id='push1'/>");
    CHECK(attribute(answer_request("<iq type='get' id='p' from='localhost'><ping xmlns='urn:xmpp:ping'/></iq>"),
                    "type") == "result");
    std::string other = answer_request("<iq type='get' id='v' from='localhost'><query xmlns='jabber:iq:version'/></iq>");
    CHECK(other.find("service-unavailable") != std::string::npos);
    CHECK(answer_request("<iq type='result' id='x'/>").empty());
    CHECK(answer_request("<iq type='error' id='x'/>").empty());
}

TEST_CASE("notifications: this run's payloads only, warm-up and measured told apart") {
    std::string token_a = "@@00000007:0000000000000012345", token_b = "@@00000001:0000000000000000099";
    std::string note = "<message from='u1@localhost' type='headline'><event xmlns='http://jabber.org/protocol/"
                       "pubsub#event'><items node='urn:xmpp:bench:pep'><item id='m7'><entry xmlns='urn:xmpp:bench:"
                       "pep'>mabc12345" + token_a + "xx</entry></item><item id='w1'><entry>wabc12345" + token_b +
                       "</entry></item><item id='old'><entry>mdef00000" + token_a + "</entry></item></items></event>"
                       "</message>";
    auto found = pep_payloads(note, "abc12345");
    REQUIRE(found.size() == 2);
    CHECK(found[0].marker == 'm');
    CHECK(found[0].item == 7);
    CHECK(found[0].sent_ns == 12345);
    CHECK(found[1].marker == 'w');
    CHECK(found[1].item == 1);
    CHECK(pep_payloads(note, "").empty());
    CHECK(pep_payloads("<message><body>mabc12345@@0000</body></message>", "abc12345").empty());  // cut token
}

TEST_CASE("a roster result's subscriptions, in either quote") {
    auto items = roster_subscriptions("<iq type='result' id='r1'><query xmlns='jabber:iq:roster' ver='3'><item "
                                      "jid='u2@localhost' subscription='both'/><item subscription=\"to\" "
                                      "jid=\"u3@localhost\"><group>g</group></item><item jid='u4@localhost'/>"
                                      "<items-not/></query></iq>");
    CHECK(items.size() == 3);
    CHECK(items["u2@localhost"] == "both");
    CHECK(items["u3@localhost"] == "to");
    CHECK(items["u4@localhost"] == "none");
    CHECK(bare_jid("u1@localhost/pub") == "u1@localhost");
    CHECK(bare_jid("u1@localhost") == "u1@localhost");
}
