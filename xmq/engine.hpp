// Engine: the XMQ queues of xmqd (docs/xmq.md), as a library with no
// sockets. It owns the configured routes, their subscriptions (keyed by route,
// topic and subscriber full JID, with ttl and load), expiry, ANY dispatch
// (round-robin per topic, least-load), ALL fan-out, max_load, the publish/
// subscribe allow lists, per-queue counters and the disco answers of routes;
// and, on queues configured for it, reliable delivery: acknowledgements,
// redelivery, prefetch, the hold, dead letters, durable subscriptions.
//
// The server hands it every stanza addressed to a route together with a Sink;
// the engine answers the sender and forwards to consumers only through it.
// Thread-safe: any worker may call any method at once; each route has its own
// lock. Sink methods may be called while a route lock is held, so they must
// not call back into the Engine (post, don't recurse).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conf/config.hpp"
#include "xmq/journal.hpp"
#include "xmpp/element.hpp"
#include "xmpp/jid.hpp"
#include "xmq/journal.hpp"
#include "xmq/kept_stanza.hpp"

namespace xmq {

using Clock = std::function<std::chrono::steady_clock::time_point()>;

class Sink {
public:
    virtual ~Sink() = default;
    // Forwards `stanza` (to/from already rewritten) to a consumer's full JID.
    // Returns false when no such session exists now (ANY then tries the next).
    virtual bool deliver(const xmpp::Jid& to, const xmpp::Element& stanza) = 0;
    // As deliver(), for a queue configured durable: the stanza goes out only
    // once what the queue journaled before it (its attempt count) is
    // committed. By default at once (a sink with no storage behind it).
    virtual bool deliver_when_committed(const xmpp::Jid& to, const xmpp::Element& stanza) {
        return deliver(to, stanza);
    }
    // Sends an answer (iq result, stanza error, disco reply) to the sender.
    virtual void reply(const xmpp::Element& stanza) = 0;
};

struct QueueStats {
    std::string route;
    conf::QueueType type = conf::QueueType::any;
    bool durable = false;                  // configured durable = true
    std::uint64_t published = 0;           // stanzas accepted for dispatch
    std::uint64_t delivered = 0;           // copies handed to consumers
    std::uint64_t rejected_no_topic = 0;
    std::uint64_t rejected_no_recipients = 0;
    std::uint64_t rejected_forbidden = 0;
    std::uint64_t rejected_bad_request = 0;
    std::uint64_t rejected_unsupported = 0;  // iq get/set to an ALL queue
    std::uint64_t dropped = 0;               // errors/results to a route, ALL with no consumer
    std::size_t consumers = 0;               // live subscriptions
    // Added by the engine:
    std::uint64_t rejected_limit = 0;   // sub refused: client at its subscription bound
    std::uint64_t consumers_gone = 0;   // deliver() failed: that client's subscriptions removed
    std::uint64_t expired = 0;          // subscriptions removed because their ttl ran out
    std::size_t topics = 0;             // topics with at least one subscription
    // Reliable queues (docs/xmq.md "Reliable queues"):
    std::size_t held = 0;                  // stanzas waiting in the hold now
    std::size_t unacked = 0;               // deliveries not yet acknowledged now
    std::uint64_t acked = 0;               // deliveries settled by ack or iq answer
    std::uint64_t redelivered = 0;         // deliveries with attempt > 1
    std::uint64_t dead_lettered = 0;       // stanzas handed to the dead-letter route
    std::uint64_t held_expired = 0;        // held stanzas dropped after hold_ttl
    std::uint64_t rejected_hold_full = 0;  // publish refused: the topic's hold is full
    std::uint64_t late_answers = 0;        // iq answers of an earlier consumer, dropped
};

// What a durable queue kept when the server stopped, read back from storage
// (docs/xmq.md "Durable queues"), for Engine::restore().
struct RestoredQueue {
    std::vector<KeptStanza> held;     // waiting in the hold (lane: topic on ANY, owner on ALL)
    std::vector<KeptStanza> unacked;  // out with a consumer, unacknowledged; attempts = deliveries so far
    std::vector<std::pair<std::string, std::string>> durable;  // (subscriber full JID, topic)
};

struct RestoreReport {
    std::size_t held = 0;           // stanzas back in the hold, first deliveries
    std::size_t redeliveries = 0;   // unacknowledged ones, held for their next attempt
    std::size_t subscriptions = 0;  // durable subscriptions back, away until their subscriber returns
    std::size_t ended = 0;          // at max_attempts: dead-lettered or dropped, as a late redelivery would be
    // Not restorable: iq requests (their requester's stream ended with the
    // server), ALL copies whose subscription is gone, subscribers that do not parse.
    std::size_t dropped = 0;
};

// Subscriptions one client (full JID) may hold on one route.
inline constexpr std::size_t kDefaultMaxSubscriptionsPerClient = 1000;
// Items at most in a route's disco#items answer (topics, by name).
inline constexpr std::size_t kMaxDiscoItems = 1000;

class Engine {
public:
    // `hosts` are the served virtual hosts: routes must be subdomains of one.
    // `journal` hears of every change to what the queues configured
    // `durable = true` keep (it must outlive the engine); the other queues
    // record nothing. The default records nothing.
    Engine(const conf::XmqConfig& config, std::vector<std::string> hosts,
           Clock clock = [] { return std::chrono::steady_clock::now(); }, Journal& journal = no_journal());
    ~Engine();

