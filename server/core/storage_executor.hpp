// StorageExecutor: the thread that runs blocking storage calls (SQLite) so
// that no I/O worker ever blocks on disk, and commits them in groups, so that
// many writes share one disk flush.
//
// Jobs run one after another on the one storage thread, in the order they
// were posted or run (FIFO). The thread takes all the jobs queued at a moment
// (at most kMaxBatch) and runs the grouped ones inside one
// store::CommitGroup: each job in its own scope (a job that throws is undone
// alone and reports failure; the others stay), then one commit for all. Only
// after that commit are the results let out, in job order: a run() caller
// resumes, a posted job's follow-up runs, a fence() completes. If the commit
// fails, every job of the group reports failure.
//
// Two kinds of jobs, chosen by the call:
// - grouped: run(fn, if_lost), and post(fn) where fn returns a follow-up (a
//   callable taking `bool committed`). fn runs inside the group and has no
//   effect outside the stores (sends no stanza, changes no cache): the rest
//   goes into the follow-up, which runs on the storage thread after the
//   commit, outside any transaction, with committed = false when the job's
//   writes were lost (it then reports what it reports for a failing store
//   call). So nothing announces as done what could still roll back.
// - alone: run(fn), and post(fn) where fn returns nothing. The group before
//   it is committed first and fn runs outside any group: each of its store
//   calls commits on its own, as every call did before group commit, so fn
//   may deliver between store calls (the offline flush delivers stored
//   messages, then deletes them). For jobs that interleave deliveries with
//   writes, or that have no way to report a lost commit.
//
// Owned by the Server (ServerParts); run(), post() and fence() may be called
// from any thread. The store::Storage given to group_commits() is used by the
// storage thread only, and while a group is open nothing else may use it.
#pragma once

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>

namespace server {

namespace store {
class Storage;
}

namespace asio = boost::asio;

class StorageExecutor {
public:
    // Jobs taken at once at most: bounds how long the first job's caller
    // waits for the commit behind the others.
    static constexpr std::size_t kMaxBatch = 256;

    StorageExecutor();
    ~StorageExecutor();
    StorageExecutor(const StorageExecutor&) = delete;
    StorageExecutor& operator=(const StorageExecutor&) = delete;

    // The stores whose commits are grouped. Before this (and whenever a group
    // cannot begin) grouped jobs run one by one, each call committed on its
    // own. Called once, before any job that uses the stores.
    void group_commits(store::Storage& stores);

    // Alone: fn runs after everything before it has committed, outside any
    // group; the caller resumes on its own executor with fn's result.
    // Plain handlers rather than a coroutine on the storage side: g++ 12
    // destroys a closure passed by value into a coroutine twice.
    template <class F>
    asio::awaitable<std::invoke_result_t<F>> run(F fn) {
        return initiate<std::invoke_result_t<F>>(std::move(fn), std::nullopt);
    }
    // Grouped: fn runs inside the group; the caller resumes after the commit
    // with fn's result, or with `if_lost` when the commit failed or fn threw.
    template <class F>
    asio::awaitable<std::invoke_result_t<F>> run(F fn, std::invoke_result_t<F> if_lost) {
        return initiate<std::invoke_result_t<F>>(std::move(fn), std::move(if_lost));
    }

    // Runs fn on the storage thread, after everything posted or run before:
    // grouped when fn returns a follow-up, alone when it returns nothing (see
    // above). For work that needs no answer on a worker, such as a module
    // hook's storage and the deliveries that follow it. Marks the calling
    // thread, so that a session can wait for that work (fence()).
    template <class F>
    void post(F fn) {
        using R = std::invoke_result_t<F>;
        if constexpr (std::is_void_v<R>) {
            posted_here() = Posted::alone;
            enqueue(std::make_unique<AloneJob<F>>(std::move(fn)));
        } else {
            static_assert(std::is_invocable_v<R&, bool>, "a grouped job returns its follow-up(bool committed)");
            if (posted_here() == Posted::nothing) posted_here() = Posted::grouped;
            enqueue(std::make_unique<PostedJob<F>>(std::move(fn)));
        }
    }
    // Marks the calling thread as post() of a grouped job does, for a write
    // that joins a grouped job posted earlier and not yet run (a journal's
    // batch that its waiting job will take): the session fences all the
    // same, and its fence, queued after that job, completes after its commit.
    static void joined_grouped() {
        if (posted_here() == Posted::nothing) posted_here() = Posted::grouped;
    }
    // What post() was given on this thread since the last call; clears the
    // mark. A session fences when anything was, so that nothing it answers
    // later overtakes storage work its stanza started: only grouped writes
    // (their follow-ups send no more than errors) let it read on while its
    // output waits for the commit; alone work (which may deliver, such as
    // the offline flush at login) must be done before the next stanza is read.
    enum class Posted { nothing, grouped, alone };
    static Posted take_posted_mark() {
        const Posted was = posted_here();
        posted_here() = Posted::nothing;
        return was;
    }
    // Completes once everything posted or run before has run, its group has
    // committed and its follow-ups have run: true, or false when the group
    // failed to commit (each of its jobs has reported its failure by then).
    // A grouped job itself, so it does not end the group it joins.
    asio::awaitable<bool> fence() {
        auto nothing = [] { return true; };
        co_return co_await run(nothing, false);
    }

