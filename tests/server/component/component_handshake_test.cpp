// The pure side of a component stream (XEP-0114): the header names a
// configured component in jabber:component:accept, the handshake proves its
// secret, and each stanza it sends is checked before the Router sees it.
#include <doctest/doctest.h>

#include "server/component/component_handshake.hpp"
#include "xmpp/component.hpp"
#include "xmpp/namespaces.hpp"
#include "xmpp/stored_xml.hpp"

namespace component_handshake_test {
namespace {

using server::check_component_handshake;
using server::check_component_header;
using server::check_component_stanza;
using Kind = server::ComponentStanzaVerdict::Kind;

conf::Config with_component() {
    conf::Config c = conf::default_config();
    c.components = {conf::ComponentConfig{"irc.localhost", "s3cret"}};
    return c;
}

xmpp::StreamHeader header(std::string to, std::string ns = std::string(xmpp::ns::component_accept)) {
    xmpp::StreamHeader h;
    h.name = "stream";
    h.default_ns = std::move(ns);
    h.to = std::move(to);
    return h;
}

xmpp::Element stanza(std::string_view xml) {
    auto e = xmpp::parse_stored(xml);
    REQUIRE(e.has_value());
    return *e;
}

}  // namespace

TEST_CASE("component header: a configured domain opens, in any case; others are refused") {
    const conf::Config config = with_component();
    auto ok = check_component_header(header("IRC.localhost"), config);
    REQUIRE(ok.component != nullptr);
    CHECK(ok.component->domain == "irc.localhost");

    auto unknown = check_component_header(header("nobody.localhost"), config);
    CHECK(unknown.component == nullptr);
    CHECK(unknown.condition == xmpp::StreamError::host_unknown);
    auto none = check_component_header(header(""), config);
    CHECK(none.component == nullptr);
    CHECK(none.condition == xmpp::StreamError::host_unknown);
    // A served host is not a component, even with its secret unknown.
    CHECK(check_component_header(header("localhost"), config).component == nullptr);

    auto client = check_component_header(header("irc.localhost", "jabber:client"), config);
    CHECK(client.component == nullptr);
    CHECK(client.condition == xmpp::StreamError::invalid_namespace);
    CHECK(unknown.text.find("s3cret") == std::string::npos);
}

TEST_CASE("component handshake: the digest of this stream id and secret, nothing else") {
    const std::string digest = xmpp::component::handshake_digest("abc123", "s3cret");
    const std::string ns(xmpp::ns::component_accept);
    CHECK(check_component_handshake(stanza("<handshake xmlns='" + ns + "'>" + digest + "</handshake>"), "abc123",
                                    "s3cret"));
    CHECK_FALSE(check_component_handshake(stanza("<handshake xmlns='" + ns + "'>" + digest + "</handshake>"),
                                          "abc124", "s3cret"));
    CHECK_FALSE(check_component_handshake(stanza("<handshake xmlns='" + ns + "'>s3cret</handshake>"), "abc123",
                                          "s3cret"));
    CHECK_FALSE(check_component_handshake(stanza("<handshake xmlns='" + ns + "'/>"), "abc123", "s3cret"));
    // The right digest in another namespace, or a stanza instead of it.
    CHECK_FALSE(check_component_handshake(stanza("<handshake xmlns='jabber:client'>" + digest + "</handshake>"),
                                          "abc123", "s3cret"));
    CHECK_FALSE(check_component_handshake(
        stanza("<message xmlns='" + ns + "' from='irc.localhost' to='a@localhost'/>"), "abc123", "s3cret"));
}

TEST_CASE("component stanza: routed with a from in its domain, renamed into jabber:client") {
    xmpp::Element m = stanza(
        "<message xmlns='jabber:component:accept' from='chan%net@irc.localhost/nick' to='juliet@localhost'>"
        "<body>hi</body></message>");
    auto verdict = check_component_stanza(m, "irc.localhost");
    REQUIRE(verdict.kind == Kind::route);
    CHECK(verdict.from->full() == "chan%net@irc.localhost/nick");
    CHECK(verdict.to->full() == "juliet@localhost");
    CHECK(m.xmlns() == xmpp::ns::client);
    CHECK(m.child("body", xmpp::ns::client) != nullptr);

    xmpp::Element iq = stanza("<iq xmlns='jabber:component:accept' type='result' id='1' from='irc.localhost' "
                              "to='juliet@localhost/balcony'/>");
    CHECK(check_component_stanza(iq, "irc.localhost").kind == Kind::route);
}

TEST_CASE("component stanza: a from outside its domain, or none, ends the stream with invalid-from") {
    for (std::string_view from : {"from='juliet@localhost'", "from='x@other.localhost'", "from='sub.irc.localhost'",
                                  "", "from='@@'"}) {
        xmpp::Element m = stanza("<message xmlns='jabber:component:accept' " + std::string(from) +
                                 " to='juliet@localhost'/>");
        auto verdict = check_component_stanza(m, "irc.localhost");
        CHECK_MESSAGE(verdict.kind == Kind::stream_error, from);
        CHECK(verdict.stream_error == xmpp::StreamError::invalid_from);
    }
}

TEST_CASE("component stanza: addressing and iq mistakes") {
    xmpp::Element no_to = stanza("<message xmlns='jabber:component:accept' from='irc.localhost'/>");
    auto verdict = check_component_stanza(no_to, "irc.localhost");
    CHECK(verdict.kind == Kind::stream_error);
    CHECK(verdict.stream_error == xmpp::StreamError::improper_addressing);

    xmpp::Element bad_to = stanza("<message xmlns='jabber:component:accept' from='irc.localhost' to='a@@b'/>");
    verdict = check_component_stanza(bad_to, "irc.localhost");
    REQUIRE(verdict.kind == Kind::reply);
    CHECK(verdict.reply.attr_or("to") == "irc.localhost");
    CHECK(verdict.reply.child("error")->child("jid-malformed", xmpp::ns::stanzas) != nullptr);

    xmpp::Element no_id = stanza("<iq xmlns='jabber:component:accept' type='get' from='irc.localhost' "
                                 "to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>");
    verdict = check_component_stanza(no_id, "irc.localhost");
    REQUIRE(verdict.kind == Kind::reply);
    CHECK(verdict.reply.child("error")->child("bad-request", xmpp::ns::stanzas) != nullptr);

    xmpp::Element result_no_id =
        stanza("<iq xmlns='jabber:component:accept' type='result' from='irc.localhost' to='localhost'/>");
    CHECK(check_component_stanza(result_no_id, "irc.localhost").kind == Kind::drop);

    xmpp::Element odd = stanza("<iq xmlns='jabber:component:accept' type='fetch' id='1' from='irc.localhost' "
                               "to='localhost'/>");
    CHECK(check_component_stanza(odd, "irc.localhost").kind == Kind::reply);

    xmpp::Element other = stanza("<handshake xmlns='jabber:component:accept'/>");
    verdict = check_component_stanza(other, "irc.localhost");
    CHECK(verdict.kind == Kind::stream_error);
    CHECK(verdict.stream_error == xmpp::StreamError::unsupported_stanza_type);
}

}  // namespace component_handshake_test
