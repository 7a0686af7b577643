// SCRAM secrets over OpenSSL 3: Hi() is PBKDF2-HMAC (RFC 5802 §2.2 defines Hi
// as PBKDF2 with one block of the hash's size), keys per RFC 5802 §3, the text
// form per RFC 5803 §3. Base64 is strict (RFC 4648 §4, padding required): a
// stored secret or a SCRAM attribute never legitimately carries anything else.
#include "auth/scram.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stringprep.h>

#include <array>
#include <charconv>
#include <climits>
#include <cstdlib>
#include <memory>

namespace auth {
namespace {

const EVP_MD* digest(ScramHash hash) {
    return hash == ScramHash::sha256 ? EVP_sha256() : EVP_sha1();
}

std::size_t digest_size(ScramHash hash) {
    return static_cast<std::size_t>(EVP_MD_get_size(digest(hash)));
}

std::string hmac(ScramHash hash, std::string_view key, std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
    unsigned int len = 0;
    HMAC(digest(hash), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &len);
    return {reinterpret_cast<const char*>(out.data()), len};
}

std::string hash_of(ScramHash hash, std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
    unsigned int len = 0;
    EVP_Digest(data.data(), data.size(), out.data(), &len, digest(hash), nullptr);
    return {reinterpret_cast<const char*>(out.data()), len};
}

// RFC 5802 §2.2 Normalize(): SASLprep (RFC 4013) as a query string, as clients
// do before Hi(). A password SASLprep rejects (prohibited characters, embedded
// NUL) is used as is: derive and verify then still agree with each other.
std::string normalize_password(std::string_view password) {
    if (password.find('\0') != std::string_view::npos) return std::string(password);
    std::string in(password);
    char* out = nullptr;
    if (stringprep_profile(in.c_str(), &out, "SASLprep", Stringprep_profile_flags(0)) !=
        STRINGPREP_OK) {
        return in;
    }
    std::unique_ptr<char, decltype(&std::free)> owned(out, &std::free);
    std::string prepared(owned.get());
    if (prepared.empty()) return in;
    return prepared;
}

// OpenSSL takes the count as an int.
bool usable_iterations(std::uint32_t iterations) {
    return iterations > 0 && iterations <= static_cast<std::uint32_t>(INT_MAX);
}

// nullopt when PBKDF2 fails: the caller must then not produce a key, since a
// key from an unfilled buffer would be the same for every password.
std::optional<std::string> salted_password(ScramHash hash, std::string_view password,
                                           std::string_view salt, std::uint32_t iterations) {
    if (!usable_iterations(iterations)) return std::nullopt;
    std::string prepared = normalize_password(password);
    std::string out(digest_size(hash), '\0');
    const int ok = PKCS5_PBKDF2_HMAC(prepared.data(), static_cast<int>(prepared.size()),
                                     reinterpret_cast<const unsigned char*>(salt.data()),
                                     static_cast<int>(salt.size()), static_cast<int>(iterations),
                                     digest(hash), static_cast<int>(out.size()),
                                     reinterpret_cast<unsigned char*>(out.data()));
    OPENSSL_cleanse(prepared.data(), prepared.size());
    if (ok != 1) return std::nullopt;
    return out;
}

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int base64_value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

std::optional<ScramHash> hash_from_name(std::string_view name) {
    if (name == mechanism_name(ScramHash::sha1)) return ScramHash::sha1;
    if (name == mechanism_name(ScramHash::sha256)) return ScramHash::sha256;
    return std::nullopt;
}

}  // namespace

std::string_view mechanism_name(ScramHash hash) {
    return hash == ScramHash::sha256 ? "SCRAM-SHA-256" : "SCRAM-SHA-1";
}

ScramSecret derive_scram_secret(ScramHash hash, std::string_view password, std::string_view salt,
                                std::uint32_t iterations) {
    ScramSecret secret;
    secret.hash = hash;
    secret.salt = std::string(salt);
    secret.iterations = iterations;
    auto salted = salted_password(hash, password, salt, iterations);
    if (!salted) return secret;  // no keys: matches nothing, and Cyrus rejects it
    std::string client_key = hmac(hash, *salted, "Client Key");
    secret.stored_key = hash_of(hash, client_key);
    secret.server_key = hmac(hash, *salted, "Server Key");
    OPENSSL_cleanse(client_key.data(), client_key.size());
    OPENSSL_cleanse(salted->data(), salted->size());
    return secret;
}

std::vector<ScramSecret> make_scram_secrets(std::string_view password, std::uint32_t iterations) {
    std::vector<ScramSecret> secrets;
    for (ScramHash hash : {ScramHash::sha1, ScramHash::sha256}) {
        std::string salt(16, '\0');
        if (RAND_bytes(reinterpret_cast<unsigned char*>(salt.data()),
                       static_cast<int>(salt.size())) != 1) {
            return {};  // no entropy: better no secret than a predictable salt
        }
        secrets.push_back(derive_scram_secret(hash, password, salt, iterations));
        if (secrets.back().stored_key.empty()) return {};
    }
    return secrets;
}

std::string to_auth_password(const ScramSecret& secret) {
    std::string out(mechanism_name(secret.hash));
    out += '$';
    out += std::to_string(secret.iterations);
    out += ':';
    out += base64_encode(secret.salt);
    out += '$';
    out += base64_encode(secret.stored_key);
    out += ':';
    out += base64_encode(secret.server_key);
    return out;
}

std::optional<ScramSecret> parse_auth_password(std::string_view text) {
    // scheme "$" iterations ":" salt "$" StoredKey ":" ServerKey, nothing else.
    const auto dollar1 = text.find('$');
    if (dollar1 == std::string_view::npos) return std::nullopt;
    const auto hash = hash_from_name(text.substr(0, dollar1));
    if (!hash) return std::nullopt;
    const std::string_view info_and_value = text.substr(dollar1 + 1);
    const auto dollar2 = info_and_value.find('$');
    if (dollar2 == std::string_view::npos) return std::nullopt;
    const std::string_view info = info_and_value.substr(0, dollar2);
    const std::string_view value = info_and_value.substr(dollar2 + 1);

    const auto colon1 = info.find(':');
    const auto colon2 = value.find(':');
    if (colon1 == std::string_view::npos || colon2 == std::string_view::npos) return std::nullopt;
    const std::string_view count = info.substr(0, colon1);
    if (count.empty() || count.size() > 10 || count.front() == '0') return std::nullopt;
    std::uint32_t iterations = 0;
    const auto [end, ec] = std::from_chars(count.data(), count.data() + count.size(), iterations);
    if (ec != std::errc{} || end != count.data() + count.size() || !usable_iterations(iterations)) {
        return std::nullopt;
    }
    auto salt = base64_decode(info.substr(colon1 + 1));
    auto stored = base64_decode(value.substr(0, colon2));
    auto server = base64_decode(value.substr(colon2 + 1));
    const std::size_t size = digest_size(*hash);
    if (!salt || salt->empty() || !stored || !server || stored->size() != size ||
        server->size() != size) {
        return std::nullopt;
    }
    ScramSecret secret;
    secret.hash = *hash;
    secret.iterations = iterations;
    secret.salt = std::move(*salt);
    secret.stored_key = std::move(*stored);
    secret.server_key = std::move(*server);
    return secret;
}

bool verify_password(const ScramSecret& secret, std::string_view password) {
    if (secret.stored_key.size() != digest_size(secret.hash)) return false;
    const ScramSecret candidate =
        derive_scram_secret(secret.hash, password, secret.salt, secret.iterations);
    if (candidate.stored_key.size() != secret.stored_key.size()) return false;
    return CRYPTO_memcmp(candidate.stored_key.data(), secret.stored_key.data(),
                         secret.stored_key.size()) == 0;
}

std::string base64_encode(std::string_view raw) {
    std::string out;
    out.reserve((raw.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= raw.size(); i += 3) {
        const auto n = (std::uint32_t(std::uint8_t(raw[i])) << 16) |
                       (std::uint32_t(std::uint8_t(raw[i + 1])) << 8) | std::uint8_t(raw[i + 2]);
        out += kAlphabet[(n >> 18) & 63];
        out += kAlphabet[(n >> 12) & 63];
        out += kAlphabet[(n >> 6) & 63];
        out += kAlphabet[n & 63];
    }
    if (const std::size_t rest = raw.size() - i; rest > 0) {
        std::uint32_t n = std::uint32_t(std::uint8_t(raw[i])) << 16;
        if (rest == 2) n |= std::uint32_t(std::uint8_t(raw[i + 1])) << 8;
        out += kAlphabet[(n >> 18) & 63];
        out += kAlphabet[(n >> 12) & 63];
        out += rest == 2 ? kAlphabet[(n >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0) return std::nullopt;
    std::string out;
    out.reserve(text.size() / 4 * 3);
    for (std::size_t i = 0; i < text.size(); i += 4) {
        const bool last = i + 4 == text.size();
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; ++k) {
            const char c = text[i + k];
            if (c == '=' && last && k >= 2) {
                v[k] = 0;
                ++pad;
                continue;
            }
            if (pad > 0) return std::nullopt;  // data after padding
            v[k] = base64_value(c);
            if (v[k] < 0) return std::nullopt;
        }
        const std::uint32_t n = (std::uint32_t(v[0]) << 18) | (std::uint32_t(v[1]) << 12) |
                                (std::uint32_t(v[2]) << 6) | std::uint32_t(v[3]);
        // Canonical form only: the bits a padded group drops must be zero.
        if ((pad == 1 && (n & 0xFF) != 0) || (pad == 2 && (n & 0xFFFF) != 0)) {
            return std::nullopt;
        }
        out += char((n >> 16) & 0xFF);
        if (pad < 2) out += char((n >> 8) & 0xFF);
        if (pad < 1) out += char(n & 0xFF);
    }
    return out;
}

}  // namespace auth
