// TLS server context: TLS 1.2 and 1.3 only, the configured cipher policy, no
// compression, buffers released while idle (a large part of an idle session's
// memory otherwise). When the config names no certificate, a self-signed one
// for the served hosts is generated under data_dir on first start and reused.
// Built at start-up (and on reload); the resulting context is shared read-only
// by every worker.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <optional>
#include <string>

#include "conf/config.hpp"
#include "xmpp/result.hpp"

namespace server {

struct CertificatePaths {
    std::string certificate;
    std::string key;
};

// The configured pair, or the generated one under data_dir (created if absent).
xmpp::Result<CertificatePaths, std::string> certificate_paths(const conf::Config& config);

// Writes a self-signed certificate (EC P-256, SAN = every host) and its key
// (mode 0600). Exposed for tests.
std::optional<std::string> generate_self_signed(const std::vector<std::string>& hosts,
                                                const CertificatePaths& out);

xmpp::Result<std::shared_ptr<boost::asio::ssl::context>, std::string> make_tls_context(
    const conf::Config& config);

}  // namespace server
