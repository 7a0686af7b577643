// The c2s state machine, driven over an in-memory transport: a conversation
// between a scripted client and the real C2sSession, router and modules.
#include <doctest/doctest.h>

#include <map>

#include "memory_accounts.hpp"
#include "memory_transport.hpp"
#include "server/c2s_session.hpp"
#include "server/module_host.hpp"
#include "server/modules/modules.hpp"
#include "server/router.hpp"
#include "server/session_manager.hpp"
#include "server/storage_executor.hpp"
#include "xmq/engine.hpp"

namespace {

struct Harness {
    boost::asio::io_context ctx{1};
    server::Services services;
    server::SessionManager sessions;
    server::ModuleHost modules;
    server::Router router{services};
    server::StorageExecutor storage;
    test::MemoryAccounts accounts;
    std::unique_ptr<xmq::Engine> xmq;

    explicit Harness(conf::Config config = conf::default_config()) {
        REQUIRE_FALSE(auth::SaslServer::global_init().has_value());
        config.auth.max_failures = 2;
        xmq = std::make_unique<xmq::Engine>(config.xmq, std::vector<std::string>{"localhost"});
        services.config.store(std::make_shared<const conf::Config>(std::move(config)));
        services.sessions = &sessions;
        services.modules = &modules;
        services.router = &router;
        services.storage = &storage;
        services.accounts = &accounts;
        services.xmq = xmq.get();
        server::modules::register_all(modules, services);
        accounts.create({"juliet", "localhost", auth::make_scram_secrets("r0meo", 4096)});
    }

    std::shared_ptr<test::MemoryPipe> connect(bool secure) {
        auto pipe = std::make_shared<test::MemoryPipe>(ctx);
        pipe->secure = secure;
        auto session = std::make_shared<server::C2sSession>(services, ctx.get_executor(),
                                                            std::make_unique<test::MemoryTransport>(pipe), false);
        session->start();
        settle();
        return pipe;
    }

    // Runs until nothing is left to do now (storage hops included).
    void settle() {
        for (int i = 0; i < 50; ++i) {
            ctx.restart();
            ctx.poll();
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
            ctx.restart();
            if (ctx.poll() == 0) break;
        }
    }

    // Client says `bytes`; returns what the server answered since.
    std::string say(test::MemoryPipe& pipe, std::string bytes) {
        pipe.output.clear();
        pipe.push(std::move(bytes));
        settle();
        return pipe.output;
    }
};

const std::string open_stream =
    "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
    "to='localhost' version='1.0'>";

std::string plain_auth(std::string_view user, std::string_view password) {
    std::string message = std::string("\0", 1) + std::string(user) + std::string("\0", 1) + std::string(password);
    return "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" + auth::base64_encode(message) +
           "</auth>";
}

bool contains(const std::string& haystack, std::string_view needle) {
    return haystack.find(needle) != std::string::npos;
}

}  // namespace

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

    CHECK(contains(h.say(*pipe, plain_auth("juliet", "r0meo")), "<success"));
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
    auto wrong = h.say(*pipe, plain_auth("juliet", "wrong"));
    auto unknown = h.say(*pipe, plain_auth("nobody", "r0meo"));
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
    auto login = [&] {
        auto pipe = h.connect(true);
        h.say(*pipe, open_stream);
        h.say(*pipe, plain_auth("juliet", "r0meo"));
        h.say(*pipe, open_stream);
        h.say(*pipe, "<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
                     "<resource>balcony</resource></bind></iq>");
        return pipe;
    };
    auto first = login();
    first->output.clear();
    auto second = login();
    h.settle();
    CHECK(contains(first->output, "<conflict"));
    CHECK(first->closed);
    CHECK_FALSE(second->closed);
    CHECK(h.sessions.size() == 1);
}
