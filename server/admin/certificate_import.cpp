#include "server/admin/certificate_import.hpp"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <ostream>

#include "server/net/certificate_check.hpp"
#include "server/net/tls_context.hpp"
#include "server/net/openssl_ptr.hpp"

namespace server {

namespace {

namespace fs = std::filesystem;

constexpr std::uintmax_t kMaxPemBytes = 1024 * 1024;  // a chain is a few KiB; anything huge is not one

struct Candidate {
    fs::path certificate;
    fs::path key;
};

// A pair read and checked, its bytes as found (installed verbatim).
struct CheckedPair {
    std::string certificate_pem;
    std::string key_pem;
    std::string not_after;
};

std::optional<Candidate> find_pair(const std::vector<std::string>& dirs, const std::string& host) {
    for (const auto& dir : dirs) {
        const fs::path d(dir);
        for (Candidate c : {Candidate{d / host / "fullchain.pem", d / host / "privkey.pem"},
                            Candidate{d / "live" / host / "fullchain.pem", d / "live" / host / "privkey.pem"},
                            Candidate{d / (host + ".crt"), d / (host + ".key")}}) {
            std::error_code ec;
            if (fs::is_regular_file(c.certificate, ec) && fs::is_regular_file(c.key, ec)) return c;
        }
    }
    return std::nullopt;
}

std::optional<std::string> read_small_file(const fs::path& path, std::string& error) {
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    if (ec) {
        error = "cannot read " + path.string() + ": " + ec.message();
        return std::nullopt;
    }
    if (size > kMaxPemBytes) {
        error = path.string() + " is too large for a PEM file";
        return std::nullopt;
    }
    std::ifstream in(path, std::ios::binary);
    std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (!in && !in.eof()) {
        error = "cannot read " + path.string() + ": " + std::strerror(errno);
        return std::nullopt;
    }
    return text;
}

BioPtr memory_bio(const std::string& text) {
    return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

// No passphrase prompt on the terminal: an encrypted key is refused.
int no_passphrase(char*, int, int, void*) { return 0; }

// Reads and checks the pair for `host`; the refusal reason otherwise.
xmpp::Result<CheckedPair, std::string> check_pair(const Candidate& c, const std::string& host) {
    std::string error;
    CheckedPair pair;
    auto cert_text = read_small_file(c.certificate, error);
    if (!cert_text) return xmpp::fail(error);
    auto key_text = read_small_file(c.key, error);
    if (!key_text) return xmpp::fail(error);

    auto cert_bio = memory_bio(*cert_text);
    X509Ptr cert(PEM_read_bio_X509(cert_bio.get(), nullptr, no_passphrase, nullptr));
    auto key_bio = memory_bio(*key_text);
    PkeyPtr key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, no_passphrase, nullptr));
    ERR_clear_error();
    if (!cert) return xmpp::fail("no PEM certificate in " + c.certificate.string());
    if (!key)
        return xmpp::fail("no unencrypted PEM private key in " + c.key.string());
    if (X509_check_private_key(cert.get(), key.get()) != 1) {
        ERR_clear_error();
        return xmpp::fail("the key " + c.key.string() + " does not match the certificate " + c.certificate.string());
    }
    if (X509_check_host(cert.get(), host.data(), host.size(), 0, nullptr) != 1)
        return xmpp::fail("the certificate " + c.certificate.string() + " does not cover host \"" + host + "\"");
    const ASN1_TIME* not_after = X509_get0_notAfter(cert.get());
    pair.not_after = asn1_time_text(not_after);
    if (X509_cmp_current_time(not_after) < 0)
        return xmpp::fail("the certificate " + c.certificate.string() + " expired on " + pair.not_after);
    pair.certificate_pem = std::move(*cert_text);
    pair.key_pem = std::move(*key_text);
    return pair;
}

// A file written next to its destination and not yet renamed into place.
class StagedFile {
public:
    StagedFile() = default;
    StagedFile(const StagedFile&) = delete;
    StagedFile& operator=(const StagedFile&) = delete;
    ~StagedFile() {
        if (!temp_.empty()) ::unlink(temp_.c_str());
    }

