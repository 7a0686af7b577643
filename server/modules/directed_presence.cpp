#include "server/modules/directed_presence.hpp"

namespace server::modules {

void DirectedPresence::add(const xmpp::Jid& full, const std::string& to) {
    std::lock_guard lock(mutex_);
    sent_[full.full()].insert(to);
}

void DirectedPresence::remove(const xmpp::Jid& full, const std::string& to) {
    std::lock_guard lock(mutex_);
    auto it = sent_.find(full.full());
    if (it == sent_.end()) return;
    it->second.erase(to);
    if (it->second.empty()) sent_.erase(it);
}

std::set<std::string> DirectedPresence::take(const xmpp::Jid& full) {
    std::lock_guard lock(mutex_);
    auto it = sent_.find(full.full());
    if (it == sent_.end()) return {};
    std::set<std::string> sent = std::move(it->second);
    sent_.erase(it);
    return sent;
}

}  // namespace server::modules
