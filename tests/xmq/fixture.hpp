// Test fixture for the XMQ engine: an injected clock, a Sink that records what
// the engine delivers and answers, stanzas written as XML (parsed by the real
// StreamParser), and a default configuration of three queues under localhost.
#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "conf/config.hpp"
#include "xmq/engine.hpp"
#include "xmpp/element.hpp"
#include "xmpp/jid.hpp"
#include "xmpp/namespaces.hpp"
#include "xmpp/serializer.hpp"
#include "xmpp/stream_parser.hpp"

namespace xmqtest {

using namespace std::chrono_literals;

class Collector : public xmpp::StreamHandler {
public:
    void on_stream_open(const xmpp::StreamHeader&) override {}
    void on_stanza(xmpp::Element&& stanza) override { stanzas.push_back(std::move(stanza)); }
    void on_stream_close() override {}
    void on_stream_error(xmpp::StreamError, std::string_view text) override { error = std::string(text) + " "; }
    std::vector<xmpp::Element> stanzas;
    std::string error;
};

// One stanza from its XML text, as a c2s stream would deliver it.
inline xmpp::Element xml(std::string_view text) {
    Collector collector;
    xmpp::StreamParser parser(collector);
    parser.feed("<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
                "to='localhost' version='1.0'>");
    parser.feed(text);
    INFO("xml: " << text << " error: " << collector.error);
    REQUIRE(collector.stanzas.size() == 1);
    return std::move(collector.stanzas.front());
}

inline xmpp::Jid jid(std::string_view text) {
    auto j = xmpp::Jid::parse(text);
    REQUIRE(j.has_value());
    return *j;
}

class FakeClock {
public:
    xmq::Clock fn() const {
        auto t = now_;
        return [t] { return *t; };
    }
    void advance(std::chrono::seconds s) { *now_ += s; }

private:
    std::shared_ptr<std::chrono::steady_clock::time_point> now_ =
        std::make_shared<std::chrono::steady_clock::time_point>(std::chrono::hours(1000));
};

struct Delivery {
    std::string to;
    xmpp::Element stanza;
};

class FakeSink : public xmq::Sink {
public:
    bool deliver(const xmpp::Jid& to, const xmpp::Element& stanza) override {
        ++attempts[to.full()];
        if (gone.contains(to.full())) return false;
        deliveries.push_back(Delivery{to.full(), stanza});
        return true;
    }
    void reply(const xmpp::Element& stanza) override { replies.push_back(stanza); }

    std::size_t count_to(const std::string& full) const {
        std::size_t n = 0;
        for (const auto& d : deliveries) n += d.to == full;
        return n;
    }
    void clear() {
        deliveries.clear();
        replies.clear();
        attempts.clear();
    }

    std::vector<Delivery> deliveries;
    std::vector<xmpp::Element> replies;
    std::set<std::string> gone;
    std::map<std::string, int> attempts;
};

// The defined condition of an error reply ("" when not an error).
inline std::string error_condition(const xmpp::Element& reply) {
    const xmpp::Element* error = reply.child("error");
    if (error == nullptr) return {};
    for (const auto& c : error->children())
        if (!c.is_text() && c.xmlns() == xmpp::ns::stanzas && c.name() != "text") return c.name();
    return {};
}

inline std::string error_text(const xmpp::Element& reply) {
    const xmpp::Element* error = reply.child("error");
    if (error == nullptr) return {};
    const xmpp::Element* text = error->child("text", xmpp::ns::stanzas);
    return text == nullptr ? std::string{} : text->text();
}

inline conf::QueueConfig queue(std::string route, conf::QueueType type,
                               conf::Balance balance = conf::Balance::round_robin,
                               std::vector<std::string> publish = {}, std::vector<std::string> subscribe = {}) {
    conf::QueueConfig q;
    q.route = std::move(route);
    q.type = type;
    q.balance = balance;
    q.publish = std::move(publish);
    q.subscribe = std::move(subscribe);
    return q;
}

// queue1: ANY round-robin; queue2: ALL; queue3: ANY least-load.
inline conf::XmqConfig default_config() {
    conf::XmqConfig config;
    config.check_expires_time = 50;
    config.max_load = 90;
    config.queues = {queue("queue1.localhost", conf::QueueType::any),
                     queue("queue2.localhost", conf::QueueType::all),
                     queue("queue3.localhost", conf::QueueType::any, conf::Balance::least_load)};
    return config;
}

struct Fixture {
    // `journal` (it must outlive the fixture) hears what durable queues keep.
    explicit Fixture(conf::XmqConfig config = default_config(), std::vector<std::string> hosts = {"localhost"},
                     xmq::Journal& journal = xmq::no_journal())
        : engine(config, std::move(hosts), clock.fn(), journal) {}

    // Sends a stanza as the authenticated JID in its 'from'.
    void send(std::string_view text) {
        xmpp::Element stanza = xml(text);
        engine.handle(stanza, jid(stanza.attr_or("from")), sink);
    }
    void send(const xmpp::Element& stanza) { engine.handle(stanza, jid(stanza.attr_or("from")), sink); }

    // Subscribes and checks the result.
    void sub(const std::string& who, const std::string& route, const std::string& topic, int ttl = 60,
             int load = 1) {
        std::size_t before = sink.replies.size();
        send("<iq type='set' id='s' from='" + who + "' to='" + route +
             "'><xmq xmlns='xmq:command' command='sub' topic='" + topic + "' ttl='" + std::to_string(ttl) +
             "' load='" + std::to_string(load) + "'/></iq>");
        REQUIRE(sink.replies.size() == before + 1);
        CHECK(sink.replies.back().attr_or("type") == "result");
    }

    void publish(const std::string& who, const std::string& route, const std::string& topic,
                 const std::string& body = "hi") {
        send("<message type='chat' from='" + who + "' to='" + route + "'><body>" + body +
             "</body><xmq xmlns='xmq:topic' topic='" + topic + "'/></message>");
    }

    std::size_t sweep_count() { return engine.sweep(sink); }

    xmq::QueueStats stats(const std::string& route) const {
        for (const auto& s : engine.stats())
            if (s.route == route) return s;
        FAIL("no stats for " << route);
        return {};
    }

    FakeClock clock;
    FakeSink sink;
    xmq::Engine engine;
};

inline constexpr const char* A = "a@localhost/r";
inline constexpr const char* B = "b@localhost/r";
inline constexpr const char* C = "c@localhost/r";
inline constexpr const char* P = "pub@localhost/p";
inline constexpr const char* Q1 = "queue1.localhost";
inline constexpr const char* Q2 = "queue2.localhost";
inline constexpr const char* Q3 = "queue3.localhost";

}  // namespace xmqtest
