#include "server/router/session_manager.hpp"

#include <algorithm>
#include <mutex>

namespace server {

namespace {

// A new binding: unavailable, no presence yet, no roster asked for.
BoundResource fresh(const xmpp::Jid& full, std::shared_ptr<ClientSession> session) {
    BoundResource r;
    r.resource = full.resource();
    r.session = std::move(session);
    return r;
}

}  // namespace

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
            BindResult result{true, list.size(), std::move(r.session), r.available};
            r = fresh(full, std::move(session));
            return result;
        }
    }
    if (list.size() >= max_resources) {
        const std::size_t n = list.size();
        if (list.empty()) s.users.erase(bare);
        return {false, n, nullptr};
    }
    list.push_back(fresh(full, std::move(session)));
    return {true, list.size(), nullptr};
}

std::optional<BoundResource> SessionManager::unbind(const xmpp::Jid& full, const ClientSession* session) {
    const std::string bare = full.bare_string();
    Shard& s = shard_for(bare);
    std::unique_lock lock(s.mutex);
    auto it = s.users.find(bare);
    if (it == s.users.end()) return std::nullopt;
    auto& list = it->second;
    auto found = std::find_if(list.begin(), list.end(), [&](const BoundResource& r) {
        return r.resource == full.resource() && r.session.get() == session;
    });
    if (found == list.end()) return std::nullopt;
    BoundResource removed = std::move(*found);
    list.erase(found);
    if (list.empty()) s.users.erase(it);
    return removed;
}

template <class Fn>
bool SessionManager::update(const xmpp::Jid& full, Fn&& fn) {
    const std::string bare = full.bare_string();
    Shard& s = shard_for(bare);
    std::unique_lock lock(s.mutex);
    auto it = s.users.find(bare);
    if (it == s.users.end()) return false;
    for (auto& r : it->second)
        if (r.resource == full.resource()) {
            fn(r);
            return true;
        }
    return false;
}

template <class Fn>
bool SessionManager::read(const xmpp::Jid& full, Fn&& fn) const {
    const std::string bare = full.bare_string();
    Shard& s = shard_for(bare);
    std::shared_lock lock(s.mutex);
    auto it = s.users.find(bare);
    if (it == s.users.end()) return false;
    for (const auto& r : it->second)
        if (r.resource == full.resource()) {
            fn(r);
            return true;
        }
    return false;
}

std::shared_ptr<ClientSession> SessionManager::find(const xmpp::Jid& full) const {
    std::shared_ptr<ClientSession> session;
    read(full, [&](const BoundResource& r) { session = r.session; });
    return session;
}

std::vector<BoundResource> SessionManager::resources(const xmpp::Jid& bare) const {
    const std::string key = bare.bare_string();
    Shard& s = shard_for(key);
    std::shared_lock lock(s.mutex);
    auto it = s.users.find(key);
    if (it == s.users.end()) return {};
    return it->second;
}

bool SessionManager::set_available(const xmpp::Jid& full, xmpp::Element presence, int priority) {
    // Built before the lock: the shard is held for the swap only.
    auto current = std::make_shared<const xmpp::Element>(std::move(presence));
    bool was = false;
    update(full, [&](BoundResource& r) {
        was = r.available;
        r.available = true;
        r.priority = priority;
        r.presence = std::move(current);
    });
    return was;
}

bool SessionManager::set_unavailable(const xmpp::Jid& full) {
    bool was = false;
    std::shared_ptr<const xmpp::Element> last;  // released after the lock
    update(full, [&](BoundResource& r) {
        was = r.available;
        r.available = false;
        r.priority = 0;
        last = std::move(r.presence);
    });
    return was;
}

void SessionManager::set_roster_interested(const xmpp::Jid& full) {
    update(full, [](BoundResource& r) { r.roster_interested = true; });
}

bool SessionManager::is_available(const xmpp::Jid& full) const {
    bool available = false;
    read(full, [&](const BoundResource& r) { available = r.available; });
    return available;
}

bool SessionManager::has_available(const xmpp::Jid& bare) const {
    const std::string key = bare.bare_string();
    Shard& s = shard_for(key);
    std::shared_lock lock(s.mutex);
    auto it = s.users.find(key);
    if (it == s.users.end()) return false;
    return std::any_of(it->second.begin(), it->second.end(), [](const BoundResource& r) { return r.available; });
}

std::vector<AvailablePresence> SessionManager::available_presences(const xmpp::Jid& bare) const {
    std::vector<AvailablePresence> out;
    const std::string key = bare.bare_string();
    Shard& s = shard_for(key);
    std::shared_lock lock(s.mutex);
    auto it = s.users.find(key);
    if (it == s.users.end()) return out;
    for (const auto& r : it->second)
        if (r.available) out.push_back({r.resource, r.presence});
    return out;
}

bool SessionManager::is_encrypted(const xmpp::Jid& full) const {
    bool encrypted = false;
    read(full, [&](const BoundResource& r) { encrypted = r.session->is_encrypted(); });
    return encrypted;
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
