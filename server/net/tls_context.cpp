#include "server/net/tls_context.hpp"
#include "server/net/openssl_ptr.hpp"

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/rand.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <memory>

namespace server {

namespace {

namespace fs = std::filesystem;

struct FileCloser {
    void operator()(FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<FILE, FileCloser>;

std::string openssl_error() {
    char buf[256];
    unsigned long code = ERR_get_error();
    if (code == 0) return "unknown OpenSSL error";
    ERR_error_string_n(code, buf, sizeof buf);
    ERR_clear_error();
    return buf;
}

bool add_extension(X509* cert, int nid, const std::string& value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    X509ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
    return ext && X509_add_ext(cert, ext.get(), -1) == 1;
}

}  // namespace

std::optional<std::string> generate_self_signed(const std::vector<std::string>& hosts,
                                                const CertificatePaths& out) {
    PkeyPtr key(EVP_EC_gen("P-256"));
    if (!key) return "cannot generate a key: " + openssl_error();
    X509Ptr cert(X509_new());
    X509_set_version(cert.get(), 2);
    unsigned char serial[16];
    RAND_bytes(serial, sizeof serial);
    serial[0] &= 0x7f;
    BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
    BN_free(bn);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 60L * 60 * 24 * 3650);
    X509_set_pubkey(cert.get(), key.get());
    X509_NAME* name = X509_get_subject_name(cert.get());
    const std::string cn = hosts.empty() ? "localhost" : hosts.front();
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
    X509_set_issuer_name(cert.get(), name);
    std::string san;
    for (const auto& h : hosts) {
        if (!san.empty()) san += ',';
        san += "DNS:" + h;
        san += ",DNS:*." + h;  // the queue routes and other subdomains
    }
    if (san.empty()) san = "DNS:localhost";
    if (!add_extension(cert.get(), NID_subject_alt_name, san) ||
        !add_extension(cert.get(), NID_basic_constraints, "critical,CA:FALSE"))
        return "cannot build the certificate: " + openssl_error();
    if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) return "cannot sign: " + openssl_error();

