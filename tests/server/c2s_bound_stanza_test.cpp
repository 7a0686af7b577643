// check_bound_stanza without a session: the RFC 6120 §8 checks of what a
// bound client sends, and the 'from' it stamps.
#include <doctest/doctest.h>

#include <vector>

#include "server/c2s/bound_stanza.hpp"
#include "xmpp/serializer.hpp"
#include "xmpp/stream_parser.hpp"

// A named namespace: the unity build puts several test files in one unit.
namespace c2s_bound_stanza_test {

using server::BoundStanzaVerdict;
using server::check_bound_stanza;
using Kind = BoundStanzaVerdict::Kind;

struct Stanzas final : xmpp::StreamHandler {
    std::vector<xmpp::Element> parsed;
    void on_stream_open(const xmpp::StreamHeader&) override {}
    void on_stanza(xmpp::Element&& stanza) override { parsed.push_back(std::move(stanza)); }
    void on_stream_close() override {}
    void on_stream_error(xmpp::StreamError, std::string_view) override {}
};

// One stanza as a client's stream carries it.
xmpp::Element parse(std::string_view xml) {
    Stanzas stanzas;
    xmpp::StreamParser parser(stanzas);
    parser.feed("<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
                "to='localhost' version='1.0'>");
    parser.feed(xml);
    REQUIRE(stanzas.parsed.size() == 1);
    return std::move(stanzas.parsed.front());
}

const xmpp::Jid juliet = *xmpp::Jid::parse("juliet@localhost/balcony");
bool is_queue(std::string_view domain) { return domain == "queue1.localhost"; }

struct Checked {
    xmpp::Element stanza;
    BoundStanzaVerdict verdict;
};

Checked check(std::string_view xml) {
    Checked c{parse(xml), {}};
    c.verdict = check_bound_stanza(c.stanza, juliet, is_queue);
    return c;
}

std::string xml_of(const xmpp::Element& element) {
    std::string out;
    xmpp::serialize(element, out);
    return out;
}

bool contains(const std::string& haystack, std::string_view needle) {
    return haystack.find(needle) != std::string::npos;
}


TEST_CASE("bound stanza: routed with the full JID as 'from' and its 'to' parsed") {
    auto c = check("<message to='Romeo@localhost/garden'><body>hi</body></message>");
    CHECK(c.verdict.kind == Kind::route);
    REQUIRE(c.verdict.to);
    CHECK(c.verdict.to->full() == "romeo@localhost/garden");
    CHECK(*c.stanza.attr("from") == "juliet@localhost/balcony");

    auto own_bare = check("<presence from='juliet@localhost'/>");
    CHECK(own_bare.verdict.kind == Kind::route);
    CHECK_FALSE(own_bare.verdict.to);
    CHECK(*own_bare.stanza.attr("from") == "juliet@localhost/balcony");
    CHECK(check("<presence from='juliet@localhost/balcony'/>").verdict.kind == Kind::route);
}

TEST_CASE("bound stanza: an unknown element or a 'from' not ours ends the stream") {
    auto unknown = check("<foo xmlns='urn:example'/>");
    CHECK(unknown.verdict.kind == Kind::stream_error);
    CHECK(unknown.verdict.stream_error == xmpp::StreamError::unsupported_stanza_type);
    CHECK(unknown.verdict.text == "Unknown stanza foo");

    for (auto from : {"romeo@localhost/x", "juliet@localhost/other", "not a jid@@"}) {
        auto spoofed = check("<message from='" + std::string(from) + "'/>");
        CHECK(spoofed.verdict.kind == Kind::stream_error);
        CHECK(spoofed.verdict.stream_error == xmpp::StreamError::invalid_from);
    }
}

TEST_CASE("bound stanza: a malformed 'to' is answered jid-malformed, unless the stanza is an error") {
    auto malformed = check("<message to='@localhost' id='m1'><body>x</body></message>");
    CHECK(malformed.verdict.kind == Kind::reply);
    CHECK(contains(xml_of(malformed.verdict.reply), "<jid-malformed"));
    CHECK(check("<message to='@localhost' type='error'/>").verdict.kind == Kind::drop);
}

TEST_CASE("bound stanza: iq type, id and payload count") {
    auto bad_type = check("<iq type='nonsense' id='i1'><ping xmlns='urn:xmpp:ping'/></iq>");
    CHECK(bad_type.verdict.kind == Kind::reply);
    CHECK(contains(xml_of(bad_type.verdict.reply), "Invalid iq type"));

    auto no_id = check("<iq type='get'><ping xmlns='urn:xmpp:ping'/></iq>");
    CHECK(no_id.verdict.kind == Kind::reply);
    CHECK(contains(xml_of(no_id.verdict.reply), "An iq needs an id"));
    CHECK(check("<iq type='result'/>").verdict.kind == Kind::drop);

    auto two = check("<iq type='set' id='i2' to='localhost'><a xmlns='urn:a'/><b xmlns='urn:b'/></iq>");
    CHECK(two.verdict.kind == Kind::reply);
    CHECK(contains(xml_of(two.verdict.reply), "exactly one payload"));
    CHECK(check("<iq type='get' id='i3' to='localhost'/>").verdict.kind == Kind::reply);
    // XMQ queue routes take a payload and a topic.
    CHECK(check("<iq type='set' id='i4' to='queue1.localhost'><a xmlns='urn:a'/><b xmlns='urn:b'/></iq>")
              .verdict.kind == Kind::route);
    CHECK(check("<iq type='result' id='i5' to='romeo@localhost/garden'/>").verdict.kind == Kind::route);
}

TEST_CASE("bound stanza: the legacy session request is answered here, to our host only") {
    auto session = check("<iq type='set' id='s1'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>");
    CHECK(session.verdict.kind == Kind::reply);
    CHECK(xml_of(session.verdict.reply) == "<iq type='result' id='s1' to='juliet@localhost/balcony'/>");
    CHECK(check("<iq type='set' id='s2' to='localhost'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>")
              .verdict.kind == Kind::reply);
    CHECK(check("<iq type='set' id='s3' to='romeo@localhost'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/>"
                "</iq>")
              .verdict.kind == Kind::route);
}

}  // namespace c2s_bound_stanza_test
