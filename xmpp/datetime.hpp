// XEP-0082 DateTime ("2026-11-21T09:11:03Z", UTC): written for delay stamps
// (XEP-0203), entity time (XEP-0202) and log lines, read from stamps that
// other servers wrote (migration files). Pure functions, any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace xmpp {

// Whole seconds: "2026-11-21T09:11:03Z".
std::string xep82_datetime(std::int64_t unix_seconds);
// With milliseconds: "2026-11-21T09:11:03.095Z".
std::string xep82_datetime_ms(std::chrono::system_clock::time_point t);

// CCYY-MM-DDThh:mm:ss[.fraction](Z|±hh:mm) as Unix seconds (the fraction is
// dropped); nullopt when it is not that.
std::optional<std::int64_t> parse_xep82(std::string_view stamp);

// Seconds since the Unix epoch: how the store keeps time stamps.
inline std::int64_t unix_seconds_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace xmpp
