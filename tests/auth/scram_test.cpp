// SCRAM secrets against the RFC test vectors, the RFC 5803 text form, and base64.
#include "auth/scram.hpp"

#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <string>

namespace {

using auth::ScramHash;

std::string decoded(std::string_view text) {  // from base64
    auto raw = auth::base64_decode(text);
    REQUIRE(raw.has_value());
    return *raw;
}

const EVP_MD* md(ScramHash h) { return h == ScramHash::sha256 ? EVP_sha256() : EVP_sha1(); }

std::string hmac(ScramHash h, std::string_view key, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    HMAC(md(h), key.data(), int(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
         data.size(), out, &len);
    return {reinterpret_cast<char*>(out), len};
}

std::string digest(ScramHash h, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    EVP_Digest(data.data(), data.size(), out, &len, md(h), nullptr);
    return {reinterpret_cast<char*>(out), len};
}

std::string xor_of(std::string a, std::string_view b) {
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) a[i] = char(a[i] ^ b[i]);
    return a;
}

// Checks a secret against an RFC exchange: the client's proof must unlock the
// StoredKey, and the ServerKey must produce the server's signature.
void check_rfc_exchange(const auth::ScramSecret& secret, std::string_view client_first_bare,
                        std::string_view server_first, std::string_view client_final_no_proof,
                        std::string_view proof_b64, std::string_view verifier_b64) {
    const std::string auth_message = std::string(client_first_bare) + "," +
                                     std::string(server_first) + "," +
                                     std::string(client_final_no_proof);
    const std::string client_signature = hmac(secret.hash, secret.stored_key, auth_message);
    const std::string client_key = xor_of(decoded(proof_b64), client_signature);
    CHECK(digest(secret.hash, client_key) == secret.stored_key);
    CHECK(hmac(secret.hash, secret.server_key, auth_message) == decoded(verifier_b64));
}

}  // namespace

TEST_CASE("SCRAM-SHA-1 secret matches the RFC 5802 section 5 exchange") {
    const auto secret =
        auth::derive_scram_secret(ScramHash::sha1, "pencil", decoded("QSXCR+Q6sek8bf92"), 4096);
    check_rfc_exchange(secret, "n=user,r=fyko+d2lbbFgONRv9qkxdawL",
                       "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
                       "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j",
                       "v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=", "rmF9pqV8S7suAoZWja4dJRkFsKQ=");
    // RFC 5803 section 4 stores exactly this secret.
    CHECK(auth::to_auth_password(secret) ==
          "SCRAM-SHA-1$4096:QSXCR+Q6sek8bf92$6dlGYMOdZcOPutkcNY8U2g7vK9Y=:D+CSWLOshSulAsxiupA+qs2/"
          "fTE=");
}

