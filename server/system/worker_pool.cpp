#include "server/system/worker_pool.hpp"

namespace server {

WorkerPool::WorkerPool(unsigned count) {
    if (count == 0) count = std::max(1u, std::thread::hardware_concurrency());
    for (unsigned i = 0; i < count; ++i) {
        auto w = std::make_unique<Worker>();
        // Concurrency hint 1: each context is run by exactly one thread.
        w->context = std::make_unique<boost::asio::io_context>(1);
        w->guard = std::make_unique<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>(
            w->context->get_executor());
        workers_.push_back(std::move(w));
    }
}

WorkerPool::~WorkerPool() { stop(); }

void WorkerPool::start() {
    for (auto& w : workers_) w->thread = std::thread([ctx = w->context.get()] { ctx->run(); });
}

void WorkerPool::stop() {
    for (auto& w : workers_) {
        w->guard.reset();
        w->context->stop();
    }
    for (auto& w : workers_)
        if (w->thread.joinable()) w->thread.join();
}

boost::asio::io_context& WorkerPool::next() {
    return *workers_[next_.fetch_add(1, std::memory_order_relaxed) % workers_.size()]->context;
}

}  // namespace server
