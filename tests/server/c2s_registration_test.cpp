// In-band registration (XEP-0077) through the real c2s stream, router and
// modules over an in-memory transport: the stream feature and the pre-auth
// iqs per host switch, a new account that then logs in, the per-address
// limit, and the password change of an authenticated user.
#include <doctest/doctest.h>

#include "c2s_harness.hpp"

// A named namespace: the unity build puts several test files in one unit.
namespace c2s_registration_test {

struct Harness : test::C2sHarness {
    explicit Harness(bool registration, std::chrono::seconds interval = std::chrono::seconds(0),
                     bool require_tls = true)
        : C2sHarness(config_of(registration, interval, require_tls)) {}

    static conf::Config config_of(bool registration, std::chrono::seconds interval, bool require_tls) {
        conf::Config config = conf::default_config();
        config.hosts.front().registration = registration;
        config.auth.registration_interval = interval;
        config.auth.require_tls = require_tls;
        return config;
    }
};

bool contains(const std::string& haystack, std::string_view needle) {
    return haystack.find(needle) != std::string::npos;
}

const std::string get_form = "<iq type='get' id='g1' to='localhost'><query xmlns='jabber:iq:register'/></iq>";

std::string register_set(std::string_view user, std::string_view password, std::string_view id = "s1") {
    return "<iq type='set' id='" + std::string(id) + "'><query xmlns='jabber:iq:register'><username>" +
           std::string(user) + "</username><password>" + std::string(password) + "</password></query></iq>";
}

std::string change_password(std::string_view user, std::string_view password) {
    return "<iq type='set' id='c1' to='localhost'><query xmlns='jabber:iq:register'><username>" + std::string(user) +
           "</username><password>" + std::string(password) + "</password></query></iq>";
}

TEST_CASE("registration disabled: no stream feature, the iqs get service-unavailable, the stream stays") {
    Harness h(false);
    auto pipe = h.connect(true);
    CHECK_FALSE(contains(h.say(*pipe, Harness::open_stream()), "iq-register"));
    auto answer = h.say(*pipe, get_form);
    CHECK(contains(answer, "type='error'"));
    CHECK(contains(answer, "<service-unavailable"));
    CHECK(contains(h.say(*pipe, register_set("romeo", "s3cret")), "<service-unavailable"));
    CHECK_FALSE(pipe->closed);
    CHECK_FALSE(h.accounts.find("romeo", "localhost"));
    // Any other iq before authentication is still a stream error.
    CHECK(contains(h.say(*pipe, "<iq type='get' id='p'><ping xmlns='urn:xmpp:ping'/></iq>"), "<not-authorized"));
}

TEST_CASE("registration enabled: the feature, the form, a new account that logs in; a taken name conflicts") {
    Harness h(true);
    auto pipe = h.connect(true);
    CHECK(contains(h.say(*pipe, Harness::open_stream()),
                   "<register xmlns='http://jabber.org/features/iq-register'/>"));
    auto form = h.say(*pipe, get_form);
    CHECK(contains(form, "type='result'"));
    CHECK(contains(form, "id='g1'"));
    CHECK(contains(form, "<username/>"));
    CHECK(contains(form, "<password/>"));

    auto created = h.say(*pipe, register_set("Romeo", "s3cret"));
    CHECK(contains(created, "<iq type='result' id='s1'"));
    REQUIRE(h.accounts.find("romeo", "localhost"));
    CHECK(h.accounts.find("romeo", "localhost")->secrets.size() == 2);  // SHA-1 and SHA-256, as adduser

    auto conflict = h.say(*pipe, register_set("juliet", "x", "s2"));
    CHECK(contains(conflict, "<conflict"));
    CHECK_FALSE(contains(conflict, "<password>"));  // the request is not echoed

    CHECK(contains(h.say(*pipe, register_set("ro@meo", "x", "s3")), "<jid-malformed"));
    CHECK(contains(h.say(*pipe, register_set("tybalt", "", "s4")), "<not-acceptable"));
    CHECK(contains(h.say(*pipe, "<iq type='set' id='s5'><query xmlns='jabber:iq:register'><remove/></query></iq>"),
                   "<unexpected-request"));

    // The same stream then authenticates with the new account.
    CHECK(contains(h.say(*pipe, Harness::plain_auth("romeo", "s3cret")), "<success"));
}

TEST_CASE("registration needs the encryption SASL needs") {
    Harness h(true);
    auto pipe = h.connect(false);  // plain, and auth.require_tls
    CHECK_FALSE(contains(h.say(*pipe, Harness::open_stream()), "iq-register"));
    CHECK(contains(h.say(*pipe, register_set("romeo", "s3cret")), "<not-authorized"));
    CHECK_FALSE(h.accounts.find("romeo", "localhost"));
}

TEST_CASE("one registration per address per interval; failures do not count; logins go on") {
    Harness h(true, std::chrono::seconds(600));
    auto pipe = h.connect(true);
    h.say(*pipe, Harness::open_stream());
    CHECK(contains(h.say(*pipe, register_set("juliet", "x", "s0")), "<conflict"));  // does not use the slot
    CHECK(contains(h.say(*pipe, register_set("romeo", "s3cret")), "type='result'"));
    auto limited = h.say(*pipe, register_set("tybalt", "s3cret", "s2"));
    CHECK(contains(limited, "<resource-constraint"));
    CHECK(contains(limited, "type='wait'"));
    CHECK_FALSE(h.accounts.find("tybalt", "localhost"));
    auto other = h.connect(true);  // another stream from the same address
    h.say(*other, Harness::open_stream());
    CHECK(contains(h.say(*other, register_set("mercutio", "s3cret")), "<resource-constraint"));
    h.login("juliet", "r0meo");
}

TEST_CASE("an authenticated user changes its own password, not another's") {
    Harness h(false);  // password changes need no registration switch
    auto pipe = h.login("juliet", "r0meo");
    auto info = h.say(*pipe, "<iq type='get' id='i1' to='localhost'><query xmlns='jabber:iq:register'/></iq>");
    CHECK(contains(info, "<registered/>"));
    CHECK(contains(info, "<username>juliet</username>"));

    h.accounts.create({"romeo", "localhost", auth::make_scram_secrets("m0ntague", 4096)});
    CHECK(contains(h.say(*pipe, change_password("romeo", "hacked")), "<not-authorized"));
    CHECK(contains(h.say(*pipe, change_password("juliet", "")), "<bad-request"));

    auto changed = h.say(*pipe, change_password("juliet", "n3w-pass"));
    CHECK(contains(changed, "type='result'"));
    CHECK(contains(changed, "id='c1'"));
    // Without 'to' (slixmpp's way): the user's own account answers too.
    auto again = h.say(*pipe, "<iq type='set' id='c2'><query xmlns='jabber:iq:register'><username>juliet</username>"
                              "<password>n3w-pass2</password></query></iq>");
    CHECK(contains(again, "type='result'"));

    auto old = h.connect(true);
    h.say(*old, Harness::open_stream());
    CHECK(contains(h.say(*old, Harness::plain_auth("juliet", "r0meo")), "<not-authorized"));
    h.login("juliet", "n3w-pass2");
    h.login("romeo", "m0ntague");  // untouched
}

// A bound session as the router sees it, over a stream that is not encrypted
// (auth.require_tls = false lets SCRAM run on one).
struct PlainSession final : server::ClientSession {
    std::vector<std::string> received;
    void deliver(std::string xml, server::Undelivered) override { received.push_back(std::move(xml)); }
    void close_with(xmpp::StreamError, std::string) override {}
    bool is_encrypted() const override { return false; }
};

TEST_CASE("no password change over an unencrypted stream") {
    Harness h(false, std::chrono::seconds(0), false);
    auto session = std::make_shared<PlainSession>();
    const auto from = *xmpp::Jid::parse("juliet@localhost/plain");
    h.sessions.bind(from, session, 100);
    auto iq = xmpp::Element("iq", "jabber:client");
    iq.set_attr("type", "set");
    iq.set_attr("id", "c1");
    iq.set_attr("from", from.full());
    iq.set_attr("to", "localhost");
    auto& query = iq.add_child(xmpp::Element("query", "jabber:iq:register"));
    query.add_child(xmpp::Element("username", "jabber:iq:register")).add_text("juliet");
    query.add_child(xmpp::Element("password", "jabber:iq:register")).add_text("n3w");
    const auto host = *xmpp::Jid::parse("localhost");
    h.router.route(std::move(iq), from, &host);
    h.settle();
    REQUIRE(session->received.size() == 1);
    CHECK(contains(session->received[0], "<not-authorized"));
    CHECK(auth::verify_password(h.accounts.find("juliet", "localhost")->secrets.front(), "r0meo"));
}

}  // namespace c2s_registration_test
