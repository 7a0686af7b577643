#include "server/core/queue_journal.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

#include "server/system/log.hpp"
#include "xmpp/serializer.hpp"
#include "xmpp/stored_xml.hpp"

namespace server {

namespace {

std::int64_t system_now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string key_of(std::string_view a, std::string_view b) {
    std::string key;
    key.reserve(a.size() + 1 + b.size());
    key.append(a).append(1, '\n').append(b);
    return key;
}

store::QueueChange forget(std::string_view route, std::string_view id) {
    store::QueueChange c;
    c.kind = store::QueueChange::Kind::forget;
    c.stanza.route = std::string(route);
    c.stanza.id = std::string(id);
    return c;
}

store::QueueChange subscription(store::QueueChange::Kind kind, std::string_view route, std::string_view topic,
                                std::string_view full) {
    store::QueueChange c;
    c.kind = kind;
    c.subscription = {std::string(route), std::string(topic), std::string(full)};
    return c;
}

}  // namespace

// --- conversions ---------------------------------------------------------

store::QueueStanzaRow stanza_row(std::string_view route, const xmq::KeptStanza& kept,
                                 store::QueueStanzaRow::State state, std::string_view consumer,
                                 std::int64_t held_at_ms) {
    store::QueueStanzaRow row;
    row.route = std::string(route);
    row.id = kept.id;
    row.seq = kept.seq;
    row.topic = kept.topic;
    row.owner = kept.owner;
    row.attempts = kept.attempts;
    row.state = state;
    row.consumer = std::string(consumer);
    row.held_at_ms = held_at_ms;
    row.xml = xmpp::to_string(kept.stanza);
    return row;
}

std::optional<xmq::KeptStanza> kept_from_row(const store::QueueStanzaRow& row, xmq::TimePoint now,
                                             std::int64_t now_ms) {
    auto stanza = xmpp::parse_stored(row.xml);
    if (!stanza || (stanza->name() != "message" && stanza->name() != "iq")) return std::nullopt;
    xmq::KeptStanza kept;
    kept.id = row.id;
    kept.seq = row.seq;
    kept.stanza = std::move(*stanza);
    kept.topic = row.topic;
    kept.owner = row.owner;
    kept.attempts = row.attempts;
    // Waited as long as the stored stamp says (never in the future: a clock
    // set back does not make a stanza wait longer than hold_ttl from now).
    const std::int64_t waited_ms = std::max<std::int64_t>(0, now_ms - row.held_at_ms);
    kept.held_since = now - std::min(std::chrono::milliseconds(waited_ms),
                                     std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()));
    return kept;
}

xmq::RestoredQueue restored_queue(const std::vector<store::QueueStanzaRow>& stanzas,
                                  const std::vector<store::QueueSubscriptionRow>& subscriptions, xmq::TimePoint now,
                                  std::int64_t now_ms, std::vector<std::string>* corrupt) {
    xmq::RestoredQueue state;
    for (const store::QueueSubscriptionRow& row : subscriptions) state.durable.emplace_back(row.full, row.topic);
    for (const store::QueueStanzaRow& row : stanzas) {
        auto kept = kept_from_row(row, now, now_ms);
        if (!kept) {
            if (corrupt) corrupt->push_back(row.id);
            continue;
        }
        if (row.state == store::QueueStanzaRow::State::delivering)
            state.unacked.push_back(std::move(*kept));
        else
            state.held.push_back(std::move(*kept));
    }
    return state;
}

void restore_durable_queues(xmq::Engine& engine, store::QueueStore& store, const conf::XmqConfig& config) {
    const auto now = std::chrono::steady_clock::now();
    const std::int64_t now_ms = system_now_ms();
    // Every direct store call first: restore() makes journal changes, whose
    // jobs then own the store on the storage thread.
    struct Loaded {
        std::string route;
        xmq::RestoredQueue state;
    };
    std::vector<Loaded> loaded;
    for (const std::string& route : store.routes()) {
        auto configured = std::find_if(config.queues.begin(), config.queues.end(),
                                       [&](const conf::QueueConfig& q) { return q.route == route; });
        if (configured == config.queues.end()) {
            XLOG(warning) << "xmq: storage keeps stanzas or durable subscriptions of " << route
                          << ", which is not a configured queue now: kept untouched "
                             "until it is configured again";
            continue;
        }
        std::vector<std::string> corrupt;
        loaded.push_back(
            {route, restored_queue(store.stanzas(route), store.subscriptions(route), now, now_ms, &corrupt)});
        if (!corrupt.empty()) {
            XLOG(error) << "xmq: " << corrupt.size() << " stored stanzas of " << route
                        << " do not parse and are dropped (first id " << corrupt.front() << ")";
            std::vector<store::QueueChange> drop;
            for (const std::string& id : corrupt) drop.push_back(forget(route, id));
            if (!store.apply(drop)) {
                XLOG(error) << "xmq: cannot delete the corrupt rows of " << route;
            }
        }
        if (!configured->durable) {
            // Durability was turned off: what it kept goes back into memory,
            // and no longer stays on disk.
            if (store.forget_route(route))
                XLOG(warning) << "xmq: " << route << " is not durable now: its stored rows are loaded and deleted";
            else
                XLOG(error) << "xmq: cannot delete the stored rows of " << route << ", which is not durable now";
        }
    }
    for (Loaded& l : loaded) {
        auto report = engine.restore(l.route, std::move(l.state));
        if (!report) continue;  // not a route of this engine (the configuration said it was)
        XLOG(info) << "xmq: " << l.route << " restored " << report->held << " held stanzas, " << report->redeliveries
                   << " unacknowledged deliveries to redeliver, " << report->subscriptions
                   << " durable subscriptions (away until their subscriber returns); " << report->ended
                   << " at max_attempts ended, " << report->dropped << " not restorable dropped";
    }
}

