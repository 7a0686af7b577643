// QueueJournal: the xmq::Journal of the queues configured `durable = true`
// (docs/xmq.md "Durable queues"); it writes what they keep to the
// store::QueueStore with group commit. And the conversions between what a
// queue keeps (xmq::KeptStanza) and the rows the store keeps, with the
// startup step that gives each durable route its rows back.
//
// Batching: the engine calls the journal under a queue's lock; the journal
// only records the change in its batch, where a later change of the same row
// replaces an earlier one (a stanza delivered and acknowledged before the
// batch is written costs one DELETE of nothing). The first change of a batch
// posts one grouped job on the StorageExecutor; the job takes the whole
// batch when it runs, inside the executor's commit group, so that the
// changes of many publishes (and the archive's and the other stores' writes
// of that moment) share one commit. A change that joins a batch whose job is
// still waiting marks its thread as if it had posted (StorageExecutor::
// joined_grouped()): the session that sent the stanza then holds its output
// until the commit (the storage fence), which is how a publisher's <a/> and
// every later answer on its stream come after its stanza is on disk. A batch
// whose commit failed is merged back under the newer changes, to be written
// with the next batch (logged).
//
// Threads: the Journal methods are called from any worker (under the queue's
// lock, never under this journal's own mutex); the job runs on the storage
// thread. Owned by ServerParts; it must outlive the Engine and the executor's
// jobs. The conversion functions are pure; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "conf/config.hpp"
#include "server/core/storage_executor.hpp"
#include "server/store/queue_store.hpp"
#include "xmq/engine.hpp"
#include "xmq/journal.hpp"
#include "xmq/kept_stanza.hpp"

namespace server {

// --- conversions ---------------------------------------------------------

store::QueueStanzaRow stanza_row(std::string_view route, const xmq::KeptStanza& kept,
                                 store::QueueStanzaRow::State state, std::string_view consumer,
                                 std::int64_t held_at_ms);
// nullopt when the stored stanza does not parse or is not a message or iq.
// A held stanza's wait counts from its stored held_at_ms (`now` and `now_ms`
// are the same moment on the two clocks).
std::optional<xmq::KeptStanza> kept_from_row(const store::QueueStanzaRow& row, xmq::TimePoint now, std::int64_t now_ms);
// A route's rows as Engine::restore() takes them; `corrupt` gets the ids of
// rows left out because their stanza does not parse.
xmq::RestoredQueue restored_queue(const std::vector<store::QueueStanzaRow>& stanzas,
                                  const std::vector<store::QueueSubscriptionRow>& subscriptions, xmq::TimePoint now,
                                  std::int64_t now_ms, std::vector<std::string>* corrupt = nullptr);

// At startup, before any worker runs and before anything else uses the
// store: gives every durable route its rows (the caller then drains the
// executor, which writes what restoring changed).
// Rows of a route configured without `durable` are restored into memory and
// deleted from the store (the operator turned durability off: nothing is
// lost, nothing is kept on disk); rows of a route not configured at all are
// kept, untouched, with a warning (a route removed by mistake gets them back
// when it returns). Corrupt rows are logged and deleted. Logs what it did.
void restore_durable_queues(xmq::Engine& engine, store::QueueStore& store, const conf::XmqConfig& config);

// --- the journal ---------------------------------------------------------

class QueueJournal final : public xmq::Journal {
public:
    using WallClock = std::function<std::int64_t()>;  // Unix milliseconds
    // The clock stamps when a stanza began to wait; by default the system clock.
    QueueJournal(StorageExecutor& executor, store::QueueStore& store, WallClock clock = {});

    void held(std::string_view route, const xmq::KeptStanza& kept) override;
    void unheld(std::string_view route, std::string_view id) override;
    void delivering(std::string_view route, const xmq::KeptStanza& kept, std::string_view consumer) override;
    void settled(std::string_view route, std::string_view id) override;
    void durable_subscribed(std::string_view route, std::string_view topic, std::string_view full) override;
    void durable_ended(std::string_view route, std::string_view topic, std::string_view full) override;

    // Runs `then` on the storage thread once everything journaled before
    // this call is committed (also when the commit failed: it was logged,
    // and the changes are written again later). How a durable queue's
    // deliveries wait for their attempt counts.
    void after_commit(std::function<void()> then);

    // Rows changed and not yet taken by a job (for tests and the log).
    std::size_t waiting() const;

private:
    // Last change per row: stanzas by route + '\n' + id, subscriptions by
    // route + '\n' + topic + '\n' + full JID.
    struct Batch {
        std::unordered_map<std::string, store::QueueChange> stanzas;
        std::unordered_map<std::string, store::QueueChange> subscriptions;
        std::vector<std::function<void()>> after_commit;
    };
    void stanza_changed(std::string key, store::QueueChange change);
    void subscription_changed(std::string key, store::QueueChange change);
    // Under mu_: posts the job that will write the batch, or joins it.
    void schedule();
    // The job, on the storage thread.
    std::function<void(bool)> write();
    void write_back(std::vector<store::QueueChange> lost);

    StorageExecutor& executor_;
    store::QueueStore& store_;
    WallClock clock_;
    mutable std::mutex mu_;
    Batch batch_;               // guarded by mu_
    bool job_waiting_ = false;  // guarded by mu_: a posted job has not taken the batch yet
};

}  // namespace server