TEST_CASE("SCRAM-SHA-256 secret matches the RFC 7677 section 3 exchange") {
    const auto secret = auth::derive_scram_secret(ScramHash::sha256, "pencil",
                                                  decoded("W22ZaJ0SNY7soEsUEjb6gQ=="), 4096);
    check_rfc_exchange(
        secret, "n=user,r=rOprNGfwEbeRWgbNEkqO",
        "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
        "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
        "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
        "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
    CHECK(secret.stored_key.size() == 32);
    CHECK(secret.server_key.size() == 32);
}

TEST_CASE("mechanism names") {
    CHECK(auth::mechanism_name(ScramHash::sha1) == "SCRAM-SHA-1");
    CHECK(auth::mechanism_name(ScramHash::sha256) == "SCRAM-SHA-256");
}

TEST_CASE("authPassword text round-trips") {
    for (ScramHash h : {ScramHash::sha1, ScramHash::sha256}) {
        const auto secret = auth::derive_scram_secret(h, "s3cret", "0123456789abcdef", 10000);
        const std::string text = auth::to_auth_password(secret);
        CHECK(text.starts_with(std::string(auth::mechanism_name(h)) + "$10000:"));
        const auto back = auth::parse_auth_password(text);
        REQUIRE(back.has_value());
        CHECK(*back == secret);
    }
    const auto rfc = auth::parse_auth_password(
        "SCRAM-SHA-1$4096:QSXCR+Q6sek8bf92$6dlGYMOdZcOPutkcNY8U2g7vK9Y=:D+CSWLOshSulAsxiupA+qs2/"
        "fTE=");
    REQUIRE(rfc.has_value());
    CHECK(rfc->iterations == 4096);
    CHECK(auth::verify_password(*rfc, "pencil"));
}

TEST_CASE("malformed authPassword text is rejected") {
    const std::string key20 = "6dlGYMOdZcOPutkcNY8U2g7vK9Y=";
    const std::string key32 = "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";
    const char* bad[] = {
        "",
        "SCRAM-SHA-1",
        "SCRAM-SHA-1$",
        "SCRAM-SHA-1$4096:QSXCR+Q6sek8bf92",
        "SCRAM-SHA-1$4096:QSXCR+Q6sek8bf92$6dlGYMOdZcOPutkcNY8U2g7vK9Y=",
        "SCRAM-MD5$4096:QSXCR+Q6sek8bf92$6dlGYMOdZcOPutkcNY8U2g7vK9Y=:6dlGYMOdZcOPutkcNY8U2g7vK9Y=",
        "scram-sha-1$4096:QSXCR+Q6sek8bf92$6dlGYMOdZcOPutkcNY8U2g7vK9Y=:"
        "6dlGYMOdZcOPutkcNY8U2g7vK9Y=",
        " SCRAM-SHA-1$4096:QSXCR+Q6sek8bf92$6dlGYMOdZcOPutkcNY8U2g7vK9Y=:"
        "6dlGYMOdZcOPutkcNY8U2g7vK9Y=",
    };
    for (const char* text : bad) CHECK_FALSE(auth::parse_auth_password(text).has_value());

    auto with = [&](std::string scheme, std::string iter, std::string salt, std::string stored,
                    std::string server) {
        return auth::parse_auth_password(scheme + "$" + iter + ":" + salt + "$" + stored + ":" +
                                         server);
    };
    CHECK(with("SCRAM-SHA-1", "4096", "QSXCR+Q6sek8bf92", key20, key20).has_value());
    CHECK_FALSE(with("SCRAM-SHA-1", "0", "QSXCR+Q6sek8bf92", key20, key20));
    CHECK_FALSE(with("SCRAM-SHA-1", "04096", "QSXCR+Q6sek8bf92", key20, key20));
    CHECK_FALSE(with("SCRAM-SHA-1", "-1", "QSXCR+Q6sek8bf92", key20, key20));
    CHECK_FALSE(with("SCRAM-SHA-1", "4096x", "QSXCR+Q6sek8bf92", key20, key20));
    CHECK_FALSE(with("SCRAM-SHA-1", "99999999999", "QSXCR+Q6sek8bf92", key20, key20));
    CHECK_FALSE(with("SCRAM-SHA-1", "2147483648", "QSXCR+Q6sek8bf92", key20, key20));
    CHECK(with("SCRAM-SHA-1", "2147483647", "QSXCR+Q6sek8bf92", key20, key20).has_value());
    CHECK_FALSE(with("SCRAM-SHA-1", "", "QSXCR+Q6sek8bf92", key20, key20));
    CHECK_FALSE(with("SCRAM-SHA-1", "4096", "", key20, key20));                  // empty salt
    CHECK_FALSE(with("SCRAM-SHA-1", "4096", "QSXCR+Q6sek8bf9", key20, key20));   // bad base64
    CHECK_FALSE(with("SCRAM-SHA-1", "4096", "QSXCR+Q6sek8bf92", key32, key20));  // wrong size
    CHECK_FALSE(with("SCRAM-SHA-256", "4096", "QSXCR+Q6sek8bf92", key20, key20));
    CHECK_FALSE(with("SCRAM-SHA-1", "4096", "QSXCR+Q6sek8bf92", key20, key20 + "$"));
    CHECK_FALSE(with("SCRAM-SHA-1", "4096", "QSXCR+Q6sek8bf92", key20, key20 + ":" + key20));
    CHECK_FALSE(with("SCRAM-SHA-1", "4096:1", "QSXCR+Q6sek8bf92", key20, key20));
}

TEST_CASE("verify_password") {
    const auto secret =
        auth::derive_scram_secret(ScramHash::sha256, "correct horse", "salt-salt", 4096);
    CHECK(auth::verify_password(secret, "correct horse"));
    CHECK_FALSE(auth::verify_password(secret, "correct horsE"));
    CHECK_FALSE(auth::verify_password(secret, ""));
    CHECK_FALSE(auth::verify_password(secret, "correct horse "));
    auth::ScramSecret broken = secret;
    broken.stored_key.pop_back();
    CHECK_FALSE(auth::verify_password(broken, "correct horse"));
}

TEST_CASE("an unusable iteration count yields a secret that matches nothing") {
    // PBKDF2 refuses these counts; keys from an unfilled buffer would be the
    // same for every password.
    for (std::uint32_t bad : {0u, 0x80000000u, 0xFFFFFFFFu}) {
        const auto secret = auth::derive_scram_secret(ScramHash::sha1, "pw", "salt", bad);
        CHECK(secret.stored_key.empty());
        auto forged = secret;
        forged.stored_key =
            auth::derive_scram_secret(ScramHash::sha1, "other", "salt", bad).stored_key;
        CHECK_FALSE(auth::verify_password(secret, "pw"));
        CHECK_FALSE(auth::verify_password(forged, "pw"));
    }
    CHECK(auth::make_scram_secrets("pw", 0).empty());
}

TEST_CASE("passwords are SASLprepped (RFC 4013) before hashing") {
    // U+00A0 NO-BREAK SPACE maps to SPACE; U+00AD SOFT HYPHEN maps to nothing.
    const auto secret = auth::derive_scram_secret(ScramHash::sha1, "a b", "salt", 4096);
    CHECK(auth::verify_password(secret,
                                "a\xC2\xA0"
                                "b"));
    CHECK(auth::verify_password(secret,
                                "a \xC2\xAD"
                                "b"));
    CHECK_FALSE(auth::verify_password(secret, "ab"));
}

TEST_CASE("make_scram_secrets gives one secret per hash with fresh salts") {
    const auto secrets = auth::make_scram_secrets("hunter2", 4096);
    REQUIRE(secrets.size() == 2);
    CHECK(secrets[0].hash != secrets[1].hash);
    for (const auto& s : secrets) {
        CHECK(s.salt.size() == 16);
        CHECK(s.iterations == 4096);
        CHECK(auth::verify_password(s, "hunter2"));
        CHECK_FALSE(auth::verify_password(s, "hunter3"));
    }
    const auto again = auth::make_scram_secrets("hunter2", 4096);
    CHECK(again[0].salt != secrets[0].salt);
    CHECK(again[0].stored_key != secrets[0].stored_key);
}

TEST_CASE("base64 follows RFC 4648") {
    const std::pair<const char*, const char*> vectors[] = {
        {"", ""},
        {"f", "Zg=="},
        {"fo", "Zm8="},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="},
        {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"},
    };
    for (auto [raw, text] : vectors) {
        CHECK(auth::base64_encode(raw) == text);
        CHECK(auth::base64_decode(text) == std::optional<std::string>(raw));
    }
    std::string all;
    for (int i = 0; i < 256; ++i) all += char(i);
    CHECK(auth::base64_encode(all).find_first_not_of(
              "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") ==
          std::string::npos);
    CHECK(auth::base64_decode(auth::base64_encode(all)) == all);

    for (const char* bad : {"Zg=", "Zg", "Zg==Zg==", "Z===", "====", "Zh==", "Zm9=", "Zm9v!A==",
                            "Zm9 v", "Zm9v\n", "Zm-_", "=Zm9"}) {
        CHECK_MESSAGE(!auth::base64_decode(bad).has_value(), bad);
    }
}
