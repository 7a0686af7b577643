#include "server/tls_context.hpp"

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
struct PkeyFree {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct X509Free {
    void operator()(X509* x) const { X509_free(x); }
};
struct ExtFree {
    void operator()(X509_EXTENSION* e) const { X509_EXTENSION_free(e); }
};

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
    std::unique_ptr<X509_EXTENSION, ExtFree> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
    return ext && X509_add_ext(cert, ext.get(), -1) == 1;
}

}  // namespace

std::optional<std::string> generate_self_signed(const std::vector<std::string>& hosts,
                                                const CertificatePaths& out) {
    std::unique_ptr<EVP_PKEY, PkeyFree> key(EVP_EC_gen("P-256"));
    if (!key) return "cannot generate a key: " + openssl_error();
    std::unique_ptr<X509, X509Free> cert(X509_new());
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

xmpp::Result<CertificatePaths, std::string> certificate_paths(const conf::Config& config) {
    if (!config.tls.certificate.empty()) return CertificatePaths{config.tls.certificate, config.tls.key};
    CertificatePaths generated{(fs::path(config.data_dir) / "self-signed.crt").string(),
                               (fs::path(config.data_dir) / "self-signed.key").string()};
    if (fs::exists(generated.certificate) && fs::exists(generated.key)) return generated;
    std::vector<std::string> hosts;
    for (const auto& h : config.hosts) hosts.push_back(h.domain);
    if (auto err = generate_self_signed(hosts, generated)) return xmpp::fail(*err);
    return generated;
}

xmpp::Result<std::shared_ptr<boost::asio::ssl::context>, std::string> make_tls_context(
    const conf::Config& config) {
    auto paths = certificate_paths(config);
    if (!paths) return xmpp::fail(paths.error());
    auto ctx = std::make_shared<boost::asio::ssl::context>(boost::asio::ssl::context::tls_server);
    SSL_CTX* raw = ctx->native_handle();
    SSL_CTX_set_min_proto_version(raw, TLS1_2_VERSION);
    SSL_CTX_set_options(raw, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_mode(raw, SSL_MODE_RELEASE_BUFFERS);
    if (!config.tls.ciphers.empty() && SSL_CTX_set_cipher_list(raw, config.tls.ciphers.c_str()) != 1)
        return xmpp::fail("tls.ciphers: " + openssl_error());
    if (!config.tls.ciphersuites.empty() && SSL_CTX_set_ciphersuites(raw, config.tls.ciphersuites.c_str()) != 1)
        return xmpp::fail("tls.ciphersuites: " + openssl_error());
    if (SSL_CTX_use_certificate_chain_file(raw, paths->certificate.c_str()) != 1)
        return xmpp::fail("cannot load certificate " + paths->certificate + ": " + openssl_error());
    if (SSL_CTX_use_PrivateKey_file(raw, paths->key.c_str(), SSL_FILETYPE_PEM) != 1)
        return xmpp::fail("cannot load key " + paths->key + ": " + openssl_error());
    if (SSL_CTX_check_private_key(raw) != 1)
        return xmpp::fail("certificate " + paths->certificate + " does not match key " + paths->key);
    return ctx;
}

}  // namespace server
