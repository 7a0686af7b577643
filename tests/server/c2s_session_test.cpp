// The c2s state machine, driven over an in-memory transport: a conversation
// between a scripted client and the real c2s stream, router and modules.
#include <doctest/doctest.h>

#include <map>

#include "c2s_harness.hpp"

// A named namespace: the unity build puts several test files in one unit.
namespace c2s_session_test {

// At most two failed SASL attempts, to reach the limit quickly.
struct Harness : test::C2sHarness {
    explicit Harness(conf::Config config = conf::default_config()) : C2sHarness(two_failures(std::move(config))) {}

    static conf::Config two_failures(conf::Config config) {
        config.auth.max_failures = 2;
        return config;
    }
};

const std::string open_stream = test::C2sHarness::open_stream();
using test::C2sHarness;

bool contains(const std::string& haystack, std::string_view needle) {
    return haystack.find(needle) != std::string::npos;
}

TEST_CASE("a stream in the wrong namespace gets invalid-namespace after our header") {
    Harness h;
    auto pipe = h.connect(false);
    auto answer = h.say(*pipe, "<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' "
                               "to='localhost' version='1.0'>");
    CHECK(contains(answer, "<stream:stream"));
    CHECK(contains(answer, "<invalid-namespace"));
    CHECK(contains(answer, "</stream:stream>"));
    CHECK(pipe->closed);
}

TEST_CASE("an unknown host gets host-unknown, an old version unsupported-version") {
    Harness h;
    auto pipe = h.connect(false);
    CHECK(contains(h.say(*pipe, "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
                                "to='example.org' version='1.0'>"),
                   "<host-unknown"));
    auto pipe2 = h.connect(false);
    CHECK(contains(h.say(*pipe2, "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
                                 "to='localhost' version='2.0'>"),
                   "<unsupported-version"));
}

TEST_CASE("before TLS only STARTTLS is offered, and a stanza before auth is not-authorized") {
    Harness h;
    auto pipe = h.connect(false);
    auto features = h.say(*pipe, open_stream);
    CHECK_FALSE(contains(features, "<mechanisms"));  // the memory transport cannot start TLS
    auto answer = h.say(*pipe, "<message to='juliet@localhost'><body>hi</body></message>");
    CHECK(contains(answer, "<not-authorized"));
    CHECK(pipe->closed);
}

TEST_CASE("an encrypted stream offers SCRAM and PLAIN; PLAIN logs in, binds, and routes to itself") {
    Harness h;
    auto pipe = h.connect(true);
    auto features = h.say(*pipe, open_stream);
    CHECK(contains(features, "<mechanism>SCRAM-SHA-1</mechanism>"));
    CHECK(contains(features, "<mechanism>SCRAM-SHA-256</mechanism>"));
    CHECK(contains(features, "<mechanism>PLAIN</mechanism>"));

    CHECK(contains(h.say(*pipe, C2sHarness::plain_auth("juliet", "r0meo")), "<success"));
    auto restarted = h.say(*pipe, open_stream);
    CHECK(contains(restarted, "<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'"));

    auto bound = h.say(*pipe, "<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
                              "<resource>balcony</resource></bind></iq>");
    CHECK(contains(bound, "<jid>juliet@localhost/balcony</jid>"));

    auto echoed = h.say(*pipe, "<message to='juliet@localhost/balcony' type='chat'><body>to myself</body></message>");
    CHECK(contains(echoed, "from='juliet@localhost/balcony'"));
    CHECK(contains(echoed, "<body>to myself</body>"));

    auto pong = h.say(*pipe, "<iq type='get' id='p1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>");
    CHECK(contains(pong, "type='result'"));
    CHECK(contains(pong, "id='p1'"));

    auto unknown = h.say(*pipe, "<iq type='get' id='u1' to='localhost'><query xmlns='urn:example:none'/></iq>");
    CHECK(contains(unknown, "<service-unavailable"));

    auto spoofed = h.say(*pipe, "<message from='romeo@localhost/x' to='juliet@localhost'><body>x</body></message>");
    CHECK(contains(spoofed, "<invalid-from"));
}

TEST_CASE("wrong password and unknown user fail alike; too many failures close the stream") {
    Harness h;
    auto pipe = h.connect(true);
    h.say(*pipe, open_stream);
    auto wrong = h.say(*pipe, C2sHarness::plain_auth("juliet", "wrong"));
    auto unknown = h.say(*pipe, C2sHarness::plain_auth("nobody", "r0meo"));
    CHECK(contains(wrong, "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/></failure>"));
    CHECK(contains(unknown, "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/></failure>"));
    CHECK(contains(unknown, "<stream:error><not-authorized"));  // max_failures = 2 in the harness
    CHECK(pipe->closed);
}

TEST_CASE("restricted XML ends the stream with restricted-xml") {
    Harness h;
    auto pipe = h.connect(true);
    h.say(*pipe, open_stream);
    CHECK(contains(h.say(*pipe, "<!-- a comment -->"), "<restricted-xml"));
}

TEST_CASE("a second login with the same resource replaces the first with conflict") {
    Harness h;
    auto first = h.login("juliet", "r0meo", "balcony");
    first->output.clear();
    auto second = h.login("juliet", "r0meo", "balcony");
    h.settle();
    CHECK(contains(first->output, "<conflict"));
    CHECK(first->closed);
    CHECK_FALSE(second->closed);
    CHECK(h.sessions.size() == 1);
}

TEST_CASE("a replaced session's XMQ subscriptions end at the replacement; its own end later spares its successor's") {
    Harness h;
    h.accounts.create({"romeo", "localhost", auth::make_scram_secrets("juli3t", 4096)});
    const std::string sub = "<iq type='set' id='s' to='queue1.localhost'>"
                            "<xmq xmlns='xmq:command' command='sub' topic='t' ttl='3600'/></iq>";
    auto publish = [](const std::string& body) {
        return "<message to='queue1.localhost' type='normal'><body>" + body +
               "</body><xmq xmlns='xmq:topic' topic='t'/></message>";
    };
    auto publisher = h.login("romeo", "juli3t", "garden");
    auto old = h.login("juliet", "r0meo", "balcony");
    CHECK(contains(h.say(*old, sub), "type='result'"));
    // The old client stops reading: its session cannot write the conflict
    // error, so it ends only when the writes resume (after what follows).
    old->stall_writes = true;
    auto successor = h.login("juliet", "r0meo", "balcony");
    CHECK_FALSE(old->closed);

    // The old subscription went with the replacement: nothing reaches the
    // successor, which shares the full JID.
    CHECK(contains(h.say(*publisher, publish("one")), "No recipients found"));
    CHECK_FALSE(contains(successor->output, "one"));

    CHECK(contains(h.say(*successor, sub), "type='result'"));
    old->resume_writes();
    h.settle();
    CHECK(old->closed);
    successor->output.clear();
    h.say(*publisher, publish("two"));
    CHECK(contains(successor->output, "<body>two</body>"));
}

TEST_CASE("a store that fails the account lookup gets temporary-auth-failure, which counts as no failed attempt") {
    Harness h;  // at most two failures
    auto pipe = h.connect(true);
    h.say(*pipe, open_stream);
    h.accounts.fail_lookups = true;
    const std::string temporary =
        "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><temporary-auth-failure/></failure>";
    for (int attempt = 0; attempt < 3; ++attempt)
        CHECK(contains(h.say(*pipe, C2sHarness::plain_auth("juliet", "r0meo")), temporary));
    // SCRAM names its user in its first message: the lookup fails there.
    const std::string scram_first = "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>" +
                                    auth::base64_encode("n,,n=juliet,r=fyko+d2lbbFgONRv9qkxdawL") + "</auth>";
    CHECK(contains(h.say(*pipe, scram_first), temporary));
    CHECK_FALSE(pipe->closed);

    h.accounts.fail_lookups = false;
    CHECK(contains(h.say(*pipe, C2sHarness::plain_auth("juliet", "r0meo")), "<success"));
}

}  // namespace c2s_session_test
