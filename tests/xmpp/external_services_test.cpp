// XEP-0215 as pure code: coturn's REST credentials (the password checked
// against an HMAC-SHA1 computed independently, with Python's hmac module),
// the <services/> and <credentials/> answers and their errors.
#include <doctest/doctest.h>

#include "xmpp/external_services.hpp"
#include "xmpp/stored_xml.hpp"

namespace external_services_test {

namespace extdisco = xmpp::extdisco;

xmpp::Element parse(std::string_view xml) {
    auto element = xmpp::parse_stored(xml);
    REQUIRE(element.has_value());
    return *element;
}

std::vector<extdisco::Service> configured() {
    extdisco::Service stun;
    stun.host = "stun.example.org";
    stun.port = 3478;
    extdisco::Service turn;
    turn.type = extdisco::ServiceType::turn;
    turn.host = "turn.example.org";
    turn.port = 3478;
    turn.name = "Relay";
    turn.secret = "north";
    turn.credentials_ttl = 86400;
    extdisco::Service turns = turn;
    turns.type = extdisco::ServiceType::turns;
    turns.port = 5349;
    turns.transport = extdisco::Transport::tcp;
    return {stun, turn, turns};
}

constexpr std::int64_t now = 1700000000;

TEST_CASE("extdisco: the TURN password is base64(HMAC-SHA1(secret, username)), as coturn computes it") {
    CHECK(extdisco::turn_password("north", "1700086400:juliet@localhost") == "5Iiuom2bHenyRlgyjrq9v8phnho=");
    CHECK(extdisco::turn_password("north", "1700086400") == "K+RlgFj3QLvB7WAVHfjfgMgyBeA=");
    const auto c = extdisco::make_credentials("north", now, 86400, "juliet@localhost");
    CHECK(c.username == "1700086400:juliet@localhost");
    CHECK(c.password == "5Iiuom2bHenyRlgyjrq9v8phnho=");
    CHECK(c.expires == 1700086400);
    CHECK(extdisco::make_credentials("north", now, 86400, "").username == "1700086400");
}

TEST_CASE("extdisco: <services/> lists every service; restricted ones carry credentials, never the secret") {
    auto result = extdisco::answer_services(parse("<services xmlns='urn:xmpp:extdisco:2'/>"), configured(), now,
                                            "juliet@localhost");
    REQUIRE(result.ok());
    const auto& services = result->children();
    REQUIRE(services.size() == 3);
    CHECK(services[0].attr_or("type") == "stun");
    CHECK(services[0].attr_or("host") == "stun.example.org");
    CHECK(services[0].attr_or("port") == "3478");
    CHECK(services[0].attr_or("transport") == "udp");
    CHECK(services[0].attr_or("restricted") == "false");
    CHECK(services[0].attr("username") == nullptr);
    CHECK(services[0].attr("password") == nullptr);
    CHECK(services[1].attr_or("type") == "turn");
    CHECK(services[1].attr_or("name") == "Relay");
    CHECK(services[1].attr_or("restricted") == "true");
    CHECK(services[1].attr_or("username") == "1700086400:juliet@localhost");
    CHECK(services[1].attr_or("password") == "5Iiuom2bHenyRlgyjrq9v8phnho=");
    CHECK(services[1].attr_or("expires") == "2023-11-15T22:13:20Z");
    CHECK(services[2].attr_or("type") == "turns");
    CHECK(services[2].attr_or("transport") == "tcp");
    for (const auto& s : services)
        for (const auto& a : s.attributes()) CHECK(a.value.find("north") == std::string::npos);
}

TEST_CASE("extdisco: <services type=.../> selects; an empty type is bad-request") {
    auto turn = extdisco::answer_services(parse("<services xmlns='urn:xmpp:extdisco:2' type='turn'/>"), configured(),
                                          now, "u@h");
    REQUIRE(turn.ok());
    REQUIRE(turn->children().size() == 1);
    CHECK(turn->attr_or("type") == "turn");
    CHECK(turn->children()[0].attr_or("host") == "turn.example.org");
    auto none = extdisco::answer_services(parse("<services xmlns='urn:xmpp:extdisco:2' type='ftp'/>"), configured(),
                                          now, "u@h");
    REQUIRE(none.ok());
    CHECK(none->children().empty());
    auto bad = extdisco::answer_services(parse("<services xmlns='urn:xmpp:extdisco:2' type=''/>"), configured(), now,
                                         "u@h");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error() == xmpp::StanzaError::bad_request);
}

TEST_CASE("extdisco: <credentials/> for a restricted service gives fresh credentials") {
    auto result = extdisco::answer_credentials(
        parse("<credentials xmlns='urn:xmpp:extdisco:2'><service host='turn.example.org' type='turns'/></credentials>"),
        configured(), now, "juliet@localhost");
    REQUIRE(result.ok());
    CHECK(result->name() == "credentials");
    REQUIRE(result->children().size() == 1);
    const auto& service = result->children()[0];
    CHECK(service.attr_or("port") == "5349");
    CHECK(service.attr_or("username") == "1700086400:juliet@localhost");
    CHECK(service.attr_or("password") == "5Iiuom2bHenyRlgyjrq9v8phnho=");

    auto with_port = extdisco::answer_credentials(
        parse("<credentials xmlns='urn:xmpp:extdisco:2'><service host='turn.example.org' type='turn' port='3478'/>"
              "</credentials>"),
        configured(), now, "juliet@localhost");
    REQUIRE(with_port.ok());
    CHECK(with_port->children()[0].attr_or("type") == "turn");
}

TEST_CASE("extdisco: <credentials/> errors: item-not-found for no such restricted service, bad-request when malformed") {
    auto error_of = [](std::string_view xml) {
        auto r = extdisco::answer_credentials(parse(xml), configured(), now, "u@h");
        REQUIRE_FALSE(r.ok());
        return r.error();
    };
    using xmpp::StanzaError;
    const std::string open = "<credentials xmlns='urn:xmpp:extdisco:2'>";
    const std::string close = "</credentials>";
    CHECK(error_of(open + "<service host='turn.example.com' type='turn'/>" + close) == StanzaError::item_not_found);
    CHECK(error_of(open + "<service host='turn.example.org' type='turn' port='3479'/>" + close) ==
          StanzaError::item_not_found);
    CHECK(error_of(open + "<service host='stun.example.org' type='stun'/>" + close) == StanzaError::item_not_found);
    CHECK(error_of(open + "<service host='turn.example.org' type='ftp'/>" + close) == StanzaError::item_not_found);
    CHECK(error_of(open + close) == StanzaError::bad_request);
    CHECK(error_of(open + "<service type='turn'/>" + close) == StanzaError::bad_request);
    CHECK(error_of(open + "<service host='turn.example.org'/>" + close) == StanzaError::bad_request);
    CHECK(error_of(open + "<service host='turn.example.org' type='turn' port='0'/>" + close) ==
          StanzaError::bad_request);
    CHECK(error_of(open + "<service host='turn.example.org' type='turn' port='70000'/>" + close) ==
          StanzaError::bad_request);
    CHECK(error_of(open + "<service host='turn.example.org' type='turn' port='34x'/>" + close) ==
          StanzaError::bad_request);
    CHECK(error_of(open + "<service host='a' type='turn'/><service host='b' type='turn'/>" + close) ==
          StanzaError::bad_request);
    CHECK(error_of(open + "<other host='turn.example.org' type='turn'/>" + close) == StanzaError::bad_request);
}

}  // namespace external_services_test
