// TLS server context: TLS 1.2 and 1.3 only, the configured cipher policy, no
// compression, buffers released while idle (a large part of an idle session's
// memory otherwise). One certificate per virtual host, chosen by the name the
// client asks for (SNI): a host's own pair ([[hosts]] certificate/key, else
// data_dir/certs/<host>.crt and .key as `xmqd cert import` writes them), and
// the default pair for clients that send no name or an unknown one. When the
// config names no default and not every host has its own, a self-signed one
// for the served hosts is generated under data_dir on first start and reused.
// Built at start-up (and on reload, which re-reads every file); the resulting
// context is shared read-only by every worker, and keeps its hosts' contexts
// alive for as long as a connection holds it.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conf/config.hpp"
#include "xmpp/result.hpp"

namespace server {

struct CertificatePaths {
    std::string certificate;
    std::string key;
};

// The default pair: [tls] certificate/key when set; else the first host's own
// pair when every host has one; else the generated one under data_dir
// (created if absent).
xmpp::Result<CertificatePaths, std::string> certificate_paths(const conf::Config& config);

// Where `xmqd cert import` puts a host's pair: data_dir/certs/<host>.crt, .key.
CertificatePaths imported_certificate_paths(const std::string& data_dir, std::string_view host);

// A host's own pair: its configured one, else the imported one when both
// files exist; nullopt when the host is served with the default pair.
std::optional<CertificatePaths> host_certificate_paths(const conf::Config& config, const conf::HostConfig& host);

// Writes a self-signed certificate (EC P-256, SAN = every host) and its key
// (mode 0600). Exposed for tests.
std::optional<std::string> generate_self_signed(const std::vector<std::string>& hosts,
                                                const CertificatePaths& out);

xmpp::Result<std::shared_ptr<boost::asio::ssl::context>, std::string> make_tls_context(
    const conf::Config& config);

}  // namespace server
