// C2sHarness: the real c2s negotiation, bound sessions, router and every
// module the configuration turns on (ServerParts, with the store in memory and
// the accounts in MemoryAccounts) over an in-memory transport, for
// conversations between a scripted client and the server. One io_context on
// the test's thread; settle() runs it (storage hops included) until nothing is
// left to do. Not thread-safe: one test, one harness.
#pragma once

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <string_view>

#include "memory_accounts.hpp"
#include "memory_transport.hpp"
#include "server/c2s/c2s_negotiation.hpp"
#include "server/server_parts.hpp"

namespace test {

struct C2sHarness {
    boost::asio::io_context ctx{1};
    MemoryAccounts accounts;
    std::unique_ptr<server::ServerParts> parts;
    server::Services& services;
    server::SessionManager& sessions;
    server::Router& router;

    // juliet@localhost (password r0meo) exists.
    explicit C2sHarness(conf::Config config = conf::default_config())
        : parts(build(std::move(config), accounts)),
          services(parts->services),
          sessions(parts->sessions),
          router(parts->router) {
        accounts.create({"juliet", "localhost", auth::make_scram_secrets("r0meo", 4096)});
    }

    static std::unique_ptr<server::ServerParts> build(conf::Config config, MemoryAccounts& accounts) {
        REQUIRE_FALSE(auth::SaslServer::global_init().has_value());
        auto parts = server::ServerParts::build(std::make_shared<const conf::Config>(std::move(config)),
                                                {.store = server::ServerParts::Store::memory, .accounts = &accounts});
        REQUIRE_MESSAGE(parts.ok(), (parts.ok() ? "" : parts.error()));
        return std::move(parts.value());
    }

    std::shared_ptr<MemoryPipe> connect(bool secure) {
        auto pipe = std::make_shared<MemoryPipe>(ctx);
        pipe->secure = secure;
        auto session = std::make_shared<server::C2sNegotiation>(services, ctx.get_executor(),
                                                            std::make_unique<MemoryTransport>(pipe), false);
        session->start();
        settle();
        return pipe;
    }

    // Runs until nothing is left to do now: the session's handlers and the
    // storage jobs they start (drained after each poll, so a slow job, e.g.
    // under a sanitizer, cannot be left running). Timers do not count.
    void settle() {
        for (int round = 0; round < 1000; ++round) {
            ctx.restart();
            std::size_t ran = ctx.poll();
            parts->storage.drain();
            ctx.restart();
            ran += ctx.poll();
            if (ran == 0) return;
        }
        FAIL("the sessions never settled");
    }

    // Client says `bytes`; returns what the server answered since.
    std::string say(MemoryPipe& pipe, std::string bytes) {
        pipe.output.clear();
        pipe.push(std::move(bytes));
        settle();
        return pipe.output;
    }

    static std::string open_stream() {
        return "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
               "xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>";
    }
    static std::string plain_auth(std::string_view user, std::string_view password) {
        std::string message = std::string("\0", 1) + std::string(user) + std::string("\0", 1) + std::string(password);
        return "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" + auth::base64_encode(message) +
               "</auth>";
    }

    // A session of user/password bound to `resource`; fails the test otherwise.
    std::shared_ptr<MemoryPipe> login(std::string_view user, std::string_view password,
                                      std::string_view resource = "r", bool secure = true) {
        auto pipe = connect(secure);
        say(*pipe, open_stream());
        REQUIRE(say(*pipe, plain_auth(user, password)).find("<success") != std::string::npos);
        say(*pipe, open_stream());
        auto bound = say(*pipe, "<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>" +
                                    std::string(resource) + "</resource></bind></iq>");
        REQUIRE(bound.find("<jid>") != std::string::npos);
        return pipe;
    }
};

}  // namespace test
