// StorageExecutor's group commit, over the real SQLite stores in a file: many
// posted writes share one commit, a job that throws is undone alone, a commit
// that fails fails every job of its group, and no result, follow-up or fence
// gets out before its group's commit (the order of events is recorded).
#include <algorithm>
#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "server/core/storage_executor.hpp"
#include "server/store/sqlite/sqlite_storage.hpp"
#include "tests/temp_dir.hpp"

namespace {

using server::StorageExecutor;
namespace store = server::store;
namespace asio = boost::asio;

// What happened, in order, on any thread.
struct Events {
    void add(std::string what) {
        std::lock_guard lock(mutex);
        list.push_back(std::move(what));
    }
    std::vector<std::string> seen() {
        std::lock_guard lock(mutex);
        return list;
    }
    std::mutex mutex;
    std::vector<std::string> list;
};

// The SQLite stores, with every group's begin and commit recorded, and
// commits that fail on demand (the group is then rolled back, as after a
// failing COMMIT).
class RecordingStorage final : public store::Storage {
public:
    RecordingStorage(store::SqliteStorage& inner, Events& events) : inner_(inner), events_(events) {}
    auth::AccountStore& accounts() override { return inner_.accounts(); }
    store::RosterStore& roster() override { return inner_.roster(); }
    store::OfflineStore& offline() override { return inner_.offline(); }
    store::UserDataStore& user_data() override { return inner_.user_data(); }
    store::BlocklistStore& blocklist() override { return inner_.blocklist(); }
    store::ArchiveStore& archive() override { return inner_.archive(); }
    store::PubsubStore& pubsub() override { return inner_.pubsub(); }
    store::QueueStore& queues() override { return inner_.queues(); }
    store::MucStore& muc() override { return inner_.muc(); }
    store::RemovedAccount remove_account(const std::string& user, const std::string& domain) override {
        return inner_.remove_account(user, domain);
    }
    std::unique_ptr<store::CommitGroup> begin_group() override {
        auto group = inner_.begin_group();
        if (!group) return nullptr;
        events_.add("begin");
        return std::make_unique<Group>(std::move(group), *this);
    }
    bool fail_commits = false;  // set while no group is open

private:
    struct Group final : store::CommitGroup {
        Group(std::unique_ptr<store::CommitGroup> g, RecordingStorage& s) : inner(std::move(g)), storage(s) {}
        bool begin_job() override { return inner->begin_job(); }
        void end_job(bool keep) override { inner->end_job(keep); }
        bool intact() override { return inner->intact(); }
        bool commit() override {
            if (storage.fail_commits) {
                storage.events_.add("commit failed");
                return false;
            }
            const bool ok = inner->commit();
            storage.events_.add(ok ? "commit" : "commit failed");
            return ok;
        }
        std::unique_ptr<store::CommitGroup> inner;
        RecordingStorage& storage;
    };
    store::SqliteStorage& inner_;
    Events& events_;
};

struct World {
    test::TempDir dir{"xmqd-storage-executor"};
    std::unique_ptr<store::SqliteStorage> sqlite = [this] {
        auto opened = store::SqliteStorage::open(dir.path);
        REQUIRE(opened);
        return std::move(opened.value());
    }();
    Events events;
    RecordingStorage stores{*sqlite, events};
    StorageExecutor executor;  // last: its thread ends before the stores go

    World() { executor.group_commits(stores); }

    // Holds the storage thread in an alone job until open() (so that what is
    // posted meanwhile is queued at one moment).
    struct Gate {
        std::promise<void> opened;
        std::shared_future<void> wait = opened.get_future().share();
        void open() { opened.set_value(); }
    };
    void hold(Gate& gate) {
        auto wait = gate.wait;
        std::promise<void> entered;
        executor.post([wait, &entered] {
            entered.set_value();
            wait.wait();
        });
        entered.get_future().wait();  // the thread is in: what comes next is queued behind it
    }

    // A grouped job storing one offline message for `user`; the follow-up
    // records whether it committed.
    void post_add(const std::string& user, bool throw_after = false) {
        executor.post([this, user, throw_after] {
            const auto status = sqlite->offline().add(user, "example.com", 1, "<message/>", 1000);
            REQUIRE(status == store::OfflineStore::AddStatus::ok);
            if (throw_after) throw std::runtime_error("job failed after its write");
            return [this, user](bool committed) { events.add(user + (committed ? " committed" : " lost")); };
        });
    }
    std::size_t stored(const std::string& user) {
        auto count = [this, user] { return sqlite->offline().count(user, "example.com"); };
        std::promise<std::size_t> result;
        executor.post([&result, count] { result.set_value(count()); });
        return result.get_future().get();
    }
};

std::size_t index_of(const std::vector<std::string>& events, const std::string& what) {
    for (std::size_t i = 0; i < events.size(); ++i)
        if (events[i] == what) return i;
    FAIL("no event " << what);
    return events.size();
}

}  // namespace

TEST_CASE("storage executor: the writes queued at one moment share one commit") {
    World w;
    const auto before = w.sqlite->database().commits();
    World::Gate gate;
    w.hold(gate);
    constexpr int kJobs = 50;
    for (int i = 0; i < kJobs; ++i) w.post_add("u" + std::to_string(i));
    gate.open();
    w.executor.drain();
    // One transaction (one fsync) for the 50 jobs, each with its own store
    // transaction nested; drain()'s own job makes a second group when the
    // storage thread took the 50 before it was queued.
    const auto commits = w.sqlite->database().commits() - before;
    CHECK(commits >= 1);
    CHECK(commits <= 2);
    for (int i = 0; i < kJobs; ++i) CHECK(w.stored("u" + std::to_string(i)) == 1);
    auto events = w.events.seen();
    const auto last_job = events.begin() + static_cast<std::ptrdiff_t>(index_of(events, "u49 committed"));
    CHECK(std::count(events.begin(), last_job, std::string("begin")) == 1);
    CHECK(index_of(events, "commit") < index_of(events, "u0 committed"));
}