    // Applies a new configuration (SIGHUP): routes added or removed, type,
    // balance and allow lists updated; subscriptions of routes that stay are
    // kept, except those of subscribers the new `subscribe` list denies.
    // A route that is not a subdomain of a host, or given twice, throws
    // std::invalid_argument naming it, before anything changes (the config
    // loader rejects both first, so this is a programming error).
    void reconfigure(const conf::XmqConfig& config, std::vector<std::string> hosts);

    // Puts back what a route kept before a restart: durable subscriptions
    // (away until their subscriber subscribes again), held stanzas, and
    // unacknowledged deliveries, held again so that their next delivery
    // carries attempt = stored attempts + 1. Call before any client is
    // served. nullopt when `route` is not configured. Changes it makes (an
    // unacknowledged delivery now held) go to the route's journal.
    std::optional<RestoreReport> restore(std::string_view route, RestoredQueue state);

    bool is_route(std::string_view domain) const;
    std::vector<std::string> routes() const;
    // Routes under one virtual host, for the host's disco#items.
    std::vector<std::string> routes_of_host(std::string_view host) const;

    // A stanza whose 'to' domain is a route, sent by an authenticated full JID
    // (already stamped in stanza's 'from').
    void handle(const xmpp::Element& stanza, const xmpp::Jid& from, Sink& sink);

    // Removes every subscription of this full JID on every route (durable
    // ones stay, away); what it had unacknowledged is redelivered via `sink`.
    void session_ended(const xmpp::Jid& full, Sink& sink);
    // The account `bare` is deleted: every subscription of its resources on
    // every route ends, durable ones too (Queue::account_removed).
    void account_removed(const xmpp::Jid& bare, Sink& sink);

    // Removes expired subscriptions (returns how many), redelivers deliveries
    // past ack_timeout, drops held stanzas past hold_ttl. Called every
    // sweep_interval() by the server: check_expires_time, or the shortest
    // ack_timeout / hold_ttl when shorter, at least 1 s.
    std::size_t sweep(Sink& sink);
    std::chrono::seconds sweep_interval() const;

    // Whether some queue may wait for consumers' iq answers (an acked ANY
    // queue is configured): only then need answers go through consumer_answer().
    bool awaits_answers() const;
    // An iq result/error from `from` to `to` (both full JIDs). True when it is
    // a late answer of a consumer that no longer holds the request: the
    // caller drops it. Otherwise the caller routes it on (it may have settled
    // a delivery).
    bool consumer_answer(const xmpp::Element& iq, const xmpp::Jid& from, const xmpp::Jid& to, Sink& sink);

    std::vector<QueueStats> stats() const;

    // Added by the engine:
    // Bound on the subscriptions of one full JID on one route; a `sub` past
    // it is answered with resource-constraint. Default 1000.
    void set_max_subscriptions_per_client(std::size_t limit);
    // Eligible (unexpired, load <= max_load) consumers of a topic now.
    std::size_t eligible_consumers(std::string_view route, std::string_view topic) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace xmq
