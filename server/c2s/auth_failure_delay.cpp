#include "server/c2s/auth_failure_delay.hpp"

#include <algorithm>
#include <cctype>

namespace server {

std::chrono::milliseconds AuthFailureDelay::record_failure(const std::string& ip, const conf::AuthConfig& config,
                                                           Clock::time_point now) {
    std::lock_guard lock(mutex_);
    forget_old(config, now);
    Entry& e = by_ip_[ip];
    if (e.failures != 0 && now - e.last > config.failure_window) e.failures = 0;
    e.failures = std::min(e.failures + 1, 1000u);
    e.last = now;
    if (config.failure_delay_ms == 0) return std::chrono::milliseconds(0);
    // base * 2^(n-1), computed without overflow.
    std::uint64_t delay = config.failure_delay_ms;
    for (unsigned i = 1; i < e.failures && delay < config.max_failure_delay_ms; ++i) delay *= 2;
    return std::chrono::milliseconds(std::min<std::uint64_t>(delay, config.max_failure_delay_ms));
}

unsigned AuthFailureDelay::failures(const std::string& ip, const conf::AuthConfig& config,
                                    Clock::time_point now) const {
    std::lock_guard lock(mutex_);
    auto it = by_ip_.find(ip);
    if (it == by_ip_.end() || now - it->second.last > config.failure_window) return 0;
    return it->second.failures;
}

void AuthFailureDelay::forget_old(const conf::AuthConfig& config, Clock::time_point now) {
    // Bounded memory: drop stale addresses at most once per window.
    if (now - last_sweep_ < config.failure_window) return;
    last_sweep_ = now;
    std::erase_if(by_ip_, [&](const auto& kv) { return now - kv.second.last > config.failure_window; });
}

std::string ip_of(std::string_view remote_address) {
    const auto colon = remote_address.rfind(':');
    if (colon == std::string_view::npos || colon + 1 == remote_address.size()) return std::string(remote_address);
    const std::string_view port = remote_address.substr(colon + 1);
    if (!std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c) != 0; }))
        return std::string(remote_address);
    // Transports always append ":port" (an IPv6 address is not bracketed).
    return std::string(remote_address.substr(0, colon));
}

}  // namespace server