    std::error_code ec;
    fs::create_directories(fs::path(out.key).parent_path(), ec);
    {
        // The key is written with 0600 from the start, never readable by others.
        int fd = ::open(out.key.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0) return "cannot write " + out.key;
        File f(fdopen(fd, "w"));
        if (!f || PEM_write_PrivateKey(f.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
            return "cannot write " + out.key;
    }
    File f(std::fopen(out.certificate.c_str(), "w"));
    if (!f || PEM_write_X509(f.get(), cert.get()) != 1) return "cannot write " + out.certificate;
    return std::nullopt;
}

CertificatePaths imported_certificate_paths(const std::string& data_dir, std::string_view host) {
    const fs::path dir = fs::path(data_dir) / "certs";
    return {(dir / (std::string(host) + ".crt")).string(), (dir / (std::string(host) + ".key")).string()};
}

std::optional<CertificatePaths> host_certificate_paths(const conf::Config& config, const conf::HostConfig& host) {
    if (!host.certificate.empty()) return CertificatePaths{host.certificate, host.key};
    auto imported = imported_certificate_paths(config.data_dir, host.domain);
    std::error_code ec;
    if (fs::exists(imported.certificate, ec) && fs::exists(imported.key, ec)) return imported;
    return std::nullopt;
}

xmpp::Result<CertificatePaths, std::string> certificate_paths(const conf::Config& config) {
    if (!config.tls.certificate.empty()) return CertificatePaths{config.tls.certificate, config.tls.key};
    // Every host has its own: no self-signed certificate is needed; clients
    // without SNI get the first host's.
    std::optional<CertificatePaths> first;
    bool every_host = !config.hosts.empty();
    for (const auto& h : config.hosts) {
        auto own = host_certificate_paths(config, h);
        if (!own) every_host = false;
        else if (!first) first = std::move(own);
    }
    if (every_host) return *first;
    CertificatePaths generated{(fs::path(config.data_dir) / "self-signed.crt").string(),
                               (fs::path(config.data_dir) / "self-signed.key").string()};
    if (fs::exists(generated.certificate) && fs::exists(generated.key)) return generated;
    std::vector<std::string> hosts;
    for (const auto& h : config.hosts) hosts.push_back(h.domain);
    if (auto err = generate_self_signed(hosts, generated)) return xmpp::fail(*err);
    return generated;
}

namespace {

using SslContext = boost::asio::ssl::context;

// The default context and the hosts' own, owned together: the shared_ptr that
// make_tls_context() returns aliases `fallback` and keeps all of them alive.
struct ContextSet {
    SslContext fallback{SslContext::tls_server};
    std::vector<std::pair<std::string, std::unique_ptr<SslContext>>> hosts;  // (domain, context)
};

std::optional<std::string> configure(SslContext& ctx, const conf::Config& config, const CertificatePaths& paths) {
    SSL_CTX* raw = ctx.native_handle();
    SSL_CTX_set_min_proto_version(raw, TLS1_2_VERSION);
    SSL_CTX_set_options(raw, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_mode(raw, SSL_MODE_RELEASE_BUFFERS);
    // Read what the socket has in one read(2) instead of a record header and
    // then its body: half the read calls. TcpTransport::read_some calls
    // SSL_read before it waits on the socket, so bytes OpenSSL holds ahead are
    // never left waiting for more input.
    SSL_CTX_set_read_ahead(raw, 1);
    // One TLS 1.3 session ticket per connection, not OpenSSL's two (meant for
    // browsers that open connections in parallel): an XMPP client holds one
    // connection per device and gets a fresh ticket on each resumption. Each
    // ticket costs a server-side encryption and MAC; the second one was 12-15%
    // of a login's server CPU (tests/bench login scenario, two runs).
    SSL_CTX_set_num_tickets(raw, 1);
    if (!config.tls.ciphers.empty() && SSL_CTX_set_cipher_list(raw, config.tls.ciphers.c_str()) != 1)
        return "tls.ciphers: " + openssl_error();
    if (!config.tls.ciphersuites.empty() && SSL_CTX_set_ciphersuites(raw, config.tls.ciphersuites.c_str()) != 1)
        return "tls.ciphersuites: " + openssl_error();
    if (SSL_CTX_use_certificate_chain_file(raw, paths.certificate.c_str()) != 1)
        return "cannot load certificate " + paths.certificate + ": " + openssl_error();
    if (SSL_CTX_use_PrivateKey_file(raw, paths.key.c_str(), SSL_FILETYPE_PEM) != 1) {
        // OpenSSL compares the key with the certificate as it loads it.
        if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
            ERR_clear_error();
            return "certificate " + paths.certificate + " does not match key " + paths.key;
        }
        return "cannot load key " + paths.key + ": " + openssl_error();
    }
    if (SSL_CTX_check_private_key(raw) != 1) {
        ERR_clear_error();
        return "certificate " + paths.certificate + " does not match key " + paths.key;
    }
    return std::nullopt;
}

// SNI (RFC 6066 §3): switch the connection to the named host's context. An
// unknown name or none keeps the default certificate; the handshake goes on
// either way (an XMPP client may still accept it, e.g. one pinned to it).
int select_host_context(SSL* ssl, int*, void* arg) {
    const char* sent = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    if (!sent) return SSL_TLSEXT_ERR_NOACK;
    std::string name(sent);
    if (!name.empty() && name.back() == '.') name.pop_back();  // absolute form
    for (char& c : name)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    const auto* set = static_cast<const ContextSet*>(arg);
    for (const auto& [domain, ctx] : set->hosts) {
        if (domain == name) {
            SSL_set_SSL_CTX(ssl, ctx->native_handle());
            return SSL_TLSEXT_ERR_OK;
        }
    }
    return SSL_TLSEXT_ERR_NOACK;
}

}  // namespace

xmpp::Result<std::shared_ptr<boost::asio::ssl::context>, std::string> make_tls_context(
    const conf::Config& config) {
    auto paths = certificate_paths(config);
    if (!paths) return xmpp::fail(paths.error());
    auto set = std::make_shared<ContextSet>();
    if (auto err = configure(set->fallback, config, *paths)) return xmpp::fail(*err);
    for (const auto& host : config.hosts) {
        auto own = host_certificate_paths(config, host);
        if (!own) continue;
        auto ctx = std::make_unique<SslContext>(SslContext::tls_server);
        if (auto err = configure(*ctx, config, *own)) return xmpp::fail("host " + host.domain + ": " + *err);
        set->hosts.emplace_back(host.domain, std::move(ctx));
    }
    SSL_CTX_set_tlsext_servername_callback(set->fallback.native_handle(), select_host_context);
    SSL_CTX_set_tlsext_servername_arg(set->fallback.native_handle(), set.get());
    return std::shared_ptr<SslContext>(set, &set->fallback);
}

}  // namespace server
