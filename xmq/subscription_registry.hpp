// SubscriptionRegistry: the subscriptions of one queue, keyed by (topic,
// subscriber full JID), with the indexes that make every stanza cheap:
//
//  - per topic, a "ready" set ordered by (rank, turn) holding only eligible
//    subscriptions (load <= max_load). rank is 0 for round-robin and the load
//    for least-load; turn is a stamp renewed each time a consumer is served,
//    so the first entry is the next consumer in rotation (round-robin) or the
//    least loaded one, ties in rotation (least-load). Overloaded subscriptions
//    stay out of the set: they cost nothing per stanza.
//  - an expiry index ordered by expiry time: every call given `now` first
//    drops the subscriptions that have expired (O(1) when none has), so an
//    expired subscription never receives anything even before sweep().
//  - per client (full JID), its subscriptions by topic: presence renewal,
//    unavailable presence and session end cost O(own subscriptions).
//  - durable subscriptions (ALL queues, docs/xmq.md "Reliable queues") have
//    no expiry; when their client leaves they stay, "away" (out of the ready
//    set, listed per topic), until the same full JID subscribes again.
//
// ANY dispatch costs O(log n) (one node re-keyed in place, no allocation); ALL
// fan-out O(eligible); subscribe/renew/remove O(log n) each.
//
// Not thread-safe: owned by one Queue and touched only under its lock.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "conf/config.hpp"
#include "xmpp/jid.hpp"

namespace xmq {

using TimePoint = std::chrono::steady_clock::time_point;

// A non-owning reference to a callable, valid for the call it is passed to.
template <class Sig>
class FunctionRef;
template <class R, class... A>
class FunctionRef<R(A...)> {
public:
    template <class F>
    FunctionRef(F&& f)  // NOLINT(google-explicit-constructor)
        : obj_(const_cast<void*>(static_cast<const void*>(&f))),
          call_([](void* o, A... a) -> R { return (*static_cast<std::remove_reference_t<F>*>(o))(a...); }) {}
    R operator()(A... a) const { return call_(obj_, a...); }

private:
    void* obj_;
    R (*call_)(void*, A...);
};

// Called with a consumer's JID and its full-JID string; false = consumer gone.
using DeliverFn = FunctionRef<bool(const xmpp::Jid&, const std::string&)>;

struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

struct TopicInfo {
    std::string name;
    std::size_t eligible = 0;
    // Reliable queues: what the topic keeps (held, unacknowledged).
    struct Kept {
        std::size_t held = 0;
        std::size_t unacked = 0;
    };
    std::optional<Kept> kept;
};

// A subscription that ended (del, expiry, unavailable, session end, a failed
// delivery), for the queue to settle what it had in flight.
struct EndedSubscription {
    std::string full;
    std::string topic;
    bool durable = false;  // it was durable when it ended (its journal row goes)
};

class SubscriptionRegistry {
public:
    SubscriptionRegistry(conf::Balance balance, unsigned max_load);
    ~SubscriptionRegistry();
    SubscriptionRegistry(const SubscriptionRegistry&) = delete;
    SubscriptionRegistry& operator=(const SubscriptionRegistry&) = delete;

    // Changes the policy; rebuilds the ready sets when it differs (O(n log n)).
    void set_policy(conf::Balance balance, unsigned max_load);

    enum class Outcome { created, replaced, limit_reached };
    // Creates (who, topic) or replaces its ttl and load; expiry = now + ttl.
    // A client already holding `per_client_limit` subscriptions may replace
    // one but not create another.
    // A durable subscription never expires and survives client_left(); a
    // durable subscription that was away becomes ready again.
    Outcome subscribe(const xmpp::Jid& who, std::string_view topic, std::chrono::seconds ttl,
                      unsigned load, TimePoint now, std::size_t per_client_limit, bool durable = false);
    bool unsubscribe(std::string_view who_full, std::string_view topic, TimePoint now);
    // Removes every subscription of this client, durable ones too; returns how many.
    std::size_t unsubscribe_all(std::string_view who_full);
    // The client went away (session end, unavailable presence, failed
    // delivery): its subscriptions are removed, except durable ones, which
    // stay away. Returns how many were removed.
    std::size_t client_left(std::string_view who_full);
    // Renews every subscription of this client (expiry = now + its ttl) and,
    // when given, sets their load. Returns how many.
    std::size_t renew(std::string_view who_full, TimePoint now, std::optional<unsigned> load);
    // Removes the subscriptions of every client `reject` accepts; returns how many.
    std::size_t remove_clients_if(const std::function<bool(const xmpp::Jid&)>& reject);
    // Removes expired subscriptions; returns how many.
    std::size_t remove_expired(TimePoint now);

