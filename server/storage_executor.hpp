// StorageExecutor: the thread that runs blocking storage calls (SQLite) so
// that no I/O worker ever blocks on disk. A coroutine on a worker awaits
// run(fn): fn runs on the storage thread, the coroutine resumes on its own
// worker with the result. Owned by the Server; run() may be awaited from any
// worker.
#pragma once

#include <boost/asio/co_spawn.hpp>
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

    template <class F>
    asio::awaitable<std::invoke_result_t<F>> run(F fn) {
        using R = std::invoke_result_t<F>;
        co_return co_await asio::co_spawn(
            ctx_, [fn = std::move(fn)]() mutable -> asio::awaitable<R> { co_return fn(); },
            asio::use_awaitable);
    }

    void stop();

private:
    asio::io_context ctx_;
    asio::executor_work_guard<asio::io_context::executor_type> guard_;
    std::thread thread_;
};

}  // namespace server