    // Blocks until everything posted or run before — and what that posted —
    // has run, committed and been followed up (for a test that runs a worker's io_context by hand:
    // tests/server/c2s_harness.hpp).
    void drain();

    // Runs what is queued (and what that queues), then ends the thread;
    // jobs queued afterwards are dropped.
    void stop();

private:
    struct Job {
        virtual ~Job() = default;
        virtual bool grouped() const = 0;
        virtual void work() = 0;                  // inside the group when grouped
        virtual void settle(bool committed) = 0;  // after the commit (alone: right after work)
    };

    template <class F>
    struct AloneJob final : Job {
        explicit AloneJob(F f) : fn(std::move(f)) {}
        bool grouped() const override { return false; }
        void work() override { fn(); }
        void settle(bool) override {}
        F fn;
    };

    template <class F>
    struct PostedJob final : Job {
        explicit PostedJob(F f) : fn(std::move(f)) {}
        bool grouped() const override { return true; }
        void work() override { follow_up.emplace(fn()); }
        void settle(bool committed) override {
            if (follow_up) (*follow_up)(committed);  // none: fn threw (and was logged) before returning it
        }
        F fn;
        std::optional<std::invoke_result_t<F>> follow_up;
    };

    // A run() call: the result goes back to the awaiting coroutine's executor.
    template <class F, class R, class Handler>
    struct RunJob final : Job {
        using Back = std::decay_t<decltype(asio::prefer(asio::get_associated_executor(std::declval<Handler&>()),
                                                        asio::execution::outstanding_work.tracked))>;
        RunJob(F f, std::optional<R> lost, Handler h)
            : fn(std::move(f)),
              if_lost(std::move(lost)),
              handler(std::move(h)),
              back(asio::prefer(asio::get_associated_executor(handler), asio::execution::outstanding_work.tracked)) {}
        bool grouped() const override { return if_lost.has_value(); }
        void work() override { result.emplace(fn()); }
        void settle(bool committed) override {
            R value = committed && result ? std::move(*result) : std::move(*if_lost);
            asio::post(back, [handler = std::move(handler), value = std::move(value)]() mutable {
                std::move(handler)(std::move(value));
            });
        }
        F fn;
        std::optional<R> if_lost;  // none: an alone job
        std::optional<R> result;
        Handler handler;
        Back back;
    };

    template <class R, class F>
    asio::awaitable<R> initiate(F fn, std::optional<R> if_lost) {
        return asio::async_initiate<const asio::use_awaitable_t<>&, void(R)>(
            [this](auto handler, F work, std::optional<R> lost) {
                using Handler = decltype(handler);
                enqueue(std::make_unique<RunJob<F, R, Handler>>(std::move(work), std::move(lost), std::move(handler)));
            },
            asio::use_awaitable, std::move(fn), std::move(if_lost));
    }

    void enqueue(std::unique_ptr<Job> job);
    void loop();
    void run_batch(std::deque<std::unique_ptr<Job>>& jobs);

    static Posted& posted_here() {
        thread_local Posted mark = Posted::nothing;
        return mark;
    }

    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::unique_ptr<Job>> queue_;  // guarded by mutex_
    std::size_t enqueued_ = 0;                // guarded by mutex_: jobs ever queued (drain())
    bool stopping_ = false;                   // guarded by mutex_
    bool ended_ = false;                      // guarded by mutex_: the thread has returned
    store::Storage* stores_ = nullptr;        // guarded by mutex_
    std::thread thread_;                      // last: starts once the rest is built
};

}  // namespace server
