// RegistrationLimit: at most one in-band registration (XEP-0077) per remote
// IP address per interval (auth.registration_interval), as ejabberd's
// registration_timeout and Prosody's min_seconds_between_registrations do,
// so one address cannot mint accounts in bulk.
//
// A registration takes a slot before the account is created (so concurrent
// attempts from one address cannot all pass) and gives it back when the
// creation fails (a taken name, a storage error): only accounts actually
// created count. Owned by the Server; thread-safe.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace server {

class RegistrationLimit {
public:
    using Clock = std::chrono::steady_clock;

    // A slot for `ip` if its last registration is at least `interval` ago
    // (or interval is 0); returns the moment it took, to give back with
    // release(). Nothing when `ip` must wait.
    std::optional<Clock::time_point> acquire(const std::string& ip, std::chrono::seconds interval,
                                             Clock::time_point now = Clock::now());
    // Undoes acquire() after a failed creation; `taken` is what it returned.
    // A later acquire() from the same address is left alone.
    void release(const std::string& ip, Clock::time_point taken);

    // Addresses remembered now (for tests).
    std::size_t size() const;

private:
    struct Entry {
        Clock::time_point last;                 // latest registration (or slot taken)
        std::optional<Clock::time_point> before;  // the one before it, restored by release()
    };

    mutable std::mutex mutex_;
    std::unordered_map<std::string, Entry> by_ip_;
    Clock::time_point last_sweep_{};
};

}  // namespace server
