// Helpers for the reliable-queue tests (docs/xmq.md "Reliable queues"): a
// configuration with an acked ANY queue, an acked ALL queue and a dead-letter
// queue, and readers of the delivery tag.
#pragma once

#include "fixture.hpp"

namespace xmqtest {

inline constexpr const char* JOBS = "jobs.localhost";  // ANY, acked
inline constexpr const char* FEED = "feed.localhost";  // ALL, acked
inline constexpr const char* DEAD = "dead.localhost";  // ANY, once (dead letters)

inline conf::QueueConfig acked(std::string route, conf::QueueType type) {
    conf::QueueConfig q = queue(std::move(route), type);
    q.delivery = conf::DeliveryMode::acked;
    q.ack_timeout = 30;
    q.max_attempts = 3;
    return q;
}

inline conf::XmqConfig reliable_config(unsigned prefetch = 0, unsigned hold = 0) {
    conf::XmqConfig config = default_config();
    conf::QueueConfig jobs = acked(JOBS, conf::QueueType::any);
    jobs.prefetch = prefetch;
    jobs.hold = hold;
    jobs.dead_letter = DEAD;
    conf::QueueConfig feed = acked(FEED, conf::QueueType::all);
    feed.prefetch = prefetch;
    feed.hold = hold;
    config.queues.push_back(jobs);
    config.queues.push_back(feed);
    config.queues.push_back(queue(DEAD, conf::QueueType::any));
    return config;
}

// The delivery tag of a forwarded stanza (null when it has none).
inline const xmpp::Element* tag_of(const xmpp::Element& stanza) {
    return stanza.child("xmq", xmpp::ns::xmq_delivery);
}
inline std::string id_of(const Delivery& d) {
    const xmpp::Element* tag = tag_of(d.stanza);
    REQUIRE(tag != nullptr);
    return std::string(tag->attr_or("id"));
}
inline std::string attempt_of(const Delivery& d) {
    const xmpp::Element* tag = tag_of(d.stanza);
    REQUIRE(tag != nullptr);
    return std::string(tag->attr_or("attempt"));
}
inline std::string body_of(const Delivery& d) { return d.stanza.child_text("body"); }

struct ReliableFixture : Fixture {
    explicit ReliableFixture(unsigned prefetch = 0, unsigned hold = 0) : Fixture(reliable_config(prefetch, hold)) {}

    // Sends ack/nack and returns the reply.
    xmpp::Element command(const std::string& who, const std::string& route, const std::string& attrs) {
        std::size_t before = sink.replies.size();
        send("<iq type='set' id='c' from='" + who + "' to='" + route + "'><xmq xmlns='xmq:command' " + attrs +
             "/></iq>");
        REQUIRE(sink.replies.size() == before + 1);
        return sink.replies.back();
    }
    void ack(const std::string& who, const std::string& route, const std::string& ids) {
        CHECK(command(who, route, "command='ack' id='" + ids + "'").attr_or("type") == "result");
    }
    // The last delivery to `who`.
    const Delivery& last_to(const std::string& who) {
        for (auto it = sink.deliveries.rbegin(); it != sink.deliveries.rend(); ++it)
            if (it->to == who) return *it;
        FAIL("nothing delivered to " << who);
        return sink.deliveries.front();
    }
    void end_session(const std::string& who) { engine.session_ended(jid(who), sink); }
};

}  // namespace xmqtest
