#include "server/core/storage_executor.hpp"

#include <future>

namespace server {

StorageExecutor::StorageExecutor()
    : guard_(ctx_.get_executor()), thread_([this] { ctx_.run(); }) {}

StorageExecutor::~StorageExecutor() { stop(); }

void StorageExecutor::drain() {
    std::promise<void> done;
    asio::post(ctx_, [&done] { done.set_value(); });
    done.get_future().wait();
}

void StorageExecutor::stop() {
    guard_.reset();
    if (thread_.joinable()) thread_.join();
}

}  // namespace server
