#include "server/c2s/registration_limit.hpp"

namespace server {

std::optional<RegistrationLimit::Clock::time_point> RegistrationLimit::acquire(const std::string& ip,
                                                                               std::chrono::seconds interval,
                                                                               Clock::time_point now) {
    if (interval.count() == 0) return now;
    std::lock_guard lock(mutex_);
    // Bounded memory: addresses whose interval has passed are dropped, at
    // most once per interval.
    if (now - last_sweep_ >= interval) {
        last_sweep_ = now;
        std::erase_if(by_ip_, [&](const auto& kv) { return now - kv.second.last >= interval; });
    }
    auto it = by_ip_.find(ip);
    if (it == by_ip_.end()) {
        by_ip_.emplace(ip, Entry{now, std::nullopt});
        return now;
    }
    if (now - it->second.last < interval) return std::nullopt;
    it->second = Entry{now, it->second.last};
    return now;
}

void RegistrationLimit::release(const std::string& ip, Clock::time_point taken) {
    std::lock_guard lock(mutex_);
    auto it = by_ip_.find(ip);
    if (it == by_ip_.end() || it->second.last != taken) return;
    if (it->second.before) {
        it->second = Entry{*it->second.before, std::nullopt};
    } else {
        by_ip_.erase(it);
    }
}

std::size_t RegistrationLimit::size() const {
    std::lock_guard lock(mutex_);
    return by_ip_.size();
}

}  // namespace server
