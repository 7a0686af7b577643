// WorkerPool: one thread per worker, each running its own io_context. A
// connection is placed on one worker (round-robin) and stays there, so its
// state needs no lock (docs/architecture.md, Threads).
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <atomic>
#include <memory>
#include <thread>
#include <vector>

namespace server {

class WorkerPool {
public:
    explicit WorkerPool(unsigned count);  // 0 = one per core
    ~WorkerPool();

    void start();
    void stop();  // stops the contexts and joins the threads
    boost::asio::io_context& next();
    boost::asio::io_context& at(std::size_t i) { return *workers_[i]->context; }
    std::size_t size() const { return workers_.size(); }

private:
    struct Worker {
        std::unique_ptr<boost::asio::io_context> context;
        std::unique_ptr<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guard;
        std::thread thread;
    };
    std::vector<std::unique_ptr<Worker>> workers_;
    std::atomic<std::size_t> next_{0};
};

}  // namespace server
