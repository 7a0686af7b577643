#include "server/net/ip_connection_limit.hpp"

namespace server {

std::unique_ptr<IpConnectionLimit::Slot> IpConnectionLimit::admit(const std::string& ip, std::size_t limit) {
    std::lock_guard lock(mutex_);
    std::size_t& n = open_[ip];
    if (limit != 0 && n >= limit) {
        if (n == 0) open_.erase(ip);
        return nullptr;
    }
    ++n;
    return std::make_unique<Slot>(*this, ip);
}

std::size_t IpConnectionLimit::count(const std::string& ip) const {
    std::lock_guard lock(mutex_);
    auto it = open_.find(ip);
    return it == open_.end() ? 0 : it->second;
}

void IpConnectionLimit::release(const std::string& ip) {
    std::lock_guard lock(mutex_);
    auto it = open_.find(ip);
    if (it != open_.end() && --it->second == 0) open_.erase(it);
}

}  // namespace server
