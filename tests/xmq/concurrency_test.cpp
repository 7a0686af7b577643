// Many threads on one engine at once: commands, presence, publishing, session
// end, sweep, stats and reconfigure. Meant to run under the sanitizers
// (-Dsanitize=true, or -Db_sanitize=thread); here it checks the totals.
#include "fixture.hpp"

#include <atomic>
#include <mutex>
#include <thread>

using namespace xmqtest;

namespace {

// The fixture's sink is not thread-safe; this one counts atomically.
class CountingSink : public xmq::Sink {
public:
    bool deliver(const xmpp::Jid&, const xmpp::Element&) override {
        ++delivered;
        return true;
    }
    void reply(const xmpp::Element&) override { ++replies; }
    std::atomic<std::size_t> delivered{0};
    std::atomic<std::size_t> replies{0};
};

}  // namespace

TEST_CASE("concurrent use of one engine") {
    FakeClock clock;  // never advanced while threads run
    xmq::Engine engine(default_config(), {"localhost"}, clock.fn());
    CountingSink sink;
    constexpr int kThreads = 4;
    constexpr int kRounds = 300;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            const std::string who = "w" + std::to_string(t) + "@localhost/r";
            const auto from = *xmpp::Jid::parse(who);
            for (int i = 0; i < kRounds; ++i) {
                for (const char* route : {Q1, Q2, Q3}) {
                    xmpp::Element sub("iq", "jabber:client");
                    sub.set_attr("type", "set");
                    sub.set_attr("id", "s");
                    sub.set_attr("to", route);
                    xmpp::Element cmd("xmq", "xmq:command");
                    cmd.set_attr("command", "sub");
                    cmd.set_attr("topic", "t" + std::to_string(i % 3));
                    cmd.set_attr("ttl", "60");
                    sub.add_child(std::move(cmd));
                    engine.handle(sub, from, sink);

                    xmpp::Element msg("message", "jabber:client");
                    msg.set_attr("to", route);
                    xmpp::Element topic("xmq", "xmq:topic");
                    topic.set_attr("topic", "t" + std::to_string(i % 3));
                    msg.add_child(std::move(topic));
                    engine.handle(msg, from, sink);

                    xmpp::Element presence("presence", "jabber:client");
                    presence.set_attr("to", route);
                    engine.handle(presence, from, sink);
                }
                if (i % 50 == 49) engine.session_ended(from, sink);
                if (t == 0 && i % 100 == 0) engine.reconfigure(default_config(), {"localhost"});
                if (t == 1) {
                    engine.sweep(sink);
                    (void)engine.stats();
                    (void)engine.routes_of_host("localhost");
                }
            }
        });
    }
    for (auto& th : threads) th.join();
    // Every sub is answered; every message to an ALL queue or with a consumer is delivered.
    CHECK(sink.replies.load() >= static_cast<std::size_t>(kThreads * kRounds * 3));
    CHECK(sink.delivered.load() > 0);
    std::size_t published = 0;
    for (const auto& s : engine.stats()) published += s.published;
    CHECK(published == static_cast<std::size_t>(kThreads * kRounds * 3));
}
