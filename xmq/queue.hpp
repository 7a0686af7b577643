// Queue: one configured XMQ route (docs/xmq.md §2-§5). It holds the route's
// settings (type, balance, max_load, allow lists), its SubscriptionRegistry
// and counters, and answers every stanza addressed to the route: commands,
// presence, publishing (ANY / ALL) and disco. A queue with the reliability
// keys (docs/xmq.md "Reliable queues") also keeps stanzas: its hold
// (HeldStanzas), its unacknowledged deliveries (DeliveryTracker) and the iq
// requests in flight; that part lives in queue_reliable.cpp and reports every
// change of what it keeps to its Journal. Owned by the Engine through a
// shared_ptr (a stanza in flight keeps a removed queue alive). Thread-safe:
// every public method takes the queue's own mutex; the Sink is called with it
// held, so a Sink must not call back into the engine.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "conf/config.hpp"
#include "xmq/adaptive_mutex.hpp"
#include "xmq/allow_list.hpp"
#include "xmq/commands.hpp"
#include "xmq/delivery_tracker.hpp"
#include "xmq/engine.hpp"
#include "xmq/held_stanzas.hpp"
#include "xmq/journal.hpp"
#include "xmq/subscription_registry.hpp"
#include "xmpp/element.hpp"
#include "xmpp/jid.hpp"

namespace xmq {

class Queue {
public:
    // `config.route` must already be normalised; `parent_host` is the served
    // host the route is a subdomain of.
    Queue(const conf::QueueConfig& config, std::string parent_host, unsigned max_load,
          Journal& journal = no_journal());

    const std::string& route() const { return route_; }

    // New settings for the same route; subscriptions kept, except those the
    // new subscribe list denies. A different `journal` (the queue became
    // durable, or stopped being) is told everything the queue keeps now, and
    // the old one that it is all gone.
    void configure(const conf::QueueConfig& config, std::string parent_host, unsigned max_load, TimePoint now,
                   Journal& journal = no_journal());

    // Puts back what a durable queue kept before a restart (Engine::restore).
    RestoreReport restore(RestoredQueue state, TimePoint now);

    void handle(const xmpp::Element& stanza, const xmpp::Jid& from, Sink& sink, TimePoint now,
                std::size_t per_client_limit);
    // Its subscriptions end (durable ones stay, away); what it had
    // unacknowledged is redelivered, through `sink`.
    void session_ended(std::string_view full, Sink& sink, TimePoint now);
    // The account `bare` is deleted: every subscription of its resources
    // ends, durable ones too (their rows go, ALL copies kept for them are
    // dropped); what they had unacknowledged on ANY goes to other consumers.
    void account_removed(const xmpp::Jid& bare, Sink& sink, TimePoint now);
    // Expired subscriptions removed (returns how many), overdue deliveries
    // redelivered, held stanzas past hold_ttl dropped.
    std::size_t sweep(TimePoint now, Sink& sink);
    QueueStats stats(TimePoint now) const;
    std::size_t eligible(std::string_view topic, TimePoint now);

    // Whether iq answers of consumers may settle deliveries here (acked ANY).
    bool settles_by_answer() const;
    enum class Answer { not_ours, settles, late };
    // An iq result/error from `from` to `to`: the answer to a request this
    // queue delivered? `settles`: pass it on (the delivery is settled);
    // `late`: drop it (an earlier consumer's, counted).
    Answer consumer_answer(const xmpp::Element& iq, const std::string& from, const std::string& to, Sink& sink,
                           TimePoint now);
    // Stanzas to publish to the dead-letter route, as their publishers sent
    // them ('to' already the dead-letter route). The Engine publishes them
    // once this queue's lock is released.
    std::vector<xmpp::Element> take_dead_letters();

private:
    void dispatch(const xmpp::Element& stanza, const xmpp::Jid& from, Sink& sink, TimePoint now,
                  std::size_t per_client_limit);
    void on_presence(const xmpp::Element& stanza, const xmpp::Jid& from, Sink& sink, TimePoint now);
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
    void use_journal(Journal& journal);

