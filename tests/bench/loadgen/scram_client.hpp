// SCRAM-SHA-1 client side (RFC 5802) for the load generator, with a cache of
// salted passwords keyed by (salt, iteration count) so that the client's PBKDF2
// runs once per distinct salt and is not what the benchmark measures. The cache
// can be loaded from and saved to a file so that later runs start warm.
// Thread-safety: ScramCache is shared by all generator threads (mutex inside);
// ScramExchange is one login's state, owned by that login's coroutine.
#pragma once

#include <array>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace loadgen {

using Digest = std::array<unsigned char, 20>;

std::string base64_encode(std::string_view raw);
std::optional<std::string> base64_decode(std::string_view text);

struct ScramKeys {
    Digest client_key{};
    Digest stored_key{};
    Digest server_key{};
};

class ScramCache {
public:
    explicit ScramCache(std::string password) : password_(std::move(password)) {}
    // Keys for this salt and iteration count; PBKDF2 only on a miss.
    ScramKeys keys(const std::string& salt, unsigned iterations);
    void load(const std::string& path);
    void save(const std::string& path) const;
    unsigned long misses() const;

private:
    std::string password_;
    mutable std::mutex mutex_;
    std::map<std::string, ScramKeys> entries_;  // key: base64(salt) + ":" + iterations
    unsigned long misses_ = 0;
};

// One SCRAM-SHA-1 exchange: client-first, then the answer to the server-first
// message, then the check of the server's signature.
class ScramExchange {
public:
    ScramExchange(std::string user, ScramCache& cache);
    std::string client_first() const;  // raw, not base64
    // The client-final message for this server-first message, or nullopt when it is malformed.
    std::optional<std::string> client_final(std::string_view server_first);
    bool verify_server_final(std::string_view server_final) const;

private:
    std::string user_, nonce_, client_first_bare_, auth_message_;
    ScramCache& cache_;
    ScramKeys keys_{};
};

}  // namespace loadgen
