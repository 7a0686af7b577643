// Engine: the XMQ queues of xmqd (../shared/xmq-spec.md), as a library with no
// sockets. It owns the configured routes, their subscriptions (keyed by route,
// topic and subscriber full JID, with ttl and load), expiry, ANY dispatch
// (round-robin per topic, least-load), ALL fan-out, max_load, the publish/
// subscribe allow lists, per-queue counters and the disco answers of routes.
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
#include <string>
#include <string_view>
#include <vector>

#include "conf/config.hpp"
#include "xmpp/element.hpp"
#include "xmpp/jid.hpp"

namespace xmq {

using Clock = std::function<std::chrono::steady_clock::time_point()>;

class Sink {
public:
    virtual ~Sink() = default;
    // Forwards `stanza` (to/from already rewritten) to a consumer's full JID.
    // Returns false when no such session exists now (ANY then tries the next).
    virtual bool deliver(const xmpp::Jid& to, const xmpp::Element& stanza) = 0;
    // Sends an answer (iq result, stanza error, disco reply) to the sender.
    virtual void reply(const xmpp::Element& stanza) = 0;
};

struct QueueStats {
    std::string route;
    conf::QueueType type = conf::QueueType::any;
    std::uint64_t published = 0;           // stanzas accepted for dispatch
    std::uint64_t delivered = 0;           // copies handed to consumers
    std::uint64_t rejected_no_topic = 0;
    std::uint64_t rejected_no_recipients = 0;
    std::uint64_t rejected_forbidden = 0;
    std::uint64_t rejected_bad_request = 0;
    std::uint64_t rejected_unsupported = 0;  // iq get/set to an ALL queue
    std::uint64_t dropped = 0;               // errors/results to a route, ALL with no consumer
    std::size_t consumers = 0;               // live subscriptions
};

class Engine {
public:
    // `hosts` are the served virtual hosts: routes must be subdomains of one.
    Engine(const conf::XmqConfig& config, std::vector<std::string> hosts,
           Clock clock = [] { return std::chrono::steady_clock::now(); });
    ~Engine();

    // Applies a new configuration (SIGHUP): routes added or removed, type,
    // balance and allow lists updated; subscriptions of routes that stay are kept.
    void reconfigure(const conf::XmqConfig& config, std::vector<std::string> hosts);

    bool is_route(std::string_view domain) const;
    std::vector<std::string> routes() const;
    // Routes under one virtual host, for the host's disco#items.
    std::vector<std::string> routes_of_host(std::string_view host) const;

    // A stanza whose 'to' domain is a route, sent by an authenticated full JID
    // (already stamped in stanza's 'from').
    void handle(const xmpp::Element& stanza, const xmpp::Jid& from, Sink& sink);

    // Removes every subscription of this full JID on every route.
    void session_ended(const xmpp::Jid& full);

    // Removes expired subscriptions; returns how many. Called every
    // check_expires_time seconds by the server.
    std::size_t sweep();
    std::chrono::seconds sweep_interval() const;

    std::vector<QueueStats> stats() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace xmq
