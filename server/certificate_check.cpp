#include "server/certificate_check.hpp"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <memory>

namespace server {

namespace {

struct X509Free {
    void operator()(X509* x) const { X509_free(x); }
};
struct BioFree {
    void operator()(BIO* b) const { BIO_free(b); }
};

std::string asn1_time_text(const ASN1_TIME* t) {
    std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
    if (!bio || ASN1_TIME_print(bio.get(), t) != 1) return "?";
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(n));
}

}  // namespace

std::vector<std::string> certificate_warnings(const std::string& certificate_path,
                                              const std::vector<std::string>& hosts, std::time_t now) {
    std::vector<std::string> out;
    std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(certificate_path.c_str(), "r"), &std::fclose);
    if (!file) return {"cannot read certificate " + certificate_path};
    // The first certificate of the chain file is the server's own.
    std::unique_ptr<X509, X509Free> cert(PEM_read_X509(file.get(), nullptr, nullptr, nullptr));
    if (!cert) return {"no PEM certificate in " + certificate_path};

    std::time_t at = now;
    const ASN1_TIME* not_after = X509_get0_notAfter(cert.get());
    const ASN1_TIME* not_before = X509_get0_notBefore(cert.get());
    if (X509_cmp_time(not_after, &at) < 0)
        out.push_back("certificate " + certificate_path + " expired on " + asn1_time_text(not_after) +
                      "; clients will refuse it");
    if (X509_cmp_time(not_before, &at) > 0)
        out.push_back("certificate " + certificate_path + " is not valid before " + asn1_time_text(not_before));
    for (const std::string& host : hosts) {
        if (X509_check_host(cert.get(), host.data(), host.size(), 0, nullptr) != 1)
            out.push_back("certificate " + certificate_path + " does not cover host \"" + host +
                          "\" (no matching subjectAltName); clients will refuse it for that host");
    }
    return out;
}

}  // namespace server
