#include <doctest/doctest.h>

#include "xmpp/errors.hpp"
#include "xmpp/namespaces.hpp"
#include "xmpp/serializer.hpp"

using namespace xmpp;

TEST_CASE("errors: condition names") {
    CHECK(to_string(StreamError::bad_format) == "bad-format");
    CHECK(to_string(StreamError::not_well_formed) == "not-well-formed");
    CHECK(to_string(StreamError::restricted_xml) == "restricted-xml");
    CHECK(to_string(StreamError::unsupported_version) == "unsupported-version");
    CHECK(to_string(StreamError::see_other_host) == "see-other-host");
    CHECK(to_string(StanzaError::bad_request) == "bad-request");
    CHECK(to_string(StanzaError::service_unavailable) == "service-unavailable");
    CHECK(to_string(StanzaError::unexpected_request) == "unexpected-request");
    CHECK(to_string(ErrorType::continue_) == "continue");
    CHECK(to_string(ErrorType::modify) == "modify");
    // Every stanza condition survives a round trip through its name.
    for (int i = 0; i <= static_cast<int>(StanzaError::unexpected_request); ++i) {
        auto e = static_cast<StanzaError>(i);
        CHECK(stanza_error_from_string(to_string(e)) == e);
    }
    CHECK_FALSE(stanza_error_from_string("no-such-condition"));
}

TEST_CASE("errors: default types per RFC 6120 §8.3.3") {
    CHECK(default_type(StanzaError::bad_request) == ErrorType::modify);
    CHECK(default_type(StanzaError::forbidden) == ErrorType::auth);
    CHECK(default_type(StanzaError::item_not_found) == ErrorType::cancel);
    CHECK(default_type(StanzaError::jid_malformed) == ErrorType::modify);
    CHECK(default_type(StanzaError::not_authorized) == ErrorType::auth);
    CHECK(default_type(StanzaError::recipient_unavailable) == ErrorType::wait);
    CHECK(default_type(StanzaError::resource_constraint) == ErrorType::wait);
    CHECK(default_type(StanzaError::service_unavailable) == ErrorType::cancel);
    CHECK(default_type(StanzaError::subscription_required) == ErrorType::auth);
    CHECK(default_type(StanzaError::feature_not_implemented) == ErrorType::cancel);
}

TEST_CASE("errors: stream error XML") {
    CHECK(stream_error_xml(StreamError::not_well_formed) ==
          "<stream:error><not-well-formed xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>");
    CHECK(stream_error_xml(StreamError::policy_violation, "too <big>") ==
          "<stream:error><policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
          "<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>too &lt;big&gt;</text></stream:error>");
}

TEST_CASE("errors: stanza error element") {
    Element e = stanza_error_element(StanzaError::item_not_found);
    CHECK(to_string(e) == "<error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>");
    Element t = stanza_error_element(StanzaError::not_allowed, "no & no", ErrorType::auth);
    CHECK(to_string(t) ==
          "<error type='auth'><not-allowed xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
          "<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>no &amp; no</text></error>");
}

TEST_CASE("errors: error replies") {
    Element iq("iq", "jabber:client");
    iq.set_attr("from", "juliet@example.com/balcony");
    iq.set_attr("to", "example.com");
    iq.set_attr("id", "q1");
    iq.set_attr("type", "get");
    iq.add_child(Element("query", "jabber:iq:version"));
    Element r = make_error_reply(iq, StanzaError::service_unavailable);
    CHECK(r.name() == "iq");
    CHECK(r.xmlns() == "jabber:client");
    CHECK(r.attr_or("to") == "juliet@example.com/balcony");
    CHECK(r.attr_or("from") == "example.com");
    CHECK(r.attr_or("id") == "q1");
    CHECK(r.attr_or("type") == "error");
    CHECK(r.child("query", "jabber:iq:version") != nullptr);
    const Element* err = r.child("error");
    REQUIRE(err);
    CHECK(err->attr_or("type") == "cancel");
    CHECK(err->child("service-unavailable", ns::stanzas) != nullptr);
    CHECK(to_string(r) ==
          "<iq to='juliet@example.com/balcony' from='example.com' id='q1' type='error'>"
          "<query xmlns='jabber:iq:version'/><error type='cancel'>"
          "<service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>");

    // No 'to' on the original: the reply has no 'from'.
    Element m("message", "jabber:client");
    m.set_attr("from", "romeo@example.net/orchard");
    m.set_attr("id", "m1");
    Element mr = make_error_reply(m, StanzaError::bad_request, "why", ErrorType::modify);
    CHECK(mr.attr("from") == nullptr);
    CHECK(mr.attr_or("to") == "romeo@example.net/orchard");
    CHECK(mr.child("error")->child_text("text", ns::stanzas) == "why");

    // And without 'from': no 'to'.
    Element p("presence", "jabber:client");
    p.set_attr("to", "x@y");
    Element pr = make_error_reply(p, StanzaError::forbidden);
    CHECK(pr.attr("to") == nullptr);
    CHECK(pr.attr_or("from") == "x@y");
}

TEST_CASE("errors: which stanzas may be answered with an error") {
    Element get("iq", "jabber:client");
    get.set_attr("type", "get");
    CHECK(is_error_reply_allowed(get));
    Element result("iq", "jabber:client");
    result.set_attr("type", "result");
    CHECK_FALSE(is_error_reply_allowed(result));
    Element err("message", "jabber:client");
    err.set_attr("type", "error");
    CHECK_FALSE(is_error_reply_allowed(err));
    Element presence_err("presence", "jabber:client");
    presence_err.set_attr("type", "error");
    CHECK_FALSE(is_error_reply_allowed(presence_err));
    Element chat("message", "jabber:client");
    chat.set_attr("type", "chat");
    CHECK(is_error_reply_allowed(chat));
    CHECK(is_error_reply_allowed(Element("message", "jabber:client")));
}