// --- the journal ---------------------------------------------------------

QueueJournal::QueueJournal(StorageExecutor& executor, store::QueueStore& store, WallClock clock)
    : executor_(executor), store_(store), clock_(clock ? std::move(clock) : WallClock(system_now_ms)) {}

void QueueJournal::held(std::string_view route, const xmq::KeptStanza& kept) {
    store::QueueChange c;
    c.stanza = stanza_row(route, kept, store::QueueStanzaRow::State::held, {}, clock_());
    stanza_changed(key_of(route, kept.id), std::move(c));
}

void QueueJournal::unheld(std::string_view route, std::string_view id) {
    stanza_changed(key_of(route, id), forget(route, id));
}

void QueueJournal::delivering(std::string_view route, const xmq::KeptStanza& kept, std::string_view consumer) {
    store::QueueChange c;
    c.stanza = stanza_row(route, kept, store::QueueStanzaRow::State::delivering, consumer, clock_());
    stanza_changed(key_of(route, kept.id), std::move(c));
}

void QueueJournal::settled(std::string_view route, std::string_view id) {
    stanza_changed(key_of(route, id), forget(route, id));
}

void QueueJournal::durable_subscribed(std::string_view route, std::string_view topic, std::string_view full) {
    subscription_changed(key_of(key_of(route, topic), full),
                         subscription(store::QueueChange::Kind::subscribe, route, topic, full));
}

void QueueJournal::durable_ended(std::string_view route, std::string_view topic, std::string_view full) {
    subscription_changed(key_of(key_of(route, topic), full),
                         subscription(store::QueueChange::Kind::unsubscribe, route, topic, full));
}

void QueueJournal::after_commit(std::function<void()> then) {
    std::lock_guard lock(mu_);
    batch_.after_commit.push_back(std::move(then));
    schedule();
}

std::size_t QueueJournal::waiting() const {
    std::lock_guard lock(mu_);
    return batch_.stanzas.size() + batch_.subscriptions.size();
}

void QueueJournal::stanza_changed(std::string key, store::QueueChange change) {
    std::lock_guard lock(mu_);
    batch_.stanzas.insert_or_assign(std::move(key), std::move(change));
    schedule();
}

void QueueJournal::subscription_changed(std::string key, store::QueueChange change) {
    std::lock_guard lock(mu_);
    batch_.subscriptions.insert_or_assign(std::move(key), std::move(change));
    schedule();
}

void QueueJournal::schedule() {
    if (job_waiting_) {
        StorageExecutor::joined_grouped();
        return;
    }
    // Posted under mu_: a change that joins this batch afterwards (and the
    // fence its session then queues) comes after the job in the executor's order.
    job_waiting_ = true;
    executor_.post([this] { return write(); });
}

std::function<void(bool)> QueueJournal::write() {
    Batch batch;
    {
        std::lock_guard lock(mu_);
        batch = std::exchange(batch_, {});
        job_waiting_ = false;
    }
    std::vector<store::QueueChange> changes;
    changes.reserve(batch.stanzas.size() + batch.subscriptions.size());
    for (auto& [key, change] : batch.stanzas) changes.push_back(std::move(change));
    for (auto& [key, change] : batch.subscriptions) changes.push_back(std::move(change));
    const bool applied = store_.apply(changes);
    return [this, applied, changes = std::move(changes), then = std::move(batch.after_commit)](bool committed) mutable {
        if (!applied || !committed) {
            XLOG(error) << "xmq: cannot store " << changes.size()
                        << " changes of durable queues; they are written again with the next ones";
            write_back(std::move(changes));
        }
        for (auto& fn : then) fn();
    };
}

void QueueJournal::write_back(std::vector<store::QueueChange> lost) {
    std::lock_guard lock(mu_);
    // A newer change of the same row, made meanwhile, wins.
    for (store::QueueChange& change : lost) {
        if (change.kind == store::QueueChange::Kind::keep || change.kind == store::QueueChange::Kind::forget) {
            batch_.stanzas.try_emplace(key_of(change.stanza.route, change.stanza.id), std::move(change));
        } else {
            const auto& s = change.subscription;
            batch_.subscriptions.try_emplace(key_of(key_of(s.route, s.topic), s.full), std::move(change));
        }
    }
}

}  // namespace server
