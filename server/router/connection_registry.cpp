#include "server/router/connection_registry.hpp"

#include <vector>

namespace server {

void ConnectionRegistry::add(const std::shared_ptr<LiveConnection>& connection) {
    std::lock_guard lock(mutex_);
    connections_.emplace(connection.get(), connection);
}

void ConnectionRegistry::remove(const LiveConnection* connection) {
    std::lock_guard lock(mutex_);
    connections_.erase(connection);
}

std::size_t ConnectionRegistry::size() const {
    std::lock_guard lock(mutex_);
    return connections_.size();
}

void ConnectionRegistry::for_each(const std::function<void(const std::shared_ptr<LiveConnection>&)>& fn) const {
    std::vector<std::shared_ptr<LiveConnection>> live;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [key, weak] : connections_)
            if (auto c = weak.lock()) live.push_back(std::move(c));
    }
    for (const auto& c : live) fn(c);
}

}  // namespace server
