// IpConnectionLimit: counts the open client connections per remote IP
// address so that a listener can refuse one past limits.max_connections_per_ip
// (a refused c2s stream gets <policy-violation/>, a refused HTTP connection a
// 429). c2s and HTTP connections share the count; a WebSocket XMPP stream keeps
// its HTTP connection's place. admit() hands out a Slot that frees its place
// when destroyed, i.e. when the connection's transport goes.
// Owned by the Server, outlives every connection; thread-safe (one mutex,
// held for a map update only).
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace server {

class IpConnectionLimit {
public:
    class Slot {
    public:
        Slot(IpConnectionLimit& owner, std::string ip) : owner_(owner), ip_(std::move(ip)) {}
        ~Slot() { owner_.release(ip_); }
        Slot(const Slot&) = delete;
        Slot& operator=(const Slot&) = delete;

    private:
        IpConnectionLimit& owner_;
        std::string ip_;
    };

    // A slot for one more connection from `ip`, or null when `ip` already has
    // `limit` connections (limit 0 = no limit; the connection is still counted).
    std::unique_ptr<Slot> admit(const std::string& ip, std::size_t limit);
    std::size_t count(const std::string& ip) const;

private:
    void release(const std::string& ip);

    mutable std::mutex mutex_;
    std::unordered_map<std::string, std::size_t> open_;
};

}  // namespace server
