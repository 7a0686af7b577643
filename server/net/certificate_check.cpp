#include "server/net/certificate_check.hpp"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <map>
#include <memory>

#include "server/net/tls_context.hpp"
#include "server/net/openssl_ptr.hpp"

namespace server {

std::string asn1_time_text(const ASN1_TIME* t) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || ASN1_TIME_print(bio.get(), t) != 1) return "?";
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(n));
}

std::vector<std::string> certificate_warnings(const std::string& certificate_path,
                                              const std::vector<std::string>& hosts, std::time_t now) {
    std::vector<std::string> out;
    std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(certificate_path.c_str(), "r"), &std::fclose);
    if (!file) return {"cannot read certificate " + certificate_path};
    // The first certificate of the chain file is the server's own.
    X509Ptr cert(PEM_read_X509(file.get(), nullptr, nullptr, nullptr));
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

std::vector<std::string> served_certificate_warnings(const conf::Config& config, std::time_t now) {
    auto fallback = certificate_paths(config);
    // certificate file -> the hosts it is served for, in config order per file.
    std::map<std::string, std::vector<std::string>> served;
    std::vector<std::string> order;
    auto serve = [&](const std::string& file, const std::string& host) {
        if (!served.contains(file)) order.push_back(file);
        served[file].push_back(host);
    };
    for (const auto& h : config.hosts) {
        if (auto own = host_certificate_paths(config, h)) serve(own->certificate, h.domain);
        else if (fallback) serve(fallback->certificate, h.domain);
    }
    std::vector<std::string> out;
    if (!fallback) out.push_back(fallback.error());
    // Served only to clients without SNI: its dates still matter.
    else if (!served.contains(fallback->certificate)) order.insert(order.begin(), fallback->certificate);
    for (const auto& file : order)
        for (auto& w : certificate_warnings(file, served[file], now)) out.push_back(std::move(w));
    return out;
}

}  // namespace server
