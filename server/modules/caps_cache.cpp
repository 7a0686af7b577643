#include "server/modules/caps_cache.hpp"

namespace server::modules {

std::optional<CapsCache::Query> CapsCache::available(const xmpp::Jid& full, const xmpp::caps::Caps& caps) {
    const std::string who = full.full();
    const Key key = key_of(caps);
    std::lock_guard lock(mutex_);
    auto [it, added] = current_.try_emplace(who, caps);
    if (!added && key_of(it->second) != key) {
        auto holders = holders_.find(key_of(it->second));
        if (holders != holders_.end()) {
            holders->second.erase(who);
            if (holders->second.empty()) holders_.erase(holders);
        }
    }
    it->second = caps;
    holders_[key].insert(who);
    if (lookup(key)) return std::nullopt;
    if (pending_.count(key) || failed_.count({who, key}) || pending_.size() >= limits_.max_pending) return std::nullopt;
    pending_.emplace(key, who);
    return Query{full, caps};
}

void CapsCache::forget(const xmpp::Jid& full) {
    const std::string who = full.full();
    std::lock_guard lock(mutex_);
    auto it = current_.find(who);
    if (it == current_.end()) return;
    auto holders = holders_.find(key_of(it->second));
    if (holders != holders_.end()) {
        holders->second.erase(who);
        if (holders->second.empty()) holders_.erase(holders);
    }
    current_.erase(it);
}

CapsCache::Outcome CapsCache::answered(const Query& query, const xmpp::Element* result) {
    const Key key = key_of(query.caps);
    const std::string who = query.to.full();
    // Parsed and hashed before taking the lock: the work is the answer's.
    Info verified;
    if (result) {
        auto info = xmpp::caps::parse_disco_info(*result);
        if (info.ok() && xmpp::caps::ver(*info, query.caps.hash) == query.caps.ver)
            verified = std::make_shared<const xmpp::caps::DiscoInfo>(std::move(info.value()));
    }
    std::lock_guard lock(mutex_);
    auto pending = pending_.find(key);
    if (pending == pending_.end() || pending->second != who) return {};
    pending_.erase(pending);
    if (verified) {
        store(key, std::move(verified));
        Outcome outcome{.cached = true, .next = std::nullopt, .resolved = {}};
        if (auto holders = holders_.find(key); holders != holders_.end())
            for (const std::string& holder : holders->second)
                if (auto jid = xmpp::Jid::parse(holder)) outcome.resolved.push_back(std::move(*jid));
        return outcome;
    }
    remember_failure(who, key);
    auto next = next_holder(key);
    if (next) pending_.emplace(key, next->to.full());
    return {.cached = false, .next = std::move(next), .resolved = {}};
}

CapsCache::Info CapsCache::features_of(const xmpp::Jid& full) {
    std::lock_guard lock(mutex_);
    auto it = current_.find(full.full());
    if (it == current_.end()) return nullptr;
    return lookup(key_of(it->second));
}

bool CapsCache::wants_notify(const xmpp::Jid& full, std::string_view node) {
    Info info = features_of(full);
    return info && info->has_feature(std::string(node) + "+notify");
}

CapsCache::Stats CapsCache::stats() const {
    std::lock_guard lock(mutex_);
    return {entries_.size(), pending_.size(), current_.size()};
}

CapsCache::Info CapsCache::lookup(const Key& key) {
    auto it = entries_.find(key);
    if (it == entries_.end()) return nullptr;
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    return it->second.info;
}

void CapsCache::store(const Key& key, Info info) {
    if (auto it = entries_.find(key); it != entries_.end()) {
        it->second.info = std::move(info);
        lru_.splice(lru_.begin(), lru_, it->second.lru);
        return;
    }
    while (!lru_.empty() && entries_.size() >= limits_.max_entries) {
        entries_.erase(lru_.back());
        lru_.pop_back();
    }
    if (limits_.max_entries == 0) return;
    lru_.push_front(key);
    entries_.emplace(key, Entry{std::move(info), lru_.begin()});
}

void CapsCache::remember_failure(const std::string& full, const Key& key) {
    if (limits_.max_failures == 0 || !failed_.emplace(full, key).second) return;
    failed_order_.emplace_back(full, key);
    while (failed_order_.size() > limits_.max_failures) {
        failed_.erase(failed_order_.front());
        failed_order_.pop_front();
    }
}

std::optional<CapsCache::Query> CapsCache::next_holder(const Key& key) {
    auto holders = holders_.find(key);
    if (holders == holders_.end()) return std::nullopt;
    for (const std::string& who : holders->second) {
        if (failed_.count({who, key})) continue;
        auto jid = xmpp::Jid::parse(who);
        auto caps = current_.find(who);
        if (jid && caps != current_.end()) return Query{*jid, caps->second};
    }
    return std::nullopt;
}

}  // namespace server::modules
