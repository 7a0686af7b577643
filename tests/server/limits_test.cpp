// The pieces behind the hardening limits, without sockets: the inbound token
// bucket, the per-IP connection count, the per-IP SASL failure delay, and
// the certificate warnings of `xmqd check`.
#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "server/c2s/auth_failure_delay.hpp"
#include "server/net/certificate_check.hpp"
#include "server/net/ip_connection_limit.hpp"
#include "server/net/limited_transport.hpp"
#include "server/net/tls_context.hpp"
#include "server/net/openssl_ptr.hpp"
#include "tests/temp_dir.hpp"

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST_CASE("the token bucket lets a burst through, then paces reads at the rate") {
    const auto t0 = Clock::now();
    server::TokenBucket bucket(1000, 4000, t0);
    CHECK(bucket.wait(t0) == Clock::duration::zero());
    bucket.take(4000);  // the whole burst
    const auto w = bucket.wait(t0);
    CHECK(w > 0ms);
    CHECK(w <= 2ms);  // one byte at 1000 B/s
    bucket.take(2000);  // a read may overdraw: the debt is waited off
    const auto debt = bucket.wait(t0);
    CHECK(debt >= 1999ms);
    CHECK(debt <= 2002ms);
    CHECK(bucket.wait(t0 + 2100ms) == Clock::duration::zero());
    // Refill is capped at the burst.
    server::TokenBucket idle(1000, 4000, t0);
    idle.take(1);
    idle.take(8000);
    CHECK(idle.wait(t0 + 1h) == Clock::duration::zero());
    idle.take(4000);
    CHECK(idle.wait(t0 + 1h) > Clock::duration::zero());
}

TEST_CASE("rate 0 never waits") {
    server::TokenBucket bucket(0, 4096);
    bucket.take(1 << 30);
    CHECK(bucket.wait() == Clock::duration::zero());
}

TEST_CASE("the per-IP connection count refuses past the limit and frees on release") {
    server::IpConnectionLimit limit;
    auto a = limit.admit("192.0.2.1", 2);
    auto b = limit.admit("192.0.2.1", 2);
    REQUIRE(a);
    REQUIRE(b);
    CHECK_FALSE(limit.admit("192.0.2.1", 2));
    auto other = limit.admit("192.0.2.2", 2);  // another address is not affected
    CHECK(other);
    CHECK(limit.count("192.0.2.1") == 2);
    a.reset();
    CHECK(limit.count("192.0.2.1") == 1);
    CHECK(limit.admit("192.0.2.1", 2));  // a temporary slot, freed at once
    CHECK(limit.count("192.0.2.1") == 1);
    auto unlimited = limit.admit("192.0.2.3", 0);
    auto unlimited2 = limit.admit("192.0.2.3", 0);
    CHECK(unlimited2);
    CHECK(limit.count("192.0.2.3") == 2);
}

TEST_CASE("SASL failures from one IP get a doubling delay, capped, forgotten after the window") {
    conf::AuthConfig config;
    config.failure_delay_ms = 100;
    config.max_failure_delay_ms = 500;
    config.failure_window = std::chrono::seconds(60);
    server::AuthFailureDelay delays;
    const auto t0 = Clock::now();
    CHECK(delays.record_failure("192.0.2.1", config, t0) == 100ms);
    CHECK(delays.record_failure("192.0.2.1", config, t0 + 1s) == 200ms);
    CHECK(delays.record_failure("192.0.2.1", config, t0 + 2s) == 400ms);
    CHECK(delays.record_failure("192.0.2.1", config, t0 + 3s) == 500ms);
    for (int i = 0; i < 100; ++i) delays.record_failure("192.0.2.1", config, t0 + 4s);
    CHECK(delays.record_failure("192.0.2.1", config, t0 + 5s) == 500ms);
    // Another address starts from the base delay.
    CHECK(delays.record_failure("192.0.2.2", config, t0 + 5s) == 100ms);
    CHECK(delays.failures("192.0.2.1", config, t0 + 5s) > 100);
    // Quiet for longer than the window: forgotten.
    CHECK(delays.failures("192.0.2.1", config, t0 + 70s) == 0);
    CHECK(delays.record_failure("192.0.2.1", config, t0 + 70s) == 100ms);
    config.failure_delay_ms = 0;
    CHECK(delays.record_failure("192.0.2.1", config, t0 + 71s) == 0ms);
}

TEST_CASE("ip_of strips the port of a transport's remote address") {
    CHECK(server::ip_of("192.0.2.1:5222") == "192.0.2.1");
    CHECK(server::ip_of("::1:40000") == "::1");
    CHECK(server::ip_of("2001:db8::7:1234") == "2001:db8::7");
    CHECK(server::ip_of("memory") == "memory");
}

namespace {

// A self-signed certificate for `dns` valid from `from` to `until` seconds from now.
std::string write_certificate(const std::filesystem::path& path, const std::string& dns, long from, long until) {
    server::PkeyPtr key(EVP_EC_gen("P-256"));
    server::X509Ptr cert(X509_new());
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), from);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), until);
    X509_set_pubkey(cert.get(), key.get());
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(dns.c_str()), -1,
                               -1, 0);
    X509_set_issuer_name(cert.get(), name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, ("DNS:" + dns).c_str());
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
    X509_sign(cert.get(), key.get(), EVP_sha256());
    FILE* f = std::fopen(path.c_str(), "w");
    PEM_write_X509(f, cert.get());
    std::fclose(f);
    return path.string();
}

}  // namespace

TEST_CASE("a valid certificate for the served host gives no warning") {
    test::TempDir dir;
    const auto cert = write_certificate(dir.path / "ok.pem", "example.org", -3600, 86400);
    CHECK(server::certificate_warnings(cert, {"example.org"}).empty());
}

TEST_CASE("an expired certificate is warned about") {
    test::TempDir dir;
    const auto cert = write_certificate(dir.path / "old.pem", "example.org", -86400 * 30, -86400);
    const auto w = server::certificate_warnings(cert, {"example.org"});
    REQUIRE(w.size() == 1);
    CHECK(w[0].find("expired") != std::string::npos);
}

TEST_CASE("a certificate not yet valid is warned about") {
    test::TempDir dir;
    const auto cert = write_certificate(dir.path / "future.pem", "example.org", 86400, 86400 * 30);
    const auto w = server::certificate_warnings(cert, {"example.org"});
    REQUIRE(w.size() == 1);
    CHECK(w[0].find("not valid before") != std::string::npos);
}

TEST_CASE("hosts the certificate does not name are warned about, one line each") {
    test::TempDir dir;
    const auto cert = write_certificate(dir.path / "one.pem", "example.org", -3600, 86400);
    const auto w = server::certificate_warnings(cert, {"example.org", "example.net", "chat.example.org"});
    REQUIRE(w.size() == 2);
    CHECK(w[0].find("\"example.net\"") != std::string::npos);
    CHECK(w[1].find("\"chat.example.org\"") != std::string::npos);
}

TEST_CASE("the generated self-signed certificate covers every host and its subdomains") {
    test::TempDir dir;
    server::CertificatePaths paths{(dir.path / "c.pem").string(), (dir.path / "k.pem").string()};
    REQUIRE_FALSE(server::generate_self_signed({"example.org", "example.net"}, paths).has_value());
    CHECK(server::certificate_warnings(paths.certificate, {"example.org", "example.net", "queue1.example.org"})
              .empty());
}

TEST_CASE("an unreadable certificate gives one line") {
    CHECK(server::certificate_warnings("/nonexistent/cert.pem", {"example.org"}).size() == 1);
}
