#include "server/router/component_table.hpp"

#include <algorithm>
#include <mutex>

namespace server {

bool ComponentTable::attach(const std::string& domain, std::shared_ptr<ComponentLink> link) {
    std::unique_lock lock(mutex_);
    return links_.try_emplace(domain, std::move(link)).second;
}

void ComponentTable::detach(const std::string& domain, const ComponentLink* link) {
    std::unique_lock lock(mutex_);
    auto it = links_.find(domain);
    if (it != links_.end() && it->second.get() == link) links_.erase(it);
}

std::shared_ptr<ComponentLink> ComponentTable::find(std::string_view domain) const {
    std::shared_lock lock(mutex_);
    if (links_.empty()) return nullptr;
    auto it = links_.find(std::string(domain));
    return it == links_.end() ? nullptr : it->second;
}

std::vector<std::string> ComponentTable::domains() const {
    std::vector<std::string> out;
    {
        std::shared_lock lock(mutex_);
        out.reserve(links_.size());
        for (const auto& [domain, link] : links_) out.push_back(domain);
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::size_t ComponentTable::size() const {
    std::shared_lock lock(mutex_);
    return links_.size();
}

}  // namespace server
