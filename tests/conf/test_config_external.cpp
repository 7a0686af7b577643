// [[external_services]] (XEP-0215: STUN and TURN servers with coturn REST
// credentials) and [contact_addresses] (XEP-0157), with their errors.
#include <doctest/doctest.h>

#include "conf/config.hpp"
#include "load_helpers.hpp"

using namespace conf;
using conf_test::load_ok;
using conf_test::single_error;
using xmpp::extdisco::ServiceType;
using xmpp::extdisco::Transport;

TEST_CASE("[[external_services]] loads STUN and TURN servers, with defaults by type") {
    const Config c = load_ok(R"([[external_services]]
type = "stun"
host = "STUN.Example.org"

[[external_services]]
type = "turn"
host = "192.0.2.7"
port = 3479
transport = "tcp"
name = "Relay"
secret = "north"
credentials_ttl = 3600

[[external_services]]
type = "turns"
host = "2001:db8::7"
secret = "north"
)");
    REQUIRE(c.external_services.size() == 3);
    const auto& stun = c.external_services[0];
    CHECK(stun.type == ServiceType::stun);
    CHECK(stun.host == "stun.example.org");
    CHECK(stun.port == 3478);
    CHECK(stun.transport == Transport::udp);
    CHECK_FALSE(stun.restricted());
    const auto& turn = c.external_services[1];
    CHECK(turn.type == ServiceType::turn);
    CHECK(turn.host == "192.0.2.7");
    CHECK(turn.port == 3479);
    CHECK(turn.transport == Transport::tcp);
    CHECK(turn.name == "Relay");
    CHECK(turn.secret == "north");
    CHECK(turn.credentials_ttl == 3600);
    CHECK(turn.restricted());
    const auto& turns = c.external_services[2];
    CHECK(turns.port == 5349);
    CHECK(turns.transport == Transport::tcp);
    CHECK(turns.credentials_ttl == 86400);
    CHECK(default_config().external_services.empty());
}

TEST_CASE("bad [[external_services]] values name their line and key") {
    single_error("[[external_services]]\nhost = \"turn.example.org\"\n", 1, "external_services[0].type", "missing");
    single_error("[[external_services]]\ntype = \"turn\"\n", 1, "external_services[0].host", "missing");
    single_error("[[external_services]]\ntype = \"ftp\"\nhost = \"a.example\"\n", 2, "external_services[0].type",
                 "must be one of");
    single_error("[[external_services]]\ntype = \"turn\"\nhost = \"not a host\"\n", 3, "external_services[0].host",
                 "is not a domain name or IP address");
    single_error("[[external_services]]\ntype = \"turn\"\nhost = \"a.example\"\nport = 0\n", 4,
                 "external_services[0].port");
    single_error("[[external_services]]\ntype = \"turn\"\nhost = \"a.example\"\ntransport = \"sctp\"\n", 4,
                 "external_services[0].transport", "must be one of");
    single_error("[[external_services]]\ntype = \"turn\"\nhost = \"a.example\"\nsecret = \"\"\n", 4,
                 "external_services[0].secret", "must not be empty");
    single_error("[[external_services]]\ntype = \"stun\"\nhost = \"a.example\"\nsecret = \"s\"\n", 4,
                 "external_services[0].secret", "takes no credentials");
    single_error("[[external_services]]\ntype = \"turn\"\nhost = \"a.example\"\ncredentials_ttl = 600\n", 4,
                 "external_services[0].credentials_ttl", "only valid with a secret");
    single_error("[[external_services]]\ntype = \"turn\"\nhost = \"a.example\"\nsecret = \"s\"\ncredentials_ttl = 5\n",
                 5, "external_services[0].credentials_ttl");
    single_error("[[external_services]]\ntype = \"turn\"\nhost = \"a.example\"\nusername = \"u\"\n", 4,
                 "external_services[0].username");
    single_error("[[external_services]]\ntype = \"turn\"\nhost = \"a.example\"\n\n"
                 "[[external_services]]\ntype = \"turn\"\nhost = \"A.example\"\n",
                 7, "external_services[1].host", "the same service as external_services[0]");
}

TEST_CASE("a bad secret is reported by its key, never by its value") {
    const auto e = single_error("[[external_services]]\ntype = \"stun\"\nhost = \"a.example\"\nsecret = \"hunter2\"\n",
                                4, "external_services[0].secret");
    CHECK(e.to_string().find("hunter2") == std::string::npos);
}

TEST_CASE("[contact_addresses] loads one list per kind") {
    const Config c = load_ok(R"([contact_addresses]
abuse = ["mailto:abuse@example.org"]
admin = ["xmpp:admin@example.org", "mailto:admin@example.org"]
feedback = ["https://example.org/feedback"]
sales = ["mailto:sales@example.org"]
security = ["mailto:security@example.org"]
support = ["xmpp:support@conference.example.org?join"]
)");
    const auto& a = c.contact_addresses;
    CHECK(a.abuse == std::vector<std::string>{"mailto:abuse@example.org"});
    CHECK(a.admin == std::vector<std::string>{"xmpp:admin@example.org", "mailto:admin@example.org"});
    CHECK(a.feedback == std::vector<std::string>{"https://example.org/feedback"});
    CHECK(a.sales.size() == 1);
    CHECK(a.security.size() == 1);
    CHECK(a.support == std::vector<std::string>{"xmpp:support@conference.example.org?join"});
    CHECK(default_config().contact_addresses.empty());
}

TEST_CASE("bad [contact_addresses] values name their line and key") {
    single_error("[contact_addresses]\nabuse = [\"abuse@example.org\"]\n", 2, "contact_addresses.abuse[0]",
                 "is not a mailto:, xmpp: or https:// URI");
    single_error("[contact_addresses]\nsupport = [\"mailto:a@example.org\", \"http://example.org\"]\n", 2,
                 "contact_addresses.support[1]", "is not a mailto:");
    single_error("[contact_addresses]\nadmin = \"xmpp:admin@example.org\"\n", 2, "contact_addresses.admin");
    single_error("[contact_addresses]\nadmin = [\"xmpp:a@example.org\", \"xmpp:a@example.org\"]\n", 2,
                 "contact_addresses.admin[1]", "is listed twice");
    single_error("[contact_addresses]\nmarketing = [\"mailto:m@example.org\"]\n", 2, "contact_addresses.marketing");
    std::string many = "[contact_addresses]\nabuse = [";
    for (int i = 0; i < 17; ++i)
        many += std::string(i ? ", " : "") + "\"mailto:a" + std::to_string(i) + "@example.org\"";
    single_error(many + "]\n", 2, "contact_addresses.abuse", "at most 16 addresses");
}
