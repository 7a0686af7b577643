// Seconds since the Unix epoch: how the store keeps time stamps.
#pragma once

#include <chrono>
#include <cstdint>

namespace server {

inline std::int64_t unix_seconds_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace server