    struct Dispatch {
        std::size_t delivered = 0;
        std::size_t gone = 0;  // consumers whose deliver() failed: their subscriptions here are removed
    };
    // ANY: offers the stanza to the first eligible consumer in rotation; when
    // it is gone, to the next; stops at the first delivery.
    Dispatch deliver_one(std::string_view topic, TimePoint now, DeliverFn deliver);
    // ALL: offers the stanza to every eligible consumer.
    Dispatch deliver_all(std::string_view topic, TimePoint now, DeliverFn deliver);
    // ANY with a per-consumer condition (prefetch): offers the stanza to the
    // first eligible consumer in rotation that `accept` (given its full JID and
    // in_flight count) takes.
    Dispatch deliver_one_if(std::string_view topic, TimePoint now,
                            FunctionRef<bool(const std::string& full, std::size_t in_flight)> accept,
                            DeliverFn deliver);
    // Every subscriber of a topic that may be sent something or kept for:
    // eligible ones (away = false) and durable ones that are away (away = true).
    void for_each_subscriber(std::string_view topic, TimePoint now,
                             FunctionRef<void(const xmpp::Jid&, const std::string&, bool away)> visit);
    // Whether (who, topic) exists (eligible or not, present or away) / is durable.
    bool subscribed(std::string_view who_full, std::string_view topic) const;
    bool durable(std::string_view who_full, std::string_view topic) const;
    // Whether (who, topic) exists and its client is here (not away).
    bool present(std::string_view who_full, std::string_view topic) const;
    bool has_durable() const { return durable_count_ > 0; }

    // A client's deliveries awaiting settlement (acked queues: its prefetch),
    // kept here so that choosing a consumer costs no lookup per candidate. The
    // owner keeps it true: DeliveryTracker reports each change (ignored for a
    // client not here), and every subscribe sets it from the tracker (a client
    // forgotten and seen again).
    void add_in_flight(std::string_view full, std::ptrdiff_t delta);
    void set_in_flight(std::string_view full, std::size_t count);
    std::size_t in_flight(std::string_view full) const;
    // Every durable subscription, as (subscriber full JID, topic).
    std::vector<std::pair<std::string, std::string>> durable_subscriptions() const;
    // Every subscription that ended since the last call, for the owner to
    // settle what it had in flight (the Queue drains it after each operation).
    std::vector<EndedSubscription> take_ended() { return std::exchange(ended_, {}); }

    std::size_t eligible(std::string_view topic, TimePoint now);
    bool has_topic(std::string_view topic, TimePoint now);
    // At most `max` topics, by name, with their eligible consumer counts.
    std::vector<TopicInfo> topics(TimePoint now, std::size_t max);
    // Unexpired subscriptions and topics, without removing anything.
    std::size_t live(TimePoint now) const;
    std::size_t topic_count() const { return topics_.size(); }
    std::uint64_t expired_total() const { return expired_total_; }

private:
    struct Client;
    struct Topic;
    struct Subscription;
    struct ReadyKey {
        unsigned rank;
        std::uint64_t turn;
        Subscription* sub;
        friend bool operator<(const ReadyKey& a, const ReadyKey& b) {
            return a.rank != b.rank ? a.rank < b.rank : a.turn < b.turn;
        }
    };
    struct ExpiryKey {
        TimePoint expiry;
        std::uint64_t seq;
        Subscription* sub;
        friend bool operator<(const ExpiryKey& a, const ExpiryKey& b) {
            return a.expiry != b.expiry ? a.expiry < b.expiry : a.seq < b.seq;
        }
    };
    struct Subscription {
        Client* client = nullptr;
        Topic* topic = nullptr;
        std::chrono::seconds ttl{0};
        unsigned load = 0;
        TimePoint expiry{};
        std::uint64_t seq = 0;   // unique; orders equal expiries
        std::uint64_t turn = 0;  // rotation stamp, lower is served sooner
        unsigned rank = 0;       // key in the ready set while `ready`
        bool ready = false;
        bool durable = false;    // no expiry; stays (away) when its client leaves
        bool away = false;       // durable and its client gone: listed in topic->away
    };
    struct Topic {
        std::string name;
        std::set<ReadyKey> ready;
        std::set<Subscription*> away;
        std::size_t subscriptions = 0;
    };
    struct Client {
        xmpp::Jid jid;
        std::string full;
        std::size_t in_flight = 0;
        std::unordered_map<std::string, std::unique_ptr<Subscription>, StringHash, std::equal_to<>> subs;
    };

    void make_ready(Subscription& s);
    static void unready(Subscription& s);
    void set_expiry(Subscription& s, TimePoint expiry);
    // Unlinks s from its topic (erasing an emptied topic) and the expiry index;
    // the caller erases it from its client's map.
    void detach(Subscription& s);
    std::size_t erase_client(std::string_view full);
    // Removes one subscription (and its client when that was the last).
    void erase_subscription(Subscription& s);
    void set_durable(Subscription& s, bool durable);
    Topic* find_topic(std::string_view name);

    std::unordered_map<std::string, Topic, StringHash, std::equal_to<>> topics_;
    std::unordered_map<std::string, Client, StringHash, std::equal_to<>> clients_;
    std::set<ExpiryKey> expiry_;
    conf::Balance balance_;
    unsigned max_load_;
    std::uint64_t next_seq_ = 0;
    std::uint64_t next_turn_ = 0;
    std::size_t size_ = 0;
    std::uint64_t expired_total_ = 0;
    std::size_t durable_count_ = 0;
    std::vector<EndedSubscription> ended_;
};

}  // namespace xmq