    // ---- reliable queues (queue_reliable.cpp) ----
    // Whether a published stanza takes the keeping path: acked, holding, or
    // an ALL queue with durable subscribers.
    bool keeps_stanzas() const;
    void publish_kept(const xmpp::Element& stanza, const xmpp::Jid& from, std::string_view topic, Sink& sink,
                      TimePoint now);
    void publish_kept_any(KeptStanza kept, const xmpp::Element& stanza, Sink& sink, TimePoint now);
    void publish_kept_all(KeptStanza kept, Sink& sink, TimePoint now);
    void on_settle(const xmpp::Element& stanza, const Command& cmd, const std::string& full, Sink& sink,
                   TimePoint now);
    // The client went away: subscriptions end (durable ones stay away).
    void client_gone(const std::string& full, Sink* sink, TimePoint now);
    // Sends one copy (with its delivery tag on acked queues); counts the attempt.
    bool send_copy(KeptStanza& kept, const xmpp::Jid& to, const std::string& full, Sink& sink, TimePoint now);
    // Acked: tracked until settled; once: forgotten.
    void sent(KeptStanza kept, const std::string& consumer, TimePoint now);
    // ANY: to an eligible consumer under its prefetch, preferring one other than `avoid`.
    bool try_send_any(KeptStanza& kept, const std::string* avoid, Sink& sink, TimePoint now);
    // try_send_any's sending half: KEPT stays where it is (it may be the front of the
    // hold); returns the consumer it went to, or nothing when none could take it.
    std::optional<std::string> send_any(KeptStanza& kept, const std::string* avoid, Sink& sink, TimePoint now);
    void hold(std::string_view lane, KeptStanza kept, bool front, TimePoint now);
    // Deliveries that came back unsettled (consumer gone, timeout, nack), in
    // any order: each is ended after max_attempts, sent again (ANY: preferably
    // to a consumer other than the one that had it), or held at the front of
    // its lane, ahead of what waited there and in publish order. Without a
    // sink they are held.
    void redeliver(std::vector<Unacked> unsettled, Sink* sink, TimePoint now);
    // The end of a stanza that will not be delivered again: dead-lettered,
    // answered (iq) or dropped.
    void end_of_life(KeptStanza kept, Sink* sink, TimePoint now);
    // Settles what the subscriptions that ended had in flight and kept.
    void settle_ended(Sink* sink, TimePoint now);
    // Held stanzas to consumers that can take them now.
    void drain(Sink& sink, TimePoint now);
    void drain_topic(const std::string& topic, Sink& sink, TimePoint now);
    void drain_subscriber(const std::string& full, Sink& sink, TimePoint now);
    bool under_prefetch(std::size_t in_flight) const;
    bool under_prefetch(const std::string& full) const;
    std::string next_delivery_id();
    void close_request(const KeptStanza& kept, TimePoint now);
    void forget_requests(TimePoint now);

    const std::string route_;
    mutable AdaptiveMutex mu_;
    conf::QueueType type_ = conf::QueueType::any;
    AllowList publish_;
    AllowList subscribe_;
    SubscriptionRegistry registry_;
    QueueStats counters_;

    // Reliability settings (docs/xmq.md "Reliable queues").
    bool acked_ = false;
    std::chrono::seconds ack_timeout_{30};
    unsigned max_attempts_ = 5;
    std::size_t prefetch_ = 0;
    std::size_t hold_ = 0;
    std::chrono::seconds hold_ttl_{3600};
    std::string dead_letter_;

    Journal* journal_;  // never null
    HeldStanzas held_;
    DeliveryTracker tracker_{registry_};
    std::vector<xmpp::Element> dead_letters_;
    std::atomic<bool> dead_letters_waiting_{false};  // read without the lock: the common case has none
    // iq requests delivered through this queue, by requester full JID + '\n' +
    // iq id: who was sent it (the current consumer last, while `open`), so a
    // later answer of an earlier consumer is recognised and dropped.
    struct Request {
        std::string delivery_id;
        std::vector<std::string> consumers;
        bool open = false;
        TimePoint forget_at = TimePoint::max();
    };
    std::unordered_map<std::string, Request, StringHash, std::equal_to<>> requests_;
    std::string id_prefix_;  // random per queue instance: ids do not repeat across restarts
    std::uint64_t next_id_ = 0;
    std::uint64_t next_seq_ = 0;
};

}  // namespace xmq
