#include "conf/external_services_reader.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "xmpp/jid.hpp"

namespace conf::detail {

// Named, not anonymous: the sanitizer build compiles conf/ as one unity file.
namespace external_services_reader {

using xmpp::extdisco::Service;
using xmpp::extdisco::ServiceType;
using xmpp::extdisco::Transport;

constexpr unsigned kMaxCredentialsTtl = 30 * 86400;

bool is_ip_address(const std::string& text) {
    unsigned char buf[sizeof(in6_addr)];
    return inet_pton(AF_INET, text.c_str(), buf) == 1 || inet_pton(AF_INET6, text.c_str(), buf) == 1;
}

// The host as clients are to reach it: an IP address as written, or a domain
// name normalised; empty when it is neither.
std::string service_host(const std::string& text) {
    if (is_ip_address(text)) return text;
    const auto domain = xmpp::Jid::normalize_domain(text);
    return domain ? *domain : std::string();
}

void read_one(TomlReader& r, const toml::table& t, const std::string& path, std::vector<Service>& out,
              std::vector<std::string>& paths) {
    r.check_keys(t, path, {"type", "host", "port", "transport", "name", "secret", "credentials_ttl"});
    const std::size_t errors_before = r.error_count();
    Service s;
    const toml::node* type = nullptr;
    if (r.require(t, path, "type"))
        type = r.choice(t, path, "type",
                        {{"stun", ServiceType::stun}, {"turn", ServiceType::turn}, {"turns", ServiceType::turns}},
                        s.type);
    // TURN over TLS listens on its own port (coturn's tls-listening-port) and runs over TCP.
    if (s.type == ServiceType::turns) {
        s.port = 5349;
        s.transport = Transport::tcp;
    }
    const toml::node* host = nullptr;
    if (r.require(t, path, "host")) {
        std::string text;
        host = r.string(t, path, "host", text);
        if (host) {
            s.host = service_host(text);
            if (s.host.empty())
                r.error(*host, TomlReader::join(path, "host"), '"' + text + "\" is not a domain name or IP address");
        }
    }
    r.integer(t, path, "port", 1, 65535, s.port);
    if (t.contains("transport"))
        r.choice(t, path, "transport", {{"udp", Transport::udp}, {"tcp", Transport::tcp}}, s.transport);
    r.string(t, path, "name", s.name);
    if (const toml::node* secret = r.string(t, path, "secret", s.secret)) {
        if (s.secret.empty())
            r.error(*secret, TomlReader::join(path, "secret"),
                    "must not be empty; leave it out for a server that needs no credentials");
        else if (type && s.type == ServiceType::stun)
            r.error(*secret, TomlReader::join(path, "secret"),
                    "a STUN server takes no credentials; a secret is for type \"turn\" or \"turns\"");
    }
    if (const toml::node* ttl = r.integer(t, path, "credentials_ttl", 60, kMaxCredentialsTtl, s.credentials_ttl);
        ttl && s.secret.empty())
        r.error(*ttl, TomlReader::join(path, "credentials_ttl"), "only valid with a secret");
    if (r.error_count() != errors_before || !type || !host) return;
    for (std::size_t j = 0; j < out.size(); ++j) {
        const Service& o = out[j];
        if (o.type == s.type && o.host == s.host && o.port == s.port && o.transport == s.transport) {
            r.error(*host, TomlReader::join(path, "host"), "the same service as " + paths[j]);
            return;
        }
    }
    out.push_back(std::move(s));
    paths.push_back(path);
}

}  // namespace external_services_reader

void read_external_services(TomlReader& r, const toml::table& root, std::vector<xmpp::extdisco::Service>& out) {
    const toml::array* a = r.table_array(root, "", "external_services");
    if (!a) return;
    out.clear();
    std::vector<std::string> paths;  // of each accepted service, for duplicate messages
    for (std::size_t i = 0; i < a->size(); ++i)
        if (const toml::table* t = a->get(i)->as_table())
            external_services_reader::read_one(r, *t, TomlReader::index("external_services", i), out, paths);
}

}  // namespace conf::detail
