// SCRAM secrets (RFC 5802) and their RFC 5803 "authPassword" text form.
// The server stores only these, never a password. Pure functions; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace auth {

enum class ScramHash { sha1, sha256 };

struct ScramSecret {
    ScramHash hash = ScramHash::sha1;
    std::string salt;        // raw bytes
    std::uint32_t iterations = 4096;
    std::string stored_key;  // raw bytes, H(ClientKey)
    std::string server_key;  // raw bytes, HMAC(SaltedPassword, "Server Key")

    friend bool operator==(const ScramSecret&, const ScramSecret&) = default;
};

std::string_view mechanism_name(ScramHash);  // "SCRAM-SHA-1" / "SCRAM-SHA-256"

// SaltedPassword = Hi(Normalize(password), salt, i) with SASLprep as
// Normalize (a password SASLprep refuses is taken as is); the derived keys from
// it. Iterations must be 1..INT_MAX: otherwise the keys are left empty, and
// such a secret matches no password.
ScramSecret derive_scram_secret(ScramHash, std::string_view password, std::string_view salt,
                                std::uint32_t iterations);
// One secret per supported hash, each with a fresh random 16-byte salt; empty
// when no randomness or keys could be had.
std::vector<ScramSecret> make_scram_secrets(std::string_view password, std::uint32_t iterations);

// "SCRAM-SHA-1$4096:<b64 salt>$<b64 StoredKey>:<b64 ServerKey>" (RFC 5803 §3).
// parse_auth_password() takes exactly this form (no spaces, padded base64,
// keys of the hash's size, a non-empty salt, 1..INT_MAX iterations).
std::string to_auth_password(const ScramSecret&);
std::optional<ScramSecret> parse_auth_password(std::string_view);

// True when `password` yields this secret's StoredKey (constant-time compare).
bool verify_password(const ScramSecret&, std::string_view password);

std::string base64_encode(std::string_view raw);
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace auth