    // Writes `content` with `mode`, owned like `owner` when running as root.
    std::optional<std::string> write(const fs::path& destination, const std::string& content, mode_t mode,
                                     const struct stat& owner) {
        destination_ = destination;
        std::string pattern = (destination.parent_path() / ("." + destination.filename().string() + ".XXXXXX")).string();
        int fd = ::mkstemp(pattern.data());  // created 0600: the key is never readable by others
        if (fd < 0) return "cannot create a file in " + destination.parent_path().string() + ": " + std::strerror(errno);
        temp_ = pattern;
        bool ok = ::fchmod(fd, mode) == 0;
        if (ok && ::geteuid() == 0) ok = ::fchown(fd, owner.st_uid, owner.st_gid) == 0;
        for (std::size_t done = 0; ok && done < content.size();) {
            const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
            if (n < 0 && errno == EINTR) continue;
            ok = n > 0;
            if (ok) done += static_cast<std::size_t>(n);
        }
        ok = ok && ::fsync(fd) == 0;
        const int saved = errno;
        ::close(fd);
        if (!ok) return "cannot write " + temp_ + ": " + std::strerror(saved);
        return std::nullopt;
    }

    std::optional<std::string> commit() {
        if (::rename(temp_.c_str(), destination_.c_str()) != 0)
            return "cannot rename " + temp_ + " to " + destination_.string() + ": " + std::strerror(errno);
        temp_.clear();
        return std::nullopt;
    }

private:
    fs::path destination_;
    std::string temp_;
};

bool same_content(const fs::path& path, const std::string& content) {
    std::string ignored;
    auto current = read_small_file(path, ignored);
    return current && *current == content;
}

// Installs the pair: true when written, false when the files already held it.
xmpp::Result<bool, std::string> install(const CertificatePaths& to, const CheckedPair& pair, const struct stat& owner) {
    if (same_content(to.certificate, pair.certificate_pem) && same_content(to.key, pair.key_pem)) return false;
    StagedFile key, cert;
    if (auto err = key.write(to.key, pair.key_pem, 0600, owner)) return xmpp::fail(*err);
    if (auto err = cert.write(to.certificate, pair.certificate_pem, 0644, owner)) return xmpp::fail(*err);
    // Both are complete before either is renamed, which keeps the moment a
    // reload could see a new key with the old certificate to two renames.
    if (auto err = key.commit()) return xmpp::fail(*err);
    if (auto err = cert.commit()) return xmpp::fail(*err);
    return true;
}

}  // namespace

int import_certificates(const conf::Config& config, const std::vector<std::string>& dirs, std::ostream& out,
                        std::ostream& err) {
    const fs::path certs_dir = fs::path(config.data_dir) / "certs";
    std::error_code ec;
    fs::create_directories(certs_dir, ec);
    struct stat owner {};
    if (ec || ::stat(config.data_dir.c_str(), &owner) != 0) {
        err << "xmqd cert import: cannot create " << certs_dir.string() << ": "
            << (ec ? ec.message() : std::strerror(errno)) << "\n";
        return 1;
    }
    unsigned found = 0, refused = 0, changed = 0;
    for (const auto& host : config.hosts) {
        auto candidate = find_pair(dirs, host.domain);
        if (!candidate) {
            err << "xmqd cert import: " << host.domain << ": no certificate found\n";
            continue;
        }
        ++found;
        auto pair = check_pair(*candidate, host.domain);
        if (!pair) {
            err << "xmqd cert import: " << host.domain << ": not imported: " << pair.error() << "\n";
            ++refused;
            continue;
        }
        const auto to = imported_certificate_paths(config.data_dir, host.domain);
        auto installed = install(to, *pair, owner);
        if (!installed) {
            err << "xmqd cert import: " << host.domain << ": " << installed.error() << "\n";
            ++refused;
            continue;
        }
        if (*installed) {
            ++changed;
            out << host.domain << ": imported " << candidate->certificate.string() << " (valid until "
                << pair->not_after << ") as " << to.certificate << "\n";
        } else {
            out << host.domain << ": unchanged (" << to.certificate << ")\n";
        }
        if (!host.certificate.empty())
            err << "xmqd cert import: " << host.domain << ": warning: " << config.source
                << " sets this host's certificate (" << host.certificate
                << "), which is served instead of the imported one\n";
    }
    if (changed > 0)
        out << "reload the running server to serve the new certificates: systemctl reload xmqd "
               "(or send it SIGHUP)\n";
    if (found == 0) {
        err << "xmqd cert import: no certificate for any served host in";
        for (const auto& d : dirs) err << " " << d;
        err << "\n";
        return 1;
    }
    return refused == 0 ? 0 : 1;
}

}  // namespace server
