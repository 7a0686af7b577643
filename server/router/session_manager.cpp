#include "server/router/session_manager.hpp"

#include <algorithm>
#include <mutex>

namespace server {

SessionManager::Shard& SessionManager::shard_for(const std::string& bare) const {
    return shards_[std::hash<std::string>{}(bare) % shards_.size()];
}

BindResult SessionManager::bind(const xmpp::Jid& full, std::shared_ptr<ClientSession> session,
                                std::size_t max_resources) {
    const std::string bare = full.bare_string();
    Shard& s = shard_for(bare);
    std::unique_lock lock(s.mutex);
    auto& list = s.users[bare];
    for (auto& r : list) {
        if (r.resource == full.resource()) {
            auto old = std::move(r.session);
            r = BoundResource{full.resource(), std::move(session), false, 0};
            return {true, list.size(), std::move(old)};
        }
    }
    if (list.size() >= max_resources) {
        const std::size_t n = list.size();
        if (list.empty()) s.users.erase(bare);
        return {false, n, nullptr};
    }
    list.push_back(BoundResource{full.resource(), std::move(session), false, 0});
    return {true, list.size(), nullptr};
}

bool SessionManager::unbind(const xmpp::Jid& full, const ClientSession* session) {
    const std::string bare = full.bare_string();
    Shard& s = shard_for(bare);
    std::unique_lock lock(s.mutex);
    auto it = s.users.find(bare);
    if (it == s.users.end()) return false;
    auto& list = it->second;
    const auto removed = std::erase_if(list, [&](const BoundResource& r) {
        return r.resource == full.resource() && r.session.get() == session;
    });
    if (list.empty()) s.users.erase(it);
    return removed != 0;
}

std::shared_ptr<ClientSession> SessionManager::find(const xmpp::Jid& full) const {
    const std::string bare = full.bare_string();
    Shard& s = shard_for(bare);
    std::shared_lock lock(s.mutex);
    auto it = s.users.find(bare);
    if (it == s.users.end()) return nullptr;
    for (const auto& r : it->second)
        if (r.resource == full.resource()) return r.session;
    return nullptr;
}

std::vector<BoundResource> SessionManager::resources(const xmpp::Jid& bare) const {
    const std::string key = bare.bare_string();
    Shard& s = shard_for(key);
    std::shared_lock lock(s.mutex);
    auto it = s.users.find(key);
    if (it == s.users.end()) return {};
    return it->second;
}

void SessionManager::set_presence(const xmpp::Jid& full, bool available, int priority) {
    const std::string bare = full.bare_string();
    Shard& s = shard_for(bare);
    std::unique_lock lock(s.mutex);
    auto it = s.users.find(bare);
    if (it == s.users.end()) return;
    for (auto& r : it->second) {
        if (r.resource == full.resource()) {
            r.available = available;
            r.priority = priority;
        }
    }
}

std::size_t SessionManager::size() const {
    std::size_t n = 0;
    for (auto& s : shards_) {
        std::shared_lock lock(s.mutex);
        for (const auto& [bare, list] : s.users) n += list.size();
    }
    return n;
}

void SessionManager::for_each(const std::function<void(const std::shared_ptr<ClientSession>&)>& fn) const {
    for (auto& s : shards_) {
        std::vector<std::shared_ptr<ClientSession>> copy;
        {
            std::shared_lock lock(s.mutex);
            for (const auto& [bare, list] : s.users)
                for (const auto& r : list) copy.push_back(r.session);
        }
        for (const auto& session : copy) fn(session);
    }
}

}  // namespace server
