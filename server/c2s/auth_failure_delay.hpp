// AuthFailureDelay: failed SASL attempts per remote IP address, and the
// growing delay before the next <failure/> answer to that address:
// failure_delay_ms * 2^(n-1) for its n-th failure, capped at
// max_failure_delay_ms. An address's count is forgotten failure_window after
// its last failure. The session holds its answer (and reads nothing more from
// that stream) for the delay, so password guessing from one address slows
// down however many connections it opens. Owned by the Server; thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "conf/config.hpp"

namespace server {

class AuthFailureDelay {
public:
    using Clock = std::chrono::steady_clock;

    // Records one failure from `ip`; returns how long to hold its answer.
    std::chrono::milliseconds record_failure(const std::string& ip, const conf::AuthConfig& config,
                                             Clock::time_point now = Clock::now());
    // Failures counted for `ip` now.
    unsigned failures(const std::string& ip, const conf::AuthConfig& config,
                      Clock::time_point now = Clock::now()) const;

private:
    struct Entry {
        unsigned failures = 0;
        Clock::time_point last;
    };
    void forget_old(const conf::AuthConfig& config, Clock::time_point now);

    mutable std::mutex mutex_;
    std::unordered_map<std::string, Entry> by_ip_;
    Clock::time_point last_sweep_{};
};

// "192.0.2.1" from "192.0.2.1:5222", "::1" from "::1:5222" (what
// Transport::remote_address() gives); the text itself when it has no port.
std::string ip_of(std::string_view remote_address);

}  // namespace server
