// Module "external_services" (XEP-0215), through a session: advertised and
// answered only when [[external_services]] is configured; the TURN
// credentials it hands out check against the shared secret as coturn checks
// them; the secret never appears on the wire; errors as the XEP says.
#include <doctest/doctest.h>

#include "conversation.hpp"
#include "server/router/router.hpp"
#include "xmpp/datetime.hpp"
#include "xmpp/external_services.hpp"
#include "xmpp/serializer.hpp"

namespace external_services_test {

using test::Client;
using test::disco_features;
using test::error_condition;

const std::string disco_info = "<query xmlns='http://jabber.org/protocol/disco#info'/>";
const std::string services = "<services xmlns='urn:xmpp:extdisco:2'/>";

conf::Config with_services() {
    conf::Config config = conf::default_config();
    xmpp::extdisco::Service stun;
    stun.host = "127.0.0.1";
    stun.port = 3478;
    xmpp::extdisco::Service turn;
    turn.type = xmpp::extdisco::ServiceType::turn;
    turn.host = "127.0.0.1";
    turn.port = 3478;
    turn.secret = "sesame-of-the-relay";
    turn.credentials_ttl = 600;
    config.external_services = {stun, turn};
    return config;
}

bool has(const std::vector<std::string>& list, std::string_view item) {
    return std::find(list.begin(), list.end(), item) != list.end();
}

TEST_CASE("external_services: nothing configured, nothing advertised, nothing answered") {
    test::C2sHarness h;
    Client juliet(h, "juliet", "r0meo", "balcony");
    CHECK_FALSE(has(disco_features(juliet.iq("get", disco_info, "localhost")), "urn:xmpp:extdisco:2"));
    CHECK(error_condition(juliet.iq("get", services, "localhost")) == "service-unavailable");
}

TEST_CASE("external_services: the services, with TURN credentials that check against the secret") {
    test::C2sHarness h(with_services());
    Client juliet(h, "juliet", "r0meo", "balcony");
    CHECK(has(disco_features(juliet.iq("get", disco_info, "localhost")), "urn:xmpp:extdisco:2"));
    const std::int64_t before = xmpp::unix_seconds_now();
    const xmpp::Element answer = juliet.iq("get", services, "localhost");
    REQUIRE(answer.attr_or("type") == "result");
    const xmpp::Element* list = answer.child("services", "urn:xmpp:extdisco:2");
    REQUIRE(list != nullptr);
    REQUIRE(list->children().size() == 2);
    const xmpp::Element& stun = list->children()[0];
    CHECK(stun.attr_or("type") == "stun");
    CHECK(stun.attr("password") == nullptr);
    const xmpp::Element& turn = list->children()[1];
    CHECK(turn.attr_or("type") == "turn");
    CHECK(turn.attr_or("host") == "127.0.0.1");
    CHECK(turn.attr_or("port") == "3478");
    CHECK(turn.attr_or("transport") == "udp");
    CHECK(turn.attr_or("restricted") == "true");
    const std::string username(turn.attr_or("username"));
    CHECK(username.ends_with(":juliet@localhost"));
    const std::int64_t expiry = std::stoll(username.substr(0, username.find(':')));
    CHECK(expiry >= before + 600);
    CHECK(expiry <= xmpp::unix_seconds_now() + 600);
    CHECK(turn.attr_or("password") == xmpp::extdisco::turn_password("sesame-of-the-relay", username));
    CHECK(xmpp::parse_xep82(turn.attr_or("expires")) == expiry);
    std::string wire;
    xmpp::serialize(answer, wire);
    CHECK(wire.find("sesame") == std::string::npos);
}

TEST_CASE("external_services: a credentials request, and its errors") {
    test::C2sHarness h(with_services());
    Client juliet(h, "juliet", "r0meo", "balcony");
    const xmpp::Element answer = juliet.iq(
        "get", "<credentials xmlns='urn:xmpp:extdisco:2'><service host='127.0.0.1' type='turn'/></credentials>",
        "localhost");
    REQUIRE(answer.attr_or("type") == "result");
    const xmpp::Element* credentials = answer.child("credentials", "urn:xmpp:extdisco:2");
    REQUIRE(credentials != nullptr);
    const xmpp::Element* service = credentials->child("service", "urn:xmpp:extdisco:2");
    REQUIRE(service != nullptr);
    CHECK(service->attr_or("password") ==
          xmpp::extdisco::turn_password("sesame-of-the-relay", service->attr_or("username")));

    CHECK(error_condition(juliet.iq("get",
                                    "<credentials xmlns='urn:xmpp:extdisco:2'><service host='turn.elsewhere.example' "
                                    "type='turn'/></credentials>",
                                    "localhost")) == "item-not-found");
    CHECK(error_condition(juliet.iq("get", "<credentials xmlns='urn:xmpp:extdisco:2'/>", "localhost")) ==
          "bad-request");
    CHECK(error_condition(juliet.iq("get", "<services xmlns='urn:xmpp:extdisco:2' type=''/>", "localhost")) ==
          "bad-request");
    CHECK(error_condition(juliet.iq("get", "<other xmlns='urn:xmpp:extdisco:2'/>", "localhost")) == "bad-request");
    CHECK(error_condition(juliet.iq("set", services, "localhost")) == "service-unavailable");
}

// No server-to-server yet, so no remote user reaches the handler over a
// stream; the handler is called as the Router would call it for one, with
// the error addressed back to a local session so that it can be read.
TEST_CASE("external_services: a requester that is not one of our users is forbidden") {
    test::C2sHarness h(with_services());
    Client juliet(h, "juliet", "r0meo", "balcony");
    const server::IqHandler* handler =
        h.services.modules->find_iq(server::IqTarget::host, "get", "urn:xmpp:extdisco:2");
    REQUIRE(handler != nullptr);
    xmpp::Element iq("iq", "jabber:client");
    iq.set_attr("type", "get");
    iq.set_attr("id", "remote1");
    iq.set_attr("from", juliet.jid());
    iq.set_attr("to", "localhost");
    iq.add_child(xmpp::Element("services", "urn:xmpp:extdisco:2"));
    (*handler)(server::IqRequest{iq, *xmpp::Jid::parse("mallory@elsewhere.example/x"), *xmpp::Jid::parse("localhost")},
               h.router);
    const auto stanzas = juliet.received();
    REQUIRE(stanzas.size() == 1);
    CHECK(stanzas[0].attr_or("id") == "remote1");
    CHECK(error_condition(stanzas[0]) == "forbidden");
}

}  // namespace external_services_test
