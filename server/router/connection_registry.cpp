#include "server/router/connection_registry.hpp"

#include <vector>

namespace server {

void ConnectionRegistry::add(const std::shared_ptr<ClientSession>& session) {
    std::lock_guard lock(mutex_);
    sessions_.emplace(session.get(), session);
}

void ConnectionRegistry::remove(const ClientSession* session) {
    std::lock_guard lock(mutex_);
    sessions_.erase(session);
}

std::size_t ConnectionRegistry::size() const {
    std::lock_guard lock(mutex_);
    return sessions_.size();
}

void ConnectionRegistry::for_each(const std::function<void(const std::shared_ptr<ClientSession>&)>& fn) const {
    std::vector<std::shared_ptr<ClientSession>> live;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [key, weak] : sessions_)
            if (auto s = weak.lock()) live.push_back(std::move(s));
    }
    for (const auto& s : live) fn(s);
}

}  // namespace server
