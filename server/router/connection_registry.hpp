// ConnectionRegistry: every live client connection, bound or not, so that a
// shutdown can tell each stream <system-shutdown/> and wait for them to go.
// Touched only on connect and disconnect; one mutex. Thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "server/router/client_session.hpp"

namespace server {

class ConnectionRegistry {
public:
    void add(const std::shared_ptr<ClientSession>& session);
    void remove(const ClientSession* session);
    std::size_t size() const;
    void for_each(const std::function<void(const std::shared_ptr<ClientSession>&)>& fn) const;

private:
    mutable std::mutex mutex_;
    std::unordered_map<const ClientSession*, std::weak_ptr<ClientSession>> sessions_;
};

}  // namespace server
