// The server-to-server negotiation without sockets: what each element a
// peer sends means for an incoming and an outgoing stream (RFC 6120 §4,
// §5; XEP-0220).
#include <doctest/doctest.h>

#include "server/s2s/s2s_negotiation_machine.hpp"
#include "xmpp/namespaces.hpp"
#include "xmpp/stored_xml.hpp"

namespace s2s_negotiation_machine_test {
namespace {

using server::S2sIncomingMachine;
using server::S2sOutgoingMachine;
using Kind = server::S2sStep::Kind;

bool is_local(std::string_view domain) { return domain == "xmqd.test"; }

xmpp::StreamHeader header(std::string to, std::string ns = std::string(xmpp::ns::server), std::string id = "s1") {
    xmpp::StreamHeader h;
    h.name = "stream";
    h.xmlns = std::string(xmpp::ns::stream);
    h.default_ns = std::move(ns);
    h.to = std::move(to);
    h.from = "remote.test";
    h.id = std::move(id);
    h.version = "1.0";
    return h;
}

xmpp::Element xml(std::string_view text) {
    auto e = xmpp::parse_stored(text);
    REQUIRE(e);
    return *e;
}

const std::string db = " xmlns='jabber:server:dialback'";

TEST_CASE("incoming: the header must be jabber:server to a domain of ours") {
    S2sIncomingMachine m(true, is_local);
    CHECK(m.on_header(header("xmqd.test", "jabber:client"), false).error == xmpp::StreamError::invalid_namespace);
    CHECK(m.on_header(header("other.test"), false).error == xmpp::StreamError::host_unknown);
    CHECK(m.on_header(header(""), false).error == xmpp::StreamError::host_unknown);
    const auto step = m.on_header(header("xmqd.test"), false);
    CHECK(step.kind == Kind::send_features);
    CHECK(step.local == "xmqd.test");
}

TEST_CASE("incoming: TLS first when required, then a claim is verified before stanzas pass") {
    S2sIncomingMachine m(true, is_local);
    m.on_header(header("xmqd.test"), false);
    auto claim = xml("<result" + db + " from='remote.test' to='xmqd.test'>k1</result>");
    CHECK(m.on_element(claim, false).error == xmpp::StreamError::policy_violation);

    m = S2sIncomingMachine(true, is_local);
    m.on_header(header("xmqd.test"), false);
    auto starttls = xml("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    CHECK(m.on_element(starttls, false).kind == Kind::proceed_tls);
    CHECK(m.on_header(header("xmqd.test"), true).kind == Kind::send_features);

    auto message =
        xml("<message xmlns='jabber:server' from='a@remote.test/r' to='b@xmqd.test'><body>x</body></message>");
    CHECK(m.on_element(message, true).error == xmpp::StreamError::invalid_from);

    auto step = m.on_element(claim, true);
    CHECK(step.kind == Kind::verify_claim);
    CHECK(step.local == "xmqd.test");
    CHECK(step.remote == "remote.test");
    CHECK(step.key == "k1");
    // The same claim again while it is being verified.
    CHECK(m.on_element(claim, true).error == xmpp::StreamError::conflict);

    m.claim_decided("xmqd.test", "remote.test", true);
    CHECK(m.accepts("xmqd.test", "remote.test"));
    step = m.on_element(message, true);
    CHECK(step.kind == Kind::stanza);
    CHECK(message.xmlns() == xmpp::ns::client);
    CHECK(message.child("body", xmpp::ns::client) != nullptr);
    CHECK(m.on_element(claim, true).kind == Kind::claim_accepted);
}

TEST_CASE("incoming: stanzas of an accepted domain are checked") {
    S2sIncomingMachine m(false, is_local);
    m.on_header(header("xmqd.test"), false);
    m.claim_decided("xmqd.test", "remote.test", true);
    auto spoofed = xml("<message xmlns='jabber:server' from='a@spoof.test' to='b@xmqd.test'/>");
    CHECK(m.on_element(spoofed, false).error == xmpp::StreamError::invalid_from);
    auto elsewhere = xml("<message xmlns='jabber:server' from='a@remote.test' to='b@other.test'/>");
    CHECK(m.on_element(elsewhere, false).error == xmpp::StreamError::host_unknown);
    auto no_to = xml("<message xmlns='jabber:server' from='a@remote.test'/>");
    CHECK(m.on_element(no_to, false).error == xmpp::StreamError::improper_addressing);
    auto no_id = xml("<iq xmlns='jabber:server' type='get' from='remote.test' to='xmqd.test'/>");
    CHECK(m.on_element(no_id, false).error == xmpp::StreamError::invalid_xml);
    auto other = xml("<foo xmlns='jabber:server'/>");
    CHECK(m.on_element(other, false).error == xmpp::StreamError::unsupported_stanza_type);
}

TEST_CASE("incoming: a claim refused leaves the domain unaccepted") {
    S2sIncomingMachine m(false, is_local);
    m.on_header(header("xmqd.test"), false);
    auto claim = xml("<result" + db + " from='remote.test' to='xmqd.test'>k1</result>");
    CHECK(m.on_element(claim, false).kind == Kind::verify_claim);
    m.claim_decided("xmqd.test", "remote.test", false);
    CHECK_FALSE(m.accepts("xmqd.test", "remote.test"));
    // It may claim again.
    CHECK(m.on_element(claim, false).kind == Kind::verify_claim);
    auto elsewhere = xml("<result" + db + " from='remote.test' to='other.test'>k1</result>");
    CHECK(m.on_element(elsewhere, false).error == xmpp::StreamError::host_unknown);
}

TEST_CASE("incoming: a db:verify question about our key") {
    S2sIncomingMachine m(true, is_local);
    m.on_header(header("xmqd.test"), true);
    auto verify = xml("<verify" + db + " from='remote.test' to='xmqd.test' id='abc'>k2</verify>");
    const auto step = m.on_element(verify, true);
    CHECK(step.kind == Kind::answer_verify);
    CHECK(step.id == "abc");
    CHECK(step.key == "k2");
    CHECK(step.local == "xmqd.test");
    CHECK(step.remote == "remote.test");
    auto no_id = xml("<verify" + db + " from='remote.test' to='xmqd.test'>k2</verify>");
    CHECK(m.on_element(no_id, true).error == xmpp::StreamError::invalid_xml);
}

TEST_CASE("outgoing: STARTTLS, then the dialback claim, then established") {
    S2sOutgoingMachine m("xmqd.test", "remote.test", true);
    CHECK(m.on_header(header("xmqd.test", "jabber:client")).error == xmpp::StreamError::invalid_namespace);
    CHECK(m.on_header(header("xmqd.test", "jabber:server", "")).error == xmpp::StreamError::invalid_xml);
    CHECK(m.on_header(header("xmqd.test")).kind == Kind::ignore);
    auto features = xml("<features xmlns='http://etherx.jabber.org/streams'>"
                        "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></features>");
    CHECK(m.on_element(features, false).kind == Kind::request_tls);
    CHECK_FALSE(m.can_verify());
    auto proceed = xml("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    CHECK(m.on_element(proceed, false).kind == Kind::start_tls);
    CHECK(m.on_header(header("xmqd.test", "jabber:server", "s2")).kind == Kind::ignore);
    auto secure_features = xml("<features xmlns='http://etherx.jabber.org/streams'>"
                               "<dialback xmlns='urn:xmpp:features:dialback'/></features>");
    const auto step = m.on_element(secure_features, true);
    CHECK(step.kind == Kind::send_dialback);
    CHECK(step.id == "s2");
    CHECK(m.stream_id() == "s2");
    CHECK(m.can_verify());
    auto verdict = xml("<result" + db + " from='remote.test' to='xmqd.test' type='valid'/>");
    CHECK(m.on_element(verdict, true).kind == Kind::established);
    CHECK(m.established());
    auto stanza = xml("<message xmlns='jabber:server' from='a@remote.test' to='b@xmqd.test'/>");
    CHECK(m.on_element(stanza, true).error == xmpp::StreamError::unsupported_stanza_type);
}

TEST_CASE("outgoing: no TLS offered while it is required ends the stream") {
    S2sOutgoingMachine m("xmqd.test", "remote.test", true);
    m.on_header(header("xmqd.test"));
    auto features = xml("<features xmlns='http://etherx.jabber.org/streams'/>");
    CHECK(m.on_element(features, false).error == xmpp::StreamError::policy_violation);

    S2sOutgoingMachine lax("xmqd.test", "remote.test", false);
    lax.on_header(header("xmqd.test"));
    CHECK(lax.on_element(features, false).kind == Kind::send_dialback);
}

TEST_CASE("outgoing: a refused claim, and db:verify answers") {
    S2sOutgoingMachine m("xmqd.test", "remote.test", false);
    m.on_header(header("xmqd.test"));
    auto features = xml("<features xmlns='http://etherx.jabber.org/streams'/>");
    m.on_element(features, true);
    auto answer = xml("<verify" + db + " from='remote.test' to='xmqd.test' id='x1' type='valid'/>");
    auto step = m.on_element(answer, true);
    CHECK(step.kind == Kind::verify_answered);
    CHECK(step.valid);
    CHECK(step.id == "x1");
    auto other = xml("<result" + db + " from='elsewhere.test' to='xmqd.test' type='valid'/>");
    CHECK(m.on_element(other, true).error == xmpp::StreamError::invalid_from);

    S2sOutgoingMachine r("xmqd.test", "remote.test", false);
    r.on_header(header("xmqd.test"));
    r.on_element(features, true);
    auto refused = xml("<result" + db + " from='remote.test' to='xmqd.test' type='invalid'/>");
    CHECK(r.on_element(refused, true).kind == Kind::rejected);
    CHECK_FALSE(r.established());
}

}  // namespace
}  // namespace s2s_negotiation_machine_test