TEST_CASE("storage executor: a job that fails is undone alone; the others of its group commit") {
    World w;
    World::Gate gate;
    w.hold(gate);
    w.post_add("a");
    w.post_add("b", true);  // a posted job that throws has no follow-up: only the log hears of it
    asio::io_context worker;
    std::optional<int> answer;
    auto caller = [&]() -> asio::awaitable<void> {
        auto failing = [&w]() -> int {
            REQUIRE(w.sqlite->offline().add("c", "example.com", 1, "<message/>", 1000) ==
                    store::OfflineStore::AddStatus::ok);
            throw std::runtime_error("job failed after its write");
        };
        answer = co_await w.executor.run(failing, -1);
        w.events.add("c answered");
    };
    asio::co_spawn(worker, caller(), asio::detached);
    worker.poll();
    w.post_add("d");
    gate.open();
    worker.run();
    w.executor.drain();
    REQUIRE(answer);
    CHECK(*answer == -1);  // the failing run() job reports its failure
    CHECK(w.stored("a") == 1);
    CHECK(w.stored("b") == 0);  // its insert rolled back with it
    CHECK(w.stored("c") == 0);
    CHECK(w.stored("d") == 1);
    auto events = w.events.seen();
    int groups = 0;  // begun before d's follow-up (drain() opens one more after it)
    for (std::size_t i = 0; i < index_of(events, "d committed"); ++i) groups += events[i] == "begin";
    CHECK(groups == 1);  // one group for all four
    CHECK(index_of(events, "commit") < index_of(events, "a committed"));
    CHECK(index_of(events, "commit") < index_of(events, "c answered"));
    CHECK(index_of(events, "d committed") > index_of(events, "commit"));
}

TEST_CASE("storage executor: a commit that fails fails every job of its group") {
    World w;
    w.stores.fail_commits = true;
    World::Gate gate;
    w.hold(gate);
    w.post_add("a");
    w.post_add("b");
    asio::io_context worker;
    std::optional<int> answer;
    auto caller = [&]() -> asio::awaitable<void> {
        auto write = [&w] {
            return w.sqlite->offline().add("c", "example.com", 1, "<message/>", 1000) == store::OfflineStore::AddStatus::ok
                       ? 1
                       : 0;
        };
        answer = co_await w.executor.run(write, -1);
    };
    asio::co_spawn(worker, caller(), asio::detached);
    worker.poll();  // the run() job is queued behind the gate
    gate.open();
    w.executor.drain();
    w.stores.fail_commits = false;
    worker.run();
    REQUIRE(answer);
    CHECK(*answer == -1);  // the caller sees the loss, not the insert's own success
    auto events = w.events.seen();
    CHECK(index_of(events, "a lost") > index_of(events, "commit failed"));
    CHECK(index_of(events, "b lost") > index_of(events, "commit failed"));
    CHECK(w.stored("a") == 0);
    CHECK(w.stored("b") == 0);
    CHECK(w.stored("c") == 0);
}

TEST_CASE("storage executor: run() callers resume only after the commit of their group") {
    World w;
    World::Gate gate;
    w.hold(gate);
    w.post_add("a");
    asio::io_context worker;
    auto caller = [&]() -> asio::awaitable<void> {
        auto read = [&w] {
            w.events.add("read");
            return w.sqlite->offline().count("a", "example.com");  // sees the group's write, not committed yet
        };
        const std::size_t seen = co_await w.executor.run(read, std::size_t{0});
        w.events.add("resumed with " + std::to_string(seen));
    };
    asio::co_spawn(worker, caller(), asio::detached);
    worker.poll();
    gate.open();
    worker.run();  // returns once the caller has resumed
    auto events = w.events.seen();
    CHECK(index_of(events, "read") < index_of(events, "commit"));
    CHECK(index_of(events, "commit") < index_of(events, "resumed with 1"));
}

TEST_CASE("storage executor: fence() completes after the writes posted before it have committed") {
    World w;
    World::Gate gate;
    w.hold(gate);
    asio::io_context worker;
    auto session = [&]() -> asio::awaitable<void> {
        StorageExecutor::take_posted_mark();  // what earlier cases posted on this thread
        w.post_add("a");
        w.post_add("b");
        CHECK(StorageExecutor::take_posted_mark() == StorageExecutor::Posted::grouped);
        const bool committed = co_await w.executor.fence();
        w.events.add(committed ? "fence" : "fence failed");
    };
    asio::co_spawn(worker, session(), asio::detached);
    worker.poll();
    gate.open();
    worker.run();
    auto events = w.events.seen();
    CHECK(index_of(events, "commit") < index_of(events, "b committed"));
    CHECK(index_of(events, "b committed") < index_of(events, "fence"));
    CHECK(w.stored("b") == 1);
}

TEST_CASE("storage executor: an alone job runs after the group before it has committed") {
    World w;
    World::Gate gate;
    w.hold(gate);
    w.post_add("a");
    w.executor.post([&w] {
        w.events.add("alone sees " + std::to_string(w.sqlite->offline().count("a", "example.com")));
    });
    w.post_add("b");
    gate.open();
    w.executor.drain();
    auto events = w.events.seen();
    // begin, commit (a), a committed, alone, begin, commit (b), b committed
    CHECK(index_of(events, "a committed") < index_of(events, "alone sees 1"));
    CHECK(index_of(events, "alone sees 1") < index_of(events, "b committed"));
    int commits = 0;
    for (const auto& e : events) commits += e == "commit";
    CHECK(commits >= 2);
}
