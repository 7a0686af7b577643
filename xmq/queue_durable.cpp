// The durable part of a Queue (docs/xmq.md "Durable queues"): changing the
// journal that hears of what it keeps (a reload that turns `durable` on or
// off), and putting back what a durable queue kept before a restart. Under
// the queue's lock, like the rest of queue.hpp.
#include <algorithm>
#include <limits>

#include "xmq/commands.hpp"
#include "xmq/queue.hpp"

namespace xmq {

void Queue::use_journal(Journal& journal) {
    if (&journal == journal_) return;
    // The old journal forgets this route; the new one learns all it keeps now.
    Journal& old = *journal_;
    held_.for_each([&](const KeptStanza& kept) {
        old.unheld(route_, kept.id);
        journal.held(route_, kept);
    });
    tracker_.for_each([&](const Unacked& unacked) {
        old.settled(route_, unacked.kept.id);
        journal.delivering(route_, unacked.kept, unacked.consumer);
    });
    for (const auto& [full, topic] : registry_.durable_subscriptions()) {
        old.durable_ended(route_, topic, full);
        journal.durable_subscribed(route_, topic, full);
    }
    journal_ = &journal;
}

RestoreReport Queue::restore(RestoredQueue state, TimePoint now) {
    std::lock_guard lock(mu_);
    RestoreReport report;
    const bool all = type_ == conf::QueueType::all;
    // Subscriptions first: an ALL copy is kept only for a subscription that
    // exists.
    for (const auto& [full, topic] : state.durable) {
        auto jid = xmpp::Jid::parse(full);
        if (!all || !jid || jid->is_bare() || topic.empty()) {
            journal_->durable_ended(route_, topic, full);
            ++report.dropped;
            continue;
        }
        // Away until the same full JID subscribes again (which sets its ttl and
        // load).
        registry_.subscribe(*jid, topic, kMaxTtl, 0, now, std::numeric_limits<std::size_t>::max(), true);
        registry_.client_left(full);
        ++report.subscriptions;
    }
    auto restorable = [&](const KeptStanza& kept) {
        if (kept.is_request() || kept.id.empty() || kept.topic.empty()) return false;
        return all ? registry_.subscribed(kept.owner, kept.topic) : kept.owner.empty();
    };
    auto by_seq = [](const KeptStanza& a, const KeptStanza& b) { return a.seq < b.seq; };
    std::sort(state.held.begin(), state.held.end(), by_seq);
    std::sort(state.unacked.begin(), state.unacked.end(), by_seq);
    for (KeptStanza& kept : state.held) {
        next_seq_ = std::max(next_seq_, kept.seq);
        if (!restorable(kept)) {
            journal_->unheld(route_, kept.id);
            ++report.dropped;
            continue;
        }
        std::string lane = all ? kept.owner : kept.topic;
        held_.push_back(lane, std::move(kept));  // as stored: no journal change
        ++report.held;
    }
    // Their consumers are gone with the old process: each comes back as a
    // redelivery would, to the front of its lane in publish order, its next
    // attempt counted from the stored one.
    std::vector<Unacked> unsettled;
    for (KeptStanza& kept : state.unacked) {
        next_seq_ = std::max(next_seq_, kept.seq);
        if (!restorable(kept)) {
            journal_->settled(route_, kept.id);
            ++report.dropped;
            continue;
        }
        if (kept.attempts >= max_attempts_)
            ++report.ended;
        else
            ++report.redeliveries;
        unsettled.push_back(Unacked{std::move(kept), {}, now});
    }
    redeliver(std::move(unsettled), nullptr, now);
    return report;
}

}  // namespace xmq
