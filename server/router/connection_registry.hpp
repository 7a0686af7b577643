// ConnectionRegistry: every live client connection, bound or not, so that a
// shutdown can tell each stream <system-shutdown/> and wait for them to go.
// Touched only on connect and disconnect; one mutex. Thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "xmpp/errors.hpp"

namespace server {

// What a shutdown needs of a live connection, whatever runs on it.
class LiveConnection {
public:
    virtual ~LiveConnection() = default;
    // Ends the stream with this stream error. Safe to call from any thread.
    virtual void close_with(xmpp::StreamError condition, std::string text) = 0;
};

class ConnectionRegistry {
public:
    void add(const std::shared_ptr<LiveConnection>& connection);
    void remove(const LiveConnection* connection);
    std::size_t size() const;
    void for_each(const std::function<void(const std::shared_ptr<LiveConnection>&)>& fn) const;

private:
    mutable std::mutex mutex_;
    std::unordered_map<const LiveConnection*, std::weak_ptr<LiveConnection>> connections_;
};

}  // namespace server
