#include "scram_client.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace loadgen {

namespace {

Digest hmac(const unsigned char* key, std::size_t key_len, std::string_view data) {
    Digest out{};
    unsigned len = 0;
    HMAC(EVP_sha1(), key, static_cast<int>(key_len), reinterpret_cast<const unsigned char*>(data.data()),
         data.size(), out.data(), &len);
    return out;
}

std::string hex(const Digest& d) {
    std::string s;
    char b[3];
    for (unsigned char c : d) {
        std::snprintf(b, sizeof b, "%02x", c);
        s += b;
    }
    return s;
}

bool unhex(std::string_view s, Digest& d) {
    if (s.size() != 40) return false;
    for (std::size_t i = 0; i < 20; ++i) {
        unsigned v = 0;
        if (std::sscanf(std::string(s.substr(2 * i, 2)).c_str(), "%02x", &v) != 1) return false;
        d[i] = static_cast<unsigned char>(v);
    }
    return true;
}

ScramKeys keys_from_salted(const Digest& salted) {
    ScramKeys k;
    k.client_key = hmac(salted.data(), salted.size(), "Client Key");
    SHA1(k.client_key.data(), k.client_key.size(), k.stored_key.data());
    k.server_key = hmac(salted.data(), salted.size(), "Server Key");
    return k;
}

// The value of attribute `name` ("r", "s", "i", "v") in a SCRAM message.
std::optional<std::string_view> attribute(std::string_view msg, char name) {
    std::size_t pos = 0;
    while (pos < msg.size()) {
        std::size_t end = msg.find(',', pos);
        if (end == std::string_view::npos) end = msg.size();
        if (end - pos >= 2 && msg[pos] == name && msg[pos + 1] == '=') return msg.substr(pos + 2, end - pos - 2);
        pos = end + 1;
    }
    return std::nullopt;
}

}  // namespace

std::string base64_encode(std::string_view raw) {
    std::string out(4 * ((raw.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(raw.data()), static_cast<int>(raw.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
    std::string clean;
    for (char c : text)
        if (c != '\n' && c != '\r' && c != ' ' && c != '\t') clean += c;
    if (clean.size() % 4 != 0) return std::nullopt;
    std::string out(3 * clean.size() / 4 + 1, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(clean.data()), static_cast<int>(clean.size()));
    if (n < 0) return std::nullopt;
    std::size_t len = static_cast<std::size_t>(n);
    if (!clean.empty() && clean.back() == '=') --len;
    if (clean.size() >= 2 && clean[clean.size() - 2] == '=') --len;
    out.resize(len);
    return out;
}

ScramKeys ScramCache::keys(const std::string& salt, unsigned iterations) {
    std::string key = base64_encode(salt) + ":" + std::to_string(iterations);
    {
        std::lock_guard lock(mutex_);
        if (auto it = entries_.find(key); it != entries_.end()) return it->second;
    }
    Digest salted{};
    PKCS5_PBKDF2_HMAC(password_.data(), static_cast<int>(password_.size()),
                      reinterpret_cast<const unsigned char*>(salt.data()), static_cast<int>(salt.size()),
                      static_cast<int>(iterations), EVP_sha1(), static_cast<int>(salted.size()), salted.data());
    ScramKeys k = keys_from_salted(salted);
    std::lock_guard lock(mutex_);
    ++misses_;
    entries_.emplace(key, k);
    return k;
}

unsigned long ScramCache::misses() const {
    std::lock_guard lock(mutex_);
    return misses_;
}

// File format, one entry a line: "<base64 salt>:<iterations> <client key hex> <server key hex>".
// The entries hold keys derived from the benchmark's own throw-away password only.
void ScramCache::load(const std::string& path) {
    std::ifstream in(path);
    std::string line;
    std::lock_guard lock(mutex_);
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string key, ck, sk;
        if (!(fields >> key >> ck >> sk)) continue;
        ScramKeys k;
        if (!unhex(ck, k.client_key) || !unhex(sk, k.server_key)) continue;
        SHA1(k.client_key.data(), k.client_key.size(), k.stored_key.data());
        entries_.emplace(key, k);
    }
}

void ScramCache::save(const std::string& path) const {
    std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        std::lock_guard lock(mutex_);
        for (const auto& [key, k] : entries_) out << key << ' ' << hex(k.client_key) << ' ' << hex(k.server_key) << '\n';
    }
    std::rename(tmp.c_str(), path.c_str());
}

ScramExchange::ScramExchange(std::string user, ScramCache& cache) : user_(std::move(user)), cache_(cache) {
    unsigned char raw[18];
    RAND_bytes(raw, sizeof raw);
    nonce_ = base64_encode(std::string_view(reinterpret_cast<char*>(raw), sizeof raw));
    client_first_bare_ = "n=" + user_ + ",r=" + nonce_;
}

std::string ScramExchange::client_first() const { return "n,," + client_first_bare_; }

std::optional<std::string> ScramExchange::client_final(std::string_view server_first) {
    auto r = attribute(server_first, 'r');
    auto s = attribute(server_first, 's');
    auto i = attribute(server_first, 'i');
    if (!r || !s || !i || r->substr(0, nonce_.size()) != nonce_) return std::nullopt;
    auto salt = base64_decode(*s);
    unsigned iterations = static_cast<unsigned>(std::strtoul(std::string(*i).c_str(), nullptr, 10));
    if (!salt || iterations == 0) return std::nullopt;
    keys_ = cache_.keys(*salt, iterations);
    std::string without_proof = "c=biws,r=" + std::string(*r);
    auth_message_ = client_first_bare_ + "," + std::string(server_first) + "," + without_proof;
    Digest signature = hmac(keys_.stored_key.data(), keys_.stored_key.size(), auth_message_);
    std::string proof(20, '\0');
    for (std::size_t k = 0; k < 20; ++k) proof[k] = static_cast<char>(keys_.client_key[k] ^ signature[k]);
    return without_proof + ",p=" + base64_encode(proof);
}

bool ScramExchange::verify_server_final(std::string_view server_final) const {
    auto v = attribute(server_final, 'v');
    if (!v) return false;
    Digest expected = hmac(keys_.server_key.data(), keys_.server_key.size(), auth_message_);
    return base64_encode(std::string_view(reinterpret_cast<const char*>(expected.data()), expected.size())) == *v;
}

}  // namespace loadgen
