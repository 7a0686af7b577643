#include "server/storage_executor.hpp"

namespace server {

StorageExecutor::StorageExecutor()
    : guard_(ctx_.get_executor()), thread_([this] { ctx_.run(); }) {}

StorageExecutor::~StorageExecutor() { stop(); }

void StorageExecutor::stop() {
    guard_.reset();
    if (thread_.joinable()) thread_.join();
}

}  // namespace server
