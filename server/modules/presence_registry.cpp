#include "server/modules/presence_registry.hpp"

namespace server::modules {

bool PresenceRegistry::set_available(const xmpp::Jid& full, xmpp::Element presence) {
    std::lock_guard lock(mutex_);
    auto& r = users_[full.bare_string()][full.resource()];
    bool was = r.available;
    r.available = true;
    r.last = std::move(presence);
    return was;
}

std::optional<ResourcePresence> PresenceRegistry::set_unavailable(const xmpp::Jid& full) {
    std::lock_guard lock(mutex_);
    auto user = users_.find(full.bare_string());
    if (user == users_.end()) return std::nullopt;
    auto it = user->second.find(full.resource());
    if (it == user->second.end()) return std::nullopt;
    ResourcePresence before = it->second;
    it->second.available = false;
    it->second.last = xmpp::Element();
    it->second.directed.clear();
    return before;
}

std::optional<ResourcePresence> PresenceRegistry::remove(const xmpp::Jid& full) {
    std::lock_guard lock(mutex_);
    auto user = users_.find(full.bare_string());
    if (user == users_.end()) return std::nullopt;
    auto it = user->second.find(full.resource());
    if (it == user->second.end()) return std::nullopt;
    ResourcePresence before = std::move(it->second);
    user->second.erase(it);
    if (user->second.empty()) users_.erase(user);
    return before;
}

void PresenceRegistry::set_roster_interested(const xmpp::Jid& full) {
    std::lock_guard lock(mutex_);
    users_[full.bare_string()][full.resource()].roster_interested = true;
}

std::vector<std::string> PresenceRegistry::roster_interested(const xmpp::Jid& bare) const {
    std::vector<std::string> out;
    std::lock_guard lock(mutex_);
    auto user = users_.find(bare.bare_string());
    if (user == users_.end()) return out;
    for (const auto& [resource, r] : user->second)
        if (r.roster_interested) out.push_back(resource);
    return out;
}

std::vector<std::pair<std::string, xmpp::Element>> PresenceRegistry::available(const xmpp::Jid& bare) const {
    std::vector<std::pair<std::string, xmpp::Element>> out;
    std::lock_guard lock(mutex_);
    auto user = users_.find(bare.bare_string());
    if (user == users_.end()) return out;
    for (const auto& [resource, r] : user->second)
        if (r.available) out.emplace_back(resource, r.last);
    return out;
}

void PresenceRegistry::add_directed(const xmpp::Jid& full, const std::string& to) {
    std::lock_guard lock(mutex_);
    auto user = users_.find(full.bare_string());
    if (user == users_.end()) return;
    auto it = user->second.find(full.resource());
    if (it == user->second.end() || !it->second.available) return;  // only while available (§4.6.2)
    it->second.directed.insert(to);
}

void PresenceRegistry::remove_directed(const xmpp::Jid& full, const std::string& to) {
    std::lock_guard lock(mutex_);
    auto user = users_.find(full.bare_string());
    if (user == users_.end()) return;
    auto it = user->second.find(full.resource());
    if (it != user->second.end()) it->second.directed.erase(to);
}

bool PresenceRegistry::knows(const xmpp::Jid& bare) const {
    std::lock_guard lock(mutex_);
    return users_.count(bare.bare_string()) > 0;
}

}  // namespace server::modules
