// SessionHarness: the c2s and component fuzz targets' world — one
// io_context, the real router, session table, every module and the XMQ
// engine (ServerParts, with the store in memory), the accounts juliet and
// romeo in MemoryAccounts, the external component bot.localhost (secret
// kComponentSecret), and c2s and component streams over test::MemoryTransport. Made once per fuzzing process; each
// input gets fresh sessions that are torn down (transport hung up, every
// coroutine finished) before the next input. What an input leaves in the
// store stays for the next ones, but each login restores its account's
// password (an input may change it in-band).
#pragma once

#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "../server/memory_accounts.hpp"
#include "../server/memory_transport.hpp"
#include "auth/scram.hpp"
#include "server/c2s/c2s_negotiation.hpp"
#include "server/component/component_stream.hpp"
#include "server/server_parts.hpp"
#include "server/system/log.hpp"

namespace fuzz {

inline const std::string kOpenStream =
    "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
    "xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>";

inline const std::string kComponentSecret = "s3cret";
inline const std::string kOpenComponentStream =
    "<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' "
    "xmlns:stream='http://etherx.jabber.org/streams' to='bot.localhost'>";

inline std::string plain_auth(std::string_view user, std::string_view password) {
    const std::string message =
        std::string(1, '\0') + std::string(user) + std::string(1, '\0') + std::string(password);
    return "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" +
           auth::base64_encode(message) + "</auth>";
}

struct SessionHarness {
    boost::asio::io_context ctx{1};
    test::MemoryAccounts accounts;
    std::unique_ptr<server::ServerParts> parts = build(accounts);
    server::Services& services = parts->services;
    server::SessionManager& sessions = parts->sessions;
    // user -> its secrets, computed once: PBKDF2 is slow.
    std::map<std::string, std::vector<auth::ScramSecret>> secrets;

    SessionHarness() {
        for (const auto& [user, password] : {std::pair{"juliet", "r0meo"}, std::pair{"romeo", "juli3t"}}) {
            secrets[user] = auth::make_scram_secrets(password, 4096);
            accounts.create({user, "localhost", secrets[user]});
        }
    }

    static std::unique_ptr<server::ServerParts> build(test::MemoryAccounts& accounts) {
        if (auth::SaslServer::global_init()) std::abort();
        server::set_log_level(conf::LogLevel::error);
        conf::Config config = conf::default_config();
        config.limits.max_stanza_bytes = 16 * 1024;
        config.limits.max_output_bytes = 64 * 1024;
        // Reliable queues beside the demo ones (docs/xmq.md "Reliable queues"):
        // ack, nack, the hold and durable subscriptions get fuzzed too.
        conf::QueueConfig jobs;
        jobs.route = "jobs.localhost";
        jobs.delivery = conf::DeliveryMode::acked;
        jobs.prefetch = 2;
        jobs.hold = 4;
        jobs.max_attempts = 2;
        jobs.dead_letter = "queue1.localhost";
        conf::QueueConfig feed = jobs;
        feed.route = "feed.localhost";
        feed.type = conf::QueueType::all;
        feed.dead_letter.clear();
        config.xmq.queues.push_back(jobs);
        config.xmq.queues.push_back(feed);
        config.components = {conf::ComponentConfig{"bot.localhost", kComponentSecret}};
        auto parts = server::ServerParts::build(std::make_shared<const conf::Config>(std::move(config)),
                                                {.store = server::ServerParts::Store::memory, .accounts = &accounts});
        if (!parts) std::abort();
        return std::move(parts.value());
    }

    // The password the harness gave `user`, whatever an earlier input set in-band.
    void restore_password(const std::string& user) {
        if (accounts.find(user, "localhost")->secrets == secrets.at(user)) return;
        if (accounts.set_secrets(user, "localhost", secrets.at(user)) != auth::StoreStatus::ok) std::abort();
    }

    std::shared_ptr<test::MemoryPipe> connect() {
        auto pipe = std::make_shared<test::MemoryPipe>(ctx);
        pipe->secure = true;  // SASL is offered without a TLS handshake
        auto session = std::make_shared<server::C2sNegotiation>(
            services, ctx.get_executor(), std::make_unique<test::MemoryTransport>(pipe), false);
        session->start();
        settle();
        return pipe;
    }

    // A stream on the component listener (XEP-0114), not yet opened.
    std::shared_ptr<test::MemoryPipe> connect_component() {
        auto pipe = std::make_shared<test::MemoryPipe>(ctx);
        auto stream =
            std::make_shared<server::ComponentStream>(services, ctx.get_executor(), std::make_unique<test::MemoryTransport>(pipe));
        stream->start();
        settle();
        return pipe;
    }

    // Runs until nothing is left to do now: the sessions' handlers and the
    // storage jobs they start (drained after each poll). Timers do not count.
    void settle() {
        for (int round = 0; round < 10000; ++round) {
            ctx.restart();
            std::size_t ran = ctx.poll();
            parts->storage.drain();
            ctx.restart();
            ran += ctx.poll();
            if (ran == 0) return;
        }
    }

    std::string say(test::MemoryPipe& pipe, std::string bytes) {
        pipe.output.clear();
        pipe.push(std::move(bytes));
        settle();
        return pipe.output;
    }

    // say(); aborts unless the answer holds `needle` (the harness is broken).
    std::string expect(test::MemoryPipe& pipe, std::string bytes, std::string_view needle) {
        say(pipe, std::move(bytes));
        if (pipe.output.find(needle) == std::string::npos) std::abort();
        return pipe.output;
    }

    // A bound session for `user`, or aborts (the harness itself is broken).
    std::shared_ptr<test::MemoryPipe> login(std::string_view user, std::string_view password,
                                            std::string_view resource) {
        restore_password(std::string(user));
        auto pipe = connect();
        expect(*pipe, kOpenStream, "</stream:features>");
        expect(*pipe, plain_auth(user, password), "<success");
        expect(*pipe, kOpenStream, "</stream:features>");
        expect(*pipe,
               "<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>" +
                   std::string(resource) + "</resource></bind></iq>",
               "<jid>");
        return pipe;
    }

    // Hangs up every pipe and runs until the sessions are gone.
    void hang_up(const std::vector<std::shared_ptr<test::MemoryPipe>>& pipes) {
        for (const auto& pipe : pipes) pipe->hang_up();
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        // Stream management keeps a resumable session after its connection
        // is lost: end those too.
        auto sm = services.modules->find_shared<server::StreamManagement>();
        do {
            if (sm) sm->end_hibernated();
            settle();
            if (std::chrono::steady_clock::now() > deadline) std::abort();  // a session outlived its transport
        } while (sessions.size() != 0 || services.components->size() != 0);
    }
};

}  // namespace fuzz
