// StorageExecutor: the thread that runs blocking storage calls (SQLite) so
// that no I/O worker ever blocks on disk. A coroutine on a worker awaits
// run(fn): fn runs on the storage thread, the coroutine resumes on its own
// worker with the result. Owned by the Server; run() may be awaited from any
// worker.
#pragma once

#include <boost/asio/async_result.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <thread>
#include <type_traits>

namespace server {

namespace asio = boost::asio;

class StorageExecutor {
public:
    StorageExecutor();
    ~StorageExecutor();
    StorageExecutor(const StorageExecutor&) = delete;
    StorageExecutor& operator=(const StorageExecutor&) = delete;

    // Plain handlers rather than a coroutine on the storage side: g++ 12
    // destroys a closure passed by value into a coroutine twice.
    template <class F>
    asio::awaitable<std::invoke_result_t<F>> run(F fn) {
        using R = std::invoke_result_t<F>;
        return asio::async_initiate<const asio::use_awaitable_t<>&, void(R)>(
            [this](auto handler, F work) {
                auto back = asio::prefer(asio::get_associated_executor(handler),
                                         asio::execution::outstanding_work.tracked);
                asio::post(ctx_, [handler = std::move(handler), work = std::move(work), back]() mutable {
                    R result = work();
                    asio::post(back, [handler = std::move(handler), result = std::move(result)]() mutable {
                        std::move(handler)(std::move(result));
                    });
                });
            },
            asio::use_awaitable, std::move(fn));
    }

    // Runs fn on the storage thread, after everything posted or run before
    // (one thread: FIFO). For work that needs no answer on a worker, such as
    // a module hook's storage and the deliveries that follow it. Marks the
    // calling thread, so that a session can wait for that work (fence()).
    template <class F>
    void post(F fn) {
        posted_here() = true;
        asio::post(ctx_, std::move(fn));
    }
    // Whether post() was called on this thread since the last call; clears
    // the mark. A session awaits fence() when it was, so that nothing it
    // answers later overtakes storage work its stanza started.
    static bool take_posted_mark() {
        bool was = posted_here();
        posted_here() = false;
        return was;
    }
    asio::awaitable<bool> fence() {
        auto nothing = [] { return true; };
        co_return co_await run(nothing);
    }

    // Blocks until everything posted or run before has run (for a test that
    // runs a worker's io_context by hand: tests/server/c2s_harness.hpp).
    void drain();

    void stop();

private:
    static bool& posted_here() {
        thread_local bool mark = false;
        return mark;
    }
    asio::io_context ctx_;
    asio::executor_work_guard<asio::io_context::executor_type> guard_;
    std::thread thread_;
};

}  // namespace server
