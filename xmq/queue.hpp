// Queue: one configured XMQ route (docs/xmq.md §2-§5). It holds the route's
// settings (type, balance, max_load, allow lists), its SubscriptionRegistry
// and counters, and answers every stanza addressed to the route: commands,
// presence, publishing (ANY / ALL) and disco. Owned by the Engine through a
// shared_ptr (a stanza in flight keeps a removed queue alive). Thread-safe:
// every public method takes the queue's own mutex; the Sink is called with it
// held, so a Sink must not call back into the engine.
#pragma once

#include <mutex>
#include <string>
#include <string_view>

#include "conf/config.hpp"
#include "xmq/allow_list.hpp"
#include "xmq/engine.hpp"
#include "xmq/subscription_registry.hpp"
#include "xmpp/element.hpp"
#include "xmpp/jid.hpp"

namespace xmq {

class Queue {
public:
    // `config.route` must already be normalised; `parent_host` is the served
    // host the route is a subdomain of.
    Queue(const conf::QueueConfig& config, std::string parent_host, unsigned max_load);

    const std::string& route() const { return route_; }

    // New settings for the same route; subscriptions kept, except those the
    // new subscribe list denies.
    void configure(const conf::QueueConfig& config, std::string parent_host, unsigned max_load);

    void handle(const xmpp::Element& stanza, const xmpp::Jid& from, Sink& sink, TimePoint now,
                std::size_t per_client_limit);
    void session_ended(std::string_view full);
    std::size_t sweep(TimePoint now);
    QueueStats stats(TimePoint now) const;
    std::size_t eligible(std::string_view topic, TimePoint now);

private:
    void on_presence(const xmpp::Element& stanza, const xmpp::Jid& from, TimePoint now);
    void on_iq_request(const xmpp::Element& stanza, const xmpp::Jid& from, Sink& sink, TimePoint now,
                       std::size_t per_client_limit);
    void on_command(const xmpp::Element& stanza, const xmpp::Element& command, const xmpp::Jid& from,
                    Sink& sink, TimePoint now, std::size_t per_client_limit);
    void publish(const xmpp::Element& stanza, const xmpp::Jid& from, Sink& sink, TimePoint now);
    void disco_info(const xmpp::Element& stanza, const xmpp::Element& query, const xmpp::Jid& from,
                    Sink& sink, TimePoint now);
    void disco_items(const xmpp::Element& stanza, const xmpp::Element& query, const xmpp::Jid& from,
                     Sink& sink, TimePoint now);
    void apply(const conf::QueueConfig& config, std::string parent_host, unsigned max_load);

    const std::string route_;
    mutable std::mutex mu_;
    conf::QueueType type_ = conf::QueueType::any;
    AllowList publish_;
    AllowList subscribe_;
    SubscriptionRegistry registry_;
    QueueStats counters_;
};

}  // namespace xmq
