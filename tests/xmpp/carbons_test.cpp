// XEP-0280 eligibility (§6, with the XEP-0334 no-copy hint and <private/>
// of §9), the wrapped copy (§7, §8) and the stripping of <private/>.
#include <doctest/doctest.h>

#include "xmpp/carbons.hpp"
#include "xmpp/namespaces.hpp"
#include "xmpp/serializer.hpp"
#include "xmpp/stored_xml.hpp"

namespace {

using xmpp::carbons::Direction;
using xmpp::carbons::eligible;

xmpp::Element parse(std::string_view xml) {
    auto element = xmpp::parse_stored(xml);
    REQUIRE(element.has_value());
    return *element;
}

bool both(std::string_view xml) {
    const auto message = parse(xml);
    const bool sent = eligible(message, Direction::sent);
    CHECK(sent == eligible(message, Direction::received));
    return sent;
}

}  // namespace

TEST_CASE("carbons: chat messages and normal messages with a body are copied") {
    CHECK(both("<message type='chat'><body>hi</body></message>"));
    CHECK(both("<message type='chat'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>"));
    CHECK(both("<message type='normal'><body>hi</body></message>"));
    CHECK(both("<message><body>hi</body></message>"));  // no type: normal
}

TEST_CASE("carbons: other messages are not copied") {
    CHECK_FALSE(both("<message><received xmlns='urn:xmpp:receipts' id='x'/></message>"));
    CHECK_FALSE(both("<message type='groupchat'><body>hi</body></message>"));
    CHECK_FALSE(both("<message type='headline'><body>news</body></message>"));
    CHECK_FALSE(both("<message type='error'><body>hi</body><error type='cancel'/></message>"));
    CHECK_FALSE(both("<presence/>"));
    CHECK_FALSE(both("<iq type='set'><query xmlns='jabber:iq:roster'/></iq>"));
}

TEST_CASE("carbons: <private/> and the no-copy hint keep a message from being copied") {
    CHECK_FALSE(both("<message type='chat'><body>hi</body><private xmlns='urn:xmpp:carbons:2'/></message>"));
    CHECK_FALSE(both("<message type='chat'><body>hi</body><no-copy xmlns='urn:xmpp:hints'/></message>"));
    // The same names in other namespaces do not count.
    CHECK(both("<message type='chat'><body>hi</body><private xmlns='urn:example'/></message>"));
    CHECK(both("<message type='chat'><body>hi</body><no-store xmlns='urn:xmpp:hints'/></message>"));
}

TEST_CASE("carbons: a copy is never copied again") {
    CHECK_FALSE(both("<message type='chat'><sent xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'>"
                     "<message type='chat'><body>hi</body></message></forwarded></sent></message>"));
    CHECK_FALSE(both("<message type='chat'><received xmlns='urn:xmpp:carbons:2'/></message>"));
}

TEST_CASE("carbons: a MUC private message is copied to the sender's resources, not the recipient's") {
    const auto pm = parse("<message type='chat'><body>psst</body>"
                          "<x xmlns='http://jabber.org/protocol/muc#user'/></message>");
    CHECK(eligible(pm, Direction::sent));
    CHECK_FALSE(eligible(pm, Direction::received));
}

TEST_CASE("carbons: the copy wraps the original, from the bare JID to the resource, with its type") {
    const auto original = parse("<message from='juliet@localhost/balcony' to='romeo@localhost' type='chat' id='m1'>"
                                "<body>hi</body></message>");
    const auto account = *xmpp::Jid::parse("juliet@localhost");
    const auto to = *xmpp::Jid::parse("juliet@localhost/chamber");
    const auto copy = xmpp::carbons::wrap(original, Direction::sent, account, to);
    CHECK(copy.name() == "message");
    CHECK(copy.xmlns() == xmpp::ns::client);
    CHECK(copy.attr_or("from") == "juliet@localhost");
    CHECK(copy.attr_or("to") == "juliet@localhost/chamber");
    CHECK(copy.attr_or("type") == "chat");
    const auto* sent = copy.child("sent", xmpp::ns::carbons);
    REQUIRE(sent != nullptr);
    const auto* forwarded = sent->child("forwarded", xmpp::ns::forward);
    REQUIRE(forwarded != nullptr);
    const auto* inner = forwarded->child("message", xmpp::ns::client);
    REQUIRE(inner != nullptr);
    CHECK(*inner == original);

    const auto received = xmpp::carbons::wrap(parse("<message><body>x</body></message>"), Direction::received,
                                              *xmpp::Jid::parse("romeo@localhost"),
                                              *xmpp::Jid::parse("romeo@localhost/garden"));
    CHECK(received.child("received", xmpp::ns::carbons) != nullptr);
    CHECK(received.attr("type") == nullptr);  // the original had none
}

TEST_CASE("carbons: <private/> is stripped from the delivered original, nothing else") {
    auto message = parse("<message type='chat'><body>hi</body><private xmlns='urn:xmpp:carbons:2'/>"
                         "<private xmlns='urn:example'/></message>");
    CHECK(xmpp::carbons::strip_private(message));
    CHECK(message.child("private", xmpp::ns::carbons) == nullptr);
    CHECK(message.child("private", "urn:example") != nullptr);
    CHECK(message.child("body") != nullptr);
    CHECK_FALSE(xmpp::carbons::strip_private(message));
}
