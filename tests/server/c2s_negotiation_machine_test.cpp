// C2sNegotiationMachine without a connection: each transition, and what
// each state answers to an event it does not allow.
#include <doctest/doctest.h>

#include "server/c2s/c2s_negotiation_machine.hpp"
#include "xmpp/namespaces.hpp"

// A named namespace: the unity build puts several test files in one unit.
namespace c2s_negotiation_machine_test {

using server::C2sNegotiationMachine;
using Machine = C2sNegotiationMachine;
using State = Machine::State;
using Event = Machine::Event;
using Kind = Machine::Verdict::Kind;
using Features = Machine::Features;

constexpr Machine::Security plain{false, true};         // TCP before STARTTLS
constexpr Machine::Security encrypted{true, false};     // direct TLS, after STARTTLS, wss://
constexpr Machine::Security plain_for_good{false, false};  // plain ws:// nobody vouched for

xmpp::StreamHeader header(std::string to = "localhost") {
    xmpp::StreamHeader h;
    h.name = "stream";
    h.xmlns = std::string(xmpp::ns::stream);
    h.default_ns = std::string(xmpp::ns::client);
    h.prefix = "stream";
    h.to = std::move(to);
    h.version = "1.0";
    return h;
}

conf::Config config(bool require_tls = true, bool registration = false) {
    conf::Config c = conf::default_config();
    c.auth.require_tls = require_tls;
    c.auth.max_failures = 3;
    c.hosts.front().registration = registration;
    return c;
}

void check_refused(const Machine::Verdict& verdict, xmpp::StreamError condition, std::string_view text) {
    CHECK(verdict.kind == Kind::stream_error);
    CHECK(verdict.condition == condition);
    CHECK(verdict.text == text);
}

// A machine brought to `state` along the usual path on an encrypted stream.
void reach(Machine& m, State state) {
    REQUIRE(m.stream_opened(header(), encrypted).allowed());
    if (state == State::awaiting_auth) return;
    REQUIRE(m.on(Event::auth).allowed());
    if (state == State::sasl_exchange) return;
    REQUIRE(m.sasl_succeeded("juliet"));
    if (state == State::awaiting_restart) return;
    REQUIRE(m.stream_opened(header(), encrypted).allowed());
    if (state == State::awaiting_bind) return;
    REQUIRE(m.bound());
    REQUIRE(state == State::bound);
}


TEST_CASE("negotiation: elements are told apart by name and namespace") {
    CHECK(Machine::event_of(xmpp::Element("starttls", std::string(xmpp::ns::tls))) == Event::starttls);
    CHECK(Machine::event_of(xmpp::Element("auth", std::string(xmpp::ns::sasl))) == Event::auth);
    CHECK(Machine::event_of(xmpp::Element("response", std::string(xmpp::ns::sasl))) == Event::response);
    CHECK(Machine::event_of(xmpp::Element("abort", std::string(xmpp::ns::sasl))) == Event::abort);
    CHECK(Machine::event_of(xmpp::Element("auth", std::string(xmpp::ns::tls))) == Event::stanza);

    xmpp::Element bind("iq", std::string(xmpp::ns::client));
    bind.set_attr("type", "set");
    bind.add_child(xmpp::Element("bind", std::string(xmpp::ns::bind)));
    CHECK(Machine::event_of(bind) == Event::bind);
    bind.set_attr("type", "get");
    CHECK(Machine::event_of(bind) == Event::stanza);

    xmpp::Element registration("iq", std::string(xmpp::ns::client));
    registration.set_attr("type", "get");
    registration.add_child(xmpp::Element("query", "jabber:iq:register"));
    CHECK(Machine::event_of(registration) == Event::registration);
    CHECK(Machine::event_of(xmpp::Element("message", std::string(xmpp::ns::client))) == Event::stanza);
}

TEST_CASE("negotiation: a plain stream that can start TLS is offered STARTTLS alone, then TLS, then SASL") {
    const auto c = config();
    Machine m(c);
    CHECK(m.state() == State::awaiting_stream_header);
    CHECK(m.stream_opened(header(), plain).allowed());
    CHECK(m.state() == State::features_before_tls);
    CHECK(m.host() == "localhost");
    CHECK(m.features() == Features{.starttls = true, .tls_required = true});

    CHECK(m.on(Event::starttls).allowed());
    CHECK(m.state() == State::tls_handshake);
    CHECK(m.tls_established());
    CHECK(m.state() == State::awaiting_stream_header);

    CHECK(m.stream_opened(header(), encrypted).allowed());
    CHECK(m.state() == State::awaiting_auth);
    CHECK(m.features() == Features{.mechanisms = true});
}

TEST_CASE("negotiation: TLS required, SASL before it gets encryption-required and the stream goes on") {
    const auto c = config();
    Machine m(c);
    m.stream_opened(header(), plain);
    auto verdict = m.on(Event::auth);
    CHECK(verdict.kind == Kind::sasl_failure);
    CHECK(verdict.failure == auth::SaslFailure::encryption_required);
    CHECK_FALSE(m.sasl_failed(verdict.failure));
    CHECK(m.state() == State::features_before_tls);
    CHECK(m.failures() == 1);
}

TEST_CASE("negotiation: TLS optional, a plain stream is offered STARTTLS and SASL, and may authenticate") {
    const auto c = config(false, true);
    Machine m(c);
    m.stream_opened(header(), plain);
    CHECK(m.features() == Features{.starttls = true, .mechanisms = true, .registration = true});
    CHECK(m.on(Event::auth).allowed());
    CHECK(m.state() == State::sasl_exchange);
    // STARTTLS while the exchange runs in the clear: the exchange is dropped.
    CHECK(m.on(Event::starttls).allowed());
    CHECK(m.state() == State::tls_handshake);
}

TEST_CASE("negotiation: a stream that cannot encrypt and needs TLS is offered nothing") {
    const auto c = config();
    Machine m(c);
    m.stream_opened(header(), plain_for_good);
    CHECK(m.state() == State::awaiting_auth);
    CHECK(m.features() == Features{});
    CHECK(m.on(Event::starttls).kind == Kind::tls_failure);
    CHECK(m.state() == State::closing);
}

TEST_CASE("negotiation: STARTTLS on an encrypted stream gets a TLS failure and ends it") {
    const auto c = config();
    Machine m(c);
    m.stream_opened(header(), encrypted);
    CHECK(m.on(Event::starttls).kind == Kind::tls_failure);
    CHECK(m.state() == State::closing);
}

TEST_CASE("negotiation: SASL success, restart, bind, bound") {
    const auto c = config(true, true);
    Machine m(c);
    m.stream_opened(header(), encrypted);
    CHECK(m.features() == Features{.mechanisms = true, .registration = true});
    CHECK(m.on(Event::auth).allowed());
    CHECK(m.state() == State::sasl_exchange);
    CHECK(m.on(Event::response).allowed());
    CHECK(m.state() == State::sasl_exchange);
    CHECK(m.sasl_succeeded("juliet"));
    CHECK(m.state() == State::awaiting_restart);
    CHECK(m.user() == "juliet");

    CHECK(m.stream_opened(header(), encrypted).allowed());
    CHECK(m.state() == State::awaiting_bind);
    CHECK(m.features() == Features{.bind = true});
    CHECK(m.on(Event::bind).allowed());
    CHECK(m.state() == State::awaiting_bind);  // until the session table took it
    CHECK(m.bound());
    CHECK(m.state() == State::bound);
}

TEST_CASE("negotiation: a failed exchange awaits auth again; the last allowed failure ends the stream") {
    const auto c = config();
    Machine m(c);
    m.stream_opened(header(), encrypted);
    for (int attempt = 1; attempt <= 2; ++attempt) {
        CHECK(m.on(Event::auth).allowed());
        CHECK_FALSE(m.sasl_failed(auth::SaslFailure::not_authorized));
        CHECK(m.state() == State::awaiting_auth);
    }
    // Neither an abort nor a failure of our storage counts.
    CHECK(m.on(Event::auth).allowed());
    CHECK(m.on(Event::abort).allowed());
    CHECK_FALSE(m.sasl_failed(auth::SaslFailure::aborted));
    CHECK(m.state() == State::awaiting_auth);
    CHECK(m.on(Event::auth).allowed());
    CHECK_FALSE(m.sasl_failed(auth::SaslFailure::temporary_auth_failure));
    CHECK(m.failures() == 2);

    CHECK(m.on(Event::auth).allowed());
    CHECK(m.sasl_failed(auth::SaslFailure::not_authorized));
    CHECK(m.state() == State::closing);
}

TEST_CASE("negotiation: an auth during an exchange starts over; an abort without one is answered too") {
    const auto c = config();
    Machine m(c);
    reach(m, State::sasl_exchange);
    CHECK(m.on(Event::auth).allowed());
    CHECK(m.state() == State::sasl_exchange);

    Machine idle(c);
    reach(idle, State::awaiting_auth);
    CHECK(idle.on(Event::abort).allowed());
    CHECK_FALSE(idle.sasl_failed(auth::SaslFailure::aborted));
    CHECK(idle.state() == State::awaiting_auth);
}

TEST_CASE("negotiation: registration is allowed before authentication only") {
    const auto c = config(true, true);
    for (State state : {State::awaiting_auth, State::sasl_exchange}) {
        Machine m(c);
        reach(m, state);
        CHECK(m.on(Event::registration).allowed());
        CHECK(m.state() == state);
    }
    Machine before_tls(c);
    before_tls.stream_opened(header(), plain);
    CHECK(before_tls.on(Event::registration).allowed());  // registration itself asks for encryption

    Machine authenticated(c);
    reach(authenticated, State::awaiting_bind);
    check_refused(authenticated.on(Event::registration), xmpp::StreamError::not_authorized,
                  "Bind a resource first");
}

TEST_CASE("negotiation: before authentication, stanzas and bind are not-authorized and end the stream") {
    const auto c = config();
    for (State state : {State::awaiting_auth, State::sasl_exchange}) {
        for (Event event : {Event::stanza, Event::bind}) {
            Machine m(c);
            reach(m, state);
            check_refused(m.on(event), xmpp::StreamError::not_authorized, "Authenticate first");
            CHECK(m.state() == State::closing);
        }
    }
    Machine before_tls(c);
    before_tls.stream_opened(header(), plain);
    check_refused(before_tls.on(Event::stanza), xmpp::StreamError::not_authorized, "Authenticate first");
}

TEST_CASE("negotiation: a response outside an exchange is not-authorized") {
    const auto c = config();
    Machine m(c);
    reach(m, State::awaiting_auth);
    check_refused(m.on(Event::response), xmpp::StreamError::not_authorized, "No authentication in progress");
    CHECK(m.state() == State::closing);
}

TEST_CASE("negotiation: once authenticated, everything but bind is not-authorized") {
    const auto c = config();
    for (Event event : {Event::starttls, Event::auth, Event::response, Event::abort, Event::registration,
                        Event::stanza}) {
        Machine m(c);
        reach(m, State::awaiting_bind);
        check_refused(m.on(event), xmpp::StreamError::not_authorized, "Bind a resource first");
        CHECK(m.state() == State::closing);
    }
}

TEST_CASE("negotiation: bound, every element goes to the bound session") {
    const auto c = config();
    for (Event event : {Event::starttls, Event::auth, Event::response, Event::abort, Event::registration,
                        Event::bind, Event::stanza}) {
        Machine m(c);
        reach(m, State::bound);
        CHECK(m.on(event).allowed());
        CHECK(m.state() == State::bound);
    }
}

TEST_CASE("negotiation: with no stream open, an element is bad-format") {
    const auto c = config();
    Machine fresh(c);
    check_refused(fresh.on(Event::stanza), xmpp::StreamError::bad_format, "No stream is open");

    Machine handshake(c);
    handshake.stream_opened(header(), plain);
    handshake.on(Event::starttls);
    check_refused(handshake.on(Event::auth), xmpp::StreamError::bad_format, "No stream is open");

    Machine restart(c);
    reach(restart, State::awaiting_restart);
    check_refused(restart.on(Event::bind), xmpp::StreamError::bad_format, "No stream is open");
}

TEST_CASE("negotiation: a header while a stream is open is bad-format") {
    const auto c = config();
    Machine m(c);
    reach(m, State::awaiting_auth);
    check_refused(m.stream_opened(header(), encrypted), xmpp::StreamError::bad_format,
                  "The stream is already open");
}

TEST_CASE("negotiation: a refused header still names the host for our own header") {
    const auto c = config();
    auto refused = [&](xmpp::StreamHeader h, xmpp::StreamError condition, std::string_view text) {
        Machine m(c);
        check_refused(m.stream_opened(h, encrypted), condition, text);
        CHECK(m.state() == State::closing);
        return m.host();
    };
    auto h = header();
    h.xmlns = "urn:example";
    CHECK(refused(h, xmpp::StreamError::invalid_namespace, "The stream element is stream:stream") == "localhost");
    h = header();
    h.default_ns = std::string(xmpp::ns::server);
    refused(h, xmpp::StreamError::invalid_namespace, "This port serves jabber:client streams");
    h = header();
    h.version = "";
    refused(h, xmpp::StreamError::unsupported_version, "XMPP 1.0 is required");
    h.version = "2.0";
    refused(h, xmpp::StreamError::unsupported_version, "XMPP 1.0 is required");
    CHECK(refused(header(""), xmpp::StreamError::host_unknown, "The stream header needs a 'to'").empty());
    CHECK(refused(header("example.org"), xmpp::StreamError::host_unknown, "").empty());
}

TEST_CASE("negotiation: a restart may not change the host") {
    auto c = config();
    conf::HostConfig other;
    other.domain = "example.org";
    c.hosts.push_back(other);
    Machine m(c);
    reach(m, State::awaiting_restart);
    check_refused(m.stream_opened(header("example.org"), encrypted), xmpp::StreamError::host_unknown,
                  "The host changed on stream restart");
    CHECK(m.host() == "localhost");
}

TEST_CASE("negotiation: closing ignores everything") {
    const auto c = config();
    Machine m(c);
    m.close();
    CHECK(m.stream_opened(header(), encrypted).kind == Kind::ignore);
    for (Event event : {Event::starttls, Event::auth, Event::bind, Event::stanza})
        CHECK(m.on(event).kind == Kind::ignore);
    CHECK(m.state() == State::closing);
}

TEST_CASE("negotiation: outcomes outside their state change nothing") {
    const auto c = config();
    Machine m(c);
    reach(m, State::awaiting_auth);
    CHECK_FALSE(m.tls_established());
    CHECK_FALSE(m.sasl_succeeded("juliet"));
    CHECK_FALSE(m.bound());
    CHECK(m.state() == State::awaiting_auth);
    CHECK(m.user().empty());

    Machine bound(c);
    reach(bound, State::bound);
    CHECK_FALSE(bound.sasl_failed(auth::SaslFailure::not_authorized));
    CHECK(bound.state() == State::bound);
}

}  // namespace c2s_negotiation_machine_test
