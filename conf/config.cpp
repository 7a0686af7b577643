#include "conf/config.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>

#include "conf/contact_addresses_reader.hpp"
#include "conf/external_services_reader.hpp"
#include "conf/modules_reader.hpp"
#include "conf/toml_reader.hpp"
#include "xmpp/jid.hpp"

namespace conf {
namespace {

using detail::TomlReader;

// Mozilla's "intermediate" TLS 1.2 list: forward secrecy and AEAD only.
constexpr std::string_view kDefaultCiphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305";
constexpr std::string_view kDefaultCiphersuites =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";

constexpr std::int64_t kUnsignedMax = std::numeric_limits<unsigned>::max();

std::vector<QueueConfig> demo_queues(const std::string& host) {
    QueueConfig any;
    any.route = "queue1." + host;
    any.type = QueueType::any;
    QueueConfig all;
    all.route = "queue2." + host;
    all.type = QueueType::all;
    return {any, all};
}

std::string in_quotes(std::string_view s) { return '"' + std::string(s) + '"'; }

// The textual form inet_ntop gives, so that "::0" and "::" compare equal.
std::optional<std::string> normalize_address(const std::string& text) {
    unsigned char buf[sizeof(in6_addr)];
    char out[INET6_ADDRSTRLEN];
    for (int family : {AF_INET, AF_INET6}) {
        if (inet_pton(family, text.c_str(), buf) == 1 &&
            inet_ntop(family, buf, out, sizeof out) != nullptr)
            return std::string(out);
    }
    return std::nullopt;
}

// "*@domain", "user@domain" or "domain", normalised; nullopt when malformed.
std::optional<std::string> normalize_pattern(std::string_view p) {
    if (p.empty() || p.find('/') != std::string_view::npos) return std::nullopt;
    // The only wildcard is a whole localpart: a bare "*" does not mean "anyone".
    if (p.find('*', p.starts_with("*@") ? 1 : 0) != std::string_view::npos) return std::nullopt;
    const auto at = p.find('@');
    if (at == std::string_view::npos) {
        auto d = xmpp::Jid::normalize_domain(p);
        return d && !d->empty() ? d : std::nullopt;
    }
    const std::string_view local = p.substr(0, at);
    const std::string_view domain = p.substr(at + 1);
    if (local.empty() || domain.find('@') != std::string_view::npos) return std::nullopt;
    const auto d = xmpp::Jid::normalize_domain(domain);
    if (!d || d->empty()) return std::nullopt;
    if (local == "*") return "*@" + *d;
    const auto l = xmpp::Jid::normalize_local(local);
    if (!l || l->empty()) return std::nullopt;
    return *l + '@' + *d;
}

// Reads a parsed document into a Config that starts out as the defaults.
class Loader {
public:
    Loader(TomlReader& r, Config& c, const ModuleCatalog& modules) : r_(r), c_(c), modules_(modules) {}

    void load(const toml::table& root) {
        r_.check_keys(root, "",
                      {"data_dir", "workers", "hosts", "listeners", "tls", "auth", "limits",
                       "log", "xmq", "http", "components", "s2s", "modules_enabled", "modules_disabled", "modules",
                       "external_services", "contact_addresses"});
        if (const auto* n = r_.string(root, "", "data_dir", c_.data_dir); n && c_.data_dir.empty())
            r_.error(*n, "data_dir", "must not be empty");
        r_.integer(root, "", "workers", 0, 256, c_.workers);
        hosts(root);
        listeners(root);
        tls(root);
        auth(root);
        s2s(root);
        limits(root);
        http(root);
        log(root);
        xmq(root);
        components(root);
        detail::read_external_services(r_, root, c_.external_services);
        detail::read_contact_addresses(r_, root, c_.contact_addresses);
        detail::read_modules(r_, root, modules_, c_.modules);
    }

private:
    void hosts(const toml::table& root) {
        const toml::array* a = r_.table_array(root, "", "hosts");
        if (!a) return;
        c_.hosts.clear();
        std::vector<const toml::node*> muc_nodes;  // per accepted host: where its muc_domain was set
        if (a->empty()) r_.error(*a, "hosts", "at least one host is required");
        for (std::size_t i = 0; i < a->size(); ++i) {
            const toml::table* t = a->get(i)->as_table();
            if (!t) continue;
            const std::string path = TomlReader::index("hosts", i);
            r_.check_keys(*t, path, {"domain", "registration", "certificate", "key", "muc_domain"});
            bool registration = false;
            r_.boolean(*t, path, "registration", registration);
            if (!r_.require(*t, path, "domain")) continue;
            std::string text;
            const toml::node* n = r_.string(*t, path, "domain", text);
            if (!n) continue;
            const auto domain = xmpp::Jid::normalize_domain(text);
            if (!domain || domain->empty()) {
                r_.error(*n, path + ".domain", in_quotes(text) + " is not a valid domain");
            } else if (c_.serves_host(*domain)) {
                r_.error(*n, path + ".domain", "duplicate host " + in_quotes(*domain));
            } else {
                HostConfig host;
                host.domain = *domain;
                host.registration = registration;
                host_certificate(*t, path, host);
                c_.hosts.push_back(std::move(host));
                muc_nodes.push_back(muc_domain(*t, path, c_.hosts.back()));
            }
        }
        // Once every host is known: a group chat domain is none of them, nor another host's.
        for (std::size_t i = 0; i < c_.hosts.size(); ++i) {
            const auto& m = c_.hosts[i].muc_domain;
            if (!m || m->empty() || !muc_nodes[i]) continue;
            if (c_.serves_host(*m)) {
                r_.error(*muc_nodes[i], TomlReader::index("hosts", i) + ".muc_domain",
                         in_quotes(*m) + " is a served host; group chat needs a domain of its own, such as " +
                             in_quotes("conference." + c_.hosts[i].domain));
                continue;
            }
            for (std::size_t j = 0; j < i; ++j)
                if (c_.hosts[j].muc_domain == m)
                    r_.error(*muc_nodes[i], TomlReader::index("hosts", i) + ".muc_domain",
                             in_quotes(*m) + " is already the group chat domain of " + in_quotes(c_.hosts[j].domain));
        }
    }

    // [[hosts]] muc_domain: a domain, or "" for no group chat on this host.
    const toml::node* muc_domain(const toml::table& t, const std::string& path, HostConfig& host) {
        std::string text;
        const toml::node* n = r_.string(t, path, "muc_domain", text);
        if (!n) return nullptr;
        if (text.empty()) {
            host.muc_domain = std::string();
            return n;
        }
        const auto domain = xmpp::Jid::normalize_domain(text);
        if (!domain || domain->empty()) {
            r_.error(*n, path + ".muc_domain", in_quotes(text) + " is not a valid domain");
            return nullptr;
        }
        host.muc_domain = *domain;
        return n;
    }

    // A host's own certificate/key: both or neither, like [tls].
    void host_certificate(const toml::table& t, const std::string& path, HostConfig& host) {
        const toml::node* cert = r_.string(t, path, "certificate", host.certificate);
        const toml::node* key = r_.string(t, path, "key", host.key);
        if (host.certificate.empty() && !host.key.empty())
            r_.error(key ? key->source() : t.source(), path + ".certificate",
                     "key is set but certificate is empty; set both or neither");
        else if (!host.certificate.empty() && host.key.empty())
            r_.error(cert ? cert->source() : t.source(), path + ".key",
                     "certificate is set but key is empty; set both or neither");
    }

    void listeners(const toml::table& root) {
        const toml::array* a = r_.table_array(root, "", "listeners");
        if (!a) return;
        c_.listeners.clear();
        if (a->empty()) r_.error(*a, "listeners", "at least one listener is required");
        std::vector<std::string> paths;  // of each accepted listener, for duplicate messages
        for (std::size_t i = 0; i < a->size(); ++i) {
            const toml::table* t = a->get(i)->as_table();
            if (!t) continue;
            const std::string path = TomlReader::index("listeners", i);
            r_.check_keys(*t, path, {"kind", "address", "port"});
            ListenerConfig l;
            bool ok = true;
            if (t->contains("kind"))
                ok &= r_.choice(*t, path, "kind",
                                {{"c2s", ListenerKind::c2s},
                                 {"c2s_tls", ListenerKind::c2s_tls},
                                 {"http", ListenerKind::http},
                                 {"https", ListenerKind::https},
                                 {"component", ListenerKind::component},
                                 {"s2s", ListenerKind::s2s}},
                                l.kind) != nullptr;
            const bool component = l.kind == ListenerKind::component;
            if (component) l.address = kComponentAddress;
            if (t->contains("address")) {
                std::string text;
                if (const toml::node* n = r_.string(*t, path, "address", text)) {
                    if (auto addr = normalize_address(text)) {
                        l.address = *addr;
                    } else {
                        r_.error(*n, path + ".address",
                                 in_quotes(text) + " is not an IPv4 or IPv6 address");
                        ok = false;
                    }
                } else {
                    ok = false;
                }
            }
            const toml::node* port = nullptr;
            if (component && !t->contains("port")) {
                l.port = kComponentPort;
                port = t;
            } else if (l.kind == ListenerKind::s2s && !t->contains("port")) {
                l.port = kS2sPort;
                port = t;
            } else if (r_.require(*t, path, "port")) {
                port = r_.integer(*t, path, "port", 1, 65535, l.port);
            }
            if (!port || !ok) continue;
            bool duplicate = false;
            for (std::size_t j = 0; j < c_.listeners.size(); ++j) {
                if (c_.listeners[j].address == l.address && c_.listeners[j].port == l.port) {
                    r_.error(*port, path + ".port",
                             paths[j] + " already listens on [" + l.address + "]:" +
                                 std::to_string(l.port));
                    duplicate = true;
                    break;
                }
            }
            if (duplicate) continue;
            c_.listeners.push_back(l);
            paths.push_back(path);
        }
    }

    void tls(const toml::table& root) {
        const toml::table* t = r_.table(root, "", "tls");
        if (!t) return;
        r_.check_keys(*t, "tls", {"certificate", "key", "ciphers", "ciphersuites"});
        const toml::node* cert = r_.string(*t, "tls", "certificate", c_.tls.certificate);
        const toml::node* key = r_.string(*t, "tls", "key", c_.tls.key);
        r_.string(*t, "tls", "ciphers", c_.tls.ciphers);
        r_.string(*t, "tls", "ciphersuites", c_.tls.ciphersuites);
        if (c_.tls.certificate.empty() && !c_.tls.key.empty()) {
            r_.error(key ? key->source() : t->source(), "tls.certificate",
                     "tls.key is set but tls.certificate is empty; set both or neither");
        } else if (!c_.tls.certificate.empty() && c_.tls.key.empty()) {
            r_.error(cert ? cert->source() : t->source(), "tls.key",
                     "tls.certificate is set but tls.key is empty; set both or neither");
        }
    }

    void auth(const toml::table& root) {
        const toml::table* t = r_.table(root, "", "auth");
        if (!t) return;
        r_.check_keys(*t, "auth",
                      {"require_tls", "allow_plain", "allow_scram_sha256", "max_failures", "scram_iterations",
                       "failure_delay_ms", "max_failure_delay_ms", "failure_window",
                       "registration_interval"});
        r_.boolean(*t, "auth", "require_tls", c_.auth.require_tls);
        r_.boolean(*t, "auth", "allow_plain", c_.auth.allow_plain);
        r_.boolean(*t, "auth", "allow_scram_sha256", c_.auth.allow_scram_sha256);
        r_.integer(*t, "auth", "max_failures", 1, 100, c_.auth.max_failures);
        r_.integer(*t, "auth", "scram_iterations", 4096, 1000000, c_.auth.scram_iterations);
        r_.integer(*t, "auth", "failure_delay_ms", 0, 60000, c_.auth.failure_delay_ms);
        const toml::node* max_delay =
            r_.integer(*t, "auth", "max_failure_delay_ms", 0, 600000, c_.auth.max_failure_delay_ms);
        if (max_delay && c_.auth.max_failure_delay_ms < c_.auth.failure_delay_ms)
            r_.error(*max_delay, "auth.max_failure_delay_ms", "must be at least auth.failure_delay_ms");
        std::int64_t s = 0;
        if (r_.integer(*t, "auth", "failure_window", 1, 86400, s))
            c_.auth.failure_window = std::chrono::seconds(s);
        if (r_.integer(*t, "auth", "registration_interval", 0, 86400, s))
            c_.auth.registration_interval = std::chrono::seconds(s);
    }

    void s2s(const toml::table& root) {
        const toml::table* t = r_.table(root, "", "s2s");
        if (!t) return;
        S2sConfig& s = c_.s2s;
        r_.check_keys(*t, "s2s",
                      {"require_tls", "dialback_secret", "resolve_timeout", "connect_timeout", "idle_timeout",
                       "max_queued_stanzas"});
        r_.boolean(*t, "s2s", "require_tls", s.require_tls);
        r_.string(*t, "s2s", "dialback_secret", s.dialback_secret);
        std::int64_t v = 0;
        if (r_.integer(*t, "s2s", "resolve_timeout", 1, 60, v)) s.resolve_timeout = std::chrono::seconds(v);
        if (r_.integer(*t, "s2s", "connect_timeout", 2, 300, v)) s.connect_timeout = std::chrono::seconds(v);
        if (r_.integer(*t, "s2s", "idle_timeout", 10, 86400, v)) s.idle_timeout = std::chrono::seconds(v);
        r_.integer(*t, "s2s", "max_queued_stanzas", 1, 1000000, s.max_queued_stanzas);
    }

    void limits(const toml::table& root) {
        const toml::table* t = r_.table(root, "", "limits");
        if (!t) return;
        LimitsConfig& l = c_.limits;
        r_.check_keys(*t, "limits",
                      {"max_stanza_bytes", "max_depth", "max_attributes", "idle_timeout",
                       "preauth_timeout", "max_output_bytes", "max_connections_per_ip",
                       "max_sessions_per_account", "inbound_rate", "inbound_burst",
                       "max_offline_messages", "max_roster_items", "max_roster_item_name_bytes",
                       "max_roster_item_groups", "max_roster_group_name_bytes"});
        r_.integer(*t, "limits", "max_stanza_bytes", 1024, 64 * 1024 * 1024, l.max_stanza_bytes);
        r_.integer(*t, "limits", "max_depth", 4, 1024, l.max_depth);
        r_.integer(*t, "limits", "max_attributes", 4, 1024, l.max_attributes);
        std::int64_t s = 0;
        if (r_.integer(*t, "limits", "idle_timeout", 10, 86400, s))
            l.idle_timeout = std::chrono::seconds(s);
        if (r_.integer(*t, "limits", "preauth_timeout", 5, 3600, s))
            l.preauth_timeout = std::chrono::seconds(s);
        r_.integer(*t, "limits", "max_output_bytes", 64 * 1024, 1024 * 1024 * 1024,
                   l.max_output_bytes);
        r_.integer(*t, "limits", "max_connections_per_ip", 0, 1000000, l.max_connections_per_ip);
        r_.integer(*t, "limits", "max_sessions_per_account", 1, 100000, l.max_sessions_per_account);
        r_.integer(*t, "limits", "max_offline_messages", 0, 1000000, l.max_offline_messages);
        const toml::node* rate =
            r_.integer(*t, "limits", "inbound_rate", 0, 1024 * 1024 * 1024, l.inbound_rate);
        if (rate && l.inbound_rate != 0 && l.inbound_rate < 1024)
            r_.error(*rate, "limits.inbound_rate", "must be 0 (unshaped) or at least 1024 bytes per second");
        r_.integer(*t, "limits", "inbound_burst", 4096, 1024 * 1024 * 1024, l.inbound_burst);
        r_.integer(*t, "limits", "max_roster_items", 1, 1000000, l.max_roster_items);
        r_.integer(*t, "limits", "max_roster_item_name_bytes", 1, 65536, l.max_roster_item_name_bytes);
        r_.integer(*t, "limits", "max_roster_item_groups", 1, 10000, l.max_roster_item_groups);
        r_.integer(*t, "limits", "max_roster_group_name_bytes", 1, 65536, l.max_roster_group_name_bytes);
    }

    void http(const toml::table& root) {
        const toml::table* t = r_.table(root, "", "http");
        if (!t) return;
        HttpConfig& h = c_.http;
        r_.check_keys(*t, "http",
                      {"plain_websocket", "origins", "websocket_idle_timeout", "request_timeout",
                       "operator_loopback", "admins", "upload_url"});
        r_.boolean(*t, "http", "operator_loopback", h.operator_loopback);
        std::vector<TomlReader::StringItem> admins;
        if (r_.string_array(*t, "http", "admins", admins)) {
            h.admins.clear();
            for (const auto& a : admins) {
                const auto jid = xmpp::Jid::parse(a.value);
                if (!jid || jid->local().empty() || !jid->resource().empty())
                    r_.error(*a.node, a.key, in_quotes(a.value) + " is not a bare JID (user@domain)");
                else
                    h.admins.push_back(jid->bare().full());
            }
        }
        r_.choice(*t, "http", "plain_websocket",
                  {{"never", PlainWebSocket::never},
                   {"loopback", PlainWebSocket::loopback},
                   {"always", PlainWebSocket::always}},
                  h.plain_websocket);
        std::vector<TomlReader::StringItem> origins;
        if (r_.string_array(*t, "http", "origins", origins)) {
            h.origins.clear();
            for (const auto& o : origins) {
                // An origin is scheme://host[:port], compared as the browser sends it.
                const bool web = o.value.starts_with("http://") || o.value.starts_with("https://");
                if (!web || o.value.ends_with("/") || o.value.find('/', o.value.find("//") + 2) != std::string::npos)
                    r_.error(*o.node, o.key, in_quotes(o.value) + " is not an origin (scheme://host[:port])");
                else
                    h.origins.push_back(o.value);
            }
        }
        std::string url;
        if (const toml::node* n = r_.string(*t, "http", "upload_url", url)) {
            // scheme://host[:port][/prefix]: the upload paths are appended to it.
            const bool web = url.starts_with("http://") || url.starts_with("https://");
            const auto authority = url.find("//") + 2;
            const bool clean = url.find_first_of("?#\"\\ ") == std::string::npos && !url.ends_with("/");
            if (url.empty())
                h.upload_url.clear();  // the default: the first https (or http) listener
            else if (!web || !clean || authority >= url.size() || url[authority] == '/')
                r_.error(*n, "http.upload_url", in_quotes(url) + " is not a base URL (scheme://host[:port][/prefix])");
            else
                h.upload_url = url;
        }
        std::int64_t s = 0;
        if (r_.integer(*t, "http", "websocket_idle_timeout", 10, 86400, s))
            h.websocket_idle_timeout = std::chrono::seconds(s);
        if (r_.integer(*t, "http", "request_timeout", 1, 3600, s))
            h.request_timeout = std::chrono::seconds(s);
    }

    void log(const toml::table& root) {
        const toml::table* t = r_.table(root, "", "log");
        if (!t) return;
        r_.check_keys(*t, "log", {"level", "format"});
        r_.choice(*t, "log", "format", {{"text", LogFormat::text}, {"json", LogFormat::json}}, c_.log.format);
        r_.choice(*t, "log", "level",
                  {{"debug", LogLevel::debug},
                   {"info", LogLevel::info},
                   {"warning", LogLevel::warning},
                   {"error", LogLevel::error}},
                  c_.log.level);
    }

    void xmq(const toml::table& root) {
        const toml::table* t = r_.table(root, "", "xmq");
        if (t) {
            r_.check_keys(*t, "xmq",
                          {"check_expires_time", "max_load", "max_subscriptions_per_client", "queues"});
            r_.integer(*t, "xmq", "check_expires_time", 1, kUnsignedMax,
                       c_.xmq.check_expires_time);
            r_.integer(*t, "xmq", "max_load", 0, 100, c_.xmq.max_load);
            r_.integer(*t, "xmq", "max_subscriptions_per_client", 1, 1000000,
                       c_.xmq.max_subscriptions_per_client);
        }
        if (!t || !t->contains("queues")) {
            // The demo queues follow the hosts the file configures.
            c_.xmq.queues = c_.hosts.empty() ? std::vector<QueueConfig>{}
                                             : demo_queues(c_.hosts.front().domain);
            return;
        }
        c_.xmq.queues.clear();
        const toml::array* a = r_.table_array(*t, "xmq", "queues");
        if (!a) return;
        std::vector<std::string> paths;  // of each accepted queue, for duplicate messages
        std::vector<const toml::node*> dead_letter_nodes;  // of each accepted queue
        for (std::size_t i = 0; i < a->size(); ++i) {
            const toml::table* q = a->get(i)->as_table();
            if (!q) continue;
            const std::string path = TomlReader::index("xmq.queues", i);
            r_.check_keys(*q, path,
                          {"route", "type", "balance", "publish", "subscribe", "delivery", "ack_timeout",
                           "max_attempts", "prefetch", "hold", "hold_ttl", "durable", "dead_letter"});
            QueueConfig queue;
            bool ok = true;
            if (q->contains("type"))
                ok &= r_.choice(*q, path, "type", {{"any", QueueType::any}, {"all", QueueType::all}},
                                queue.type) != nullptr;
            if (q->contains("balance"))
                ok &= r_.choice(*q, path, "balance",
                                {{"round-robin", Balance::round_robin},
                                 {"least-load", Balance::least_load}},
                                queue.balance) != nullptr;
            ok &= patterns(*q, path, "publish", queue.publish);
            ok &= patterns(*q, path, "subscribe", queue.subscribe);
            ok &= reliability(*q, path, queue);
            if (!r_.require(*q, path, "route")) continue;
            std::string text;
            const toml::node* n = r_.string(*q, path, "route", text);
            if (!n || !route(*n, path, text, paths, queue.route) || !ok) continue;
            c_.xmq.queues.push_back(std::move(queue));
            paths.push_back(path);
            dead_letter_nodes.push_back(q->get("dead_letter"));
        }
        dead_letters(paths, dead_letter_nodes);
    }

    // The reliability keys of one queue (docs/xmq.md "Reliable queues").
    bool reliability(const toml::table& q, const std::string& path, QueueConfig& queue) {
        const std::size_t errors_before = r_.error_count();
        if (q.contains("delivery"))
            r_.choice(q, path, "delivery", {{"once", DeliveryMode::once}, {"acked", DeliveryMode::acked}},
                      queue.delivery);
        r_.integer(q, path, "ack_timeout", 1, kMaxAckTimeout, queue.ack_timeout);
        r_.integer(q, path, "max_attempts", 1, kMaxAttempts, queue.max_attempts);
        r_.integer(q, path, "prefetch", 0, kMaxPrefetch, queue.prefetch);
        r_.integer(q, path, "hold", 0, kMaxHold, queue.hold);
        r_.integer(q, path, "hold_ttl", 1, kMaxHoldTtl, queue.hold_ttl);
        r_.boolean(q, path, "durable", queue.durable);
        if (q.contains("dead_letter")) {
            std::string text;
            if (const toml::node* n = r_.string(q, path, "dead_letter", text)) {
                const auto domain = xmpp::Jid::normalize_domain(text);
                if (!domain || domain->empty())
                    r_.error(*n, TomlReader::join(path, "dead_letter"), in_quotes(text) + " is not a valid domain");
                else
                    queue.dead_letter = *domain;
            }
        }
        if (queue.delivery == DeliveryMode::once) {
            // These keys mean something only when deliveries are acknowledged.
            for (std::string_view key : {"ack_timeout", "max_attempts", "prefetch", "dead_letter"})
                if (const toml::node* n = q.get(key))
                    r_.error(*n, TomlReader::join(path, key), "only valid with delivery = \"acked\"");
        }
        if (queue.durable && queue.delivery == DeliveryMode::once && queue.hold == 0) {
            // Nothing would be kept, so nothing would survive a restart.
            r_.error(*q.get("durable"), TomlReader::join(path, "durable"),
                     "a durable queue keeps held and unacknowledged stanzas: set delivery = \"acked\" or hold > 0");
        }
        return r_.error_count() == errors_before;
    }

    // Every dead_letter names another configured queue, and following them
    // never comes back to where it started (a dead letter would circle).
    void dead_letters(const std::vector<std::string>& paths, const std::vector<const toml::node*>& nodes) {
        auto index_of = [this](const std::string& route) -> std::optional<std::size_t> {
            for (std::size_t j = 0; j < c_.xmq.queues.size(); ++j)
                if (c_.xmq.queues[j].route == route) return j;
            return std::nullopt;
        };
        for (std::size_t i = 0; i < c_.xmq.queues.size(); ++i) {
            const QueueConfig& queue = c_.xmq.queues[i];
            if (queue.dead_letter.empty()) continue;
            const std::string key = TomlReader::join(paths[i], "dead_letter");
            auto target = index_of(queue.dead_letter);
            if (!target) {
                r_.error(*nodes[i], key, in_quotes(queue.dead_letter) + " is not a configured queue route");
                continue;
            }
            std::size_t hops = 0;
            for (auto at = target; at && hops <= c_.xmq.queues.size(); ++hops) {
                if (*at == i) {
                    r_.error(*nodes[i], key,
                             in_quotes(queue.dead_letter) +
                                 (hops == 0 ? " is this queue itself" : " leads back to this queue"));
                    break;
                }
                const std::string& next = c_.xmq.queues[*at].dead_letter;
                at = next.empty() ? std::nullopt : index_of(next);
            }
        }
    }

    // [[components]]: domain and secret each. A component's domain is its
    // own: not a served host, not a queue route, not another component's.
    void components(const toml::table& root) {
        const toml::array* a = r_.table_array(root, "", "components");
        if (!a) return;
        std::vector<std::string> paths;  // of each accepted entry, for duplicate messages
        for (std::size_t i = 0; i < a->size(); ++i) {
            const toml::table* t = a->get(i)->as_table();
            if (!t) continue;
            const std::string path = TomlReader::index("components", i);
            r_.check_keys(*t, path, {"domain", "secret"});
            ComponentConfig component;
            const toml::node* secret = nullptr;
            if (r_.require(*t, path, "secret")) {
                secret = r_.string(*t, path, "secret", component.secret);
                // The secret itself never appears in a message.
                if (secret && component.secret.empty()) {
                    r_.error(*secret, path + ".secret", "must not be empty");
                    secret = nullptr;
                }
            }
            if (!r_.require(*t, path, "domain")) continue;
            std::string text;
            const toml::node* n = r_.string(*t, path, "domain", text);
            if (!n) continue;
            const std::string key = path + ".domain";
            const auto domain = xmpp::Jid::normalize_domain(text);
            if (!domain || domain->empty()) {
                r_.error(*n, key, in_quotes(text) + " is not a valid domain");
                continue;
            }
            if (c_.serves_host(*domain)) {
                r_.error(*n, key, in_quotes(*domain) + " is a served host; a component needs a domain of its own");
                continue;
            }
            bool taken = false;
            for (const QueueConfig& q : c_.xmq.queues)
                if (q.route == *domain) {
                    r_.error(*n, key, in_quotes(*domain) + " is an XMQ queue route");
                    taken = true;
                }
            for (std::size_t j = 0; j < c_.components.size() && !taken; ++j)
                if (c_.components[j].domain == *domain) {
                    r_.error(*n, key, "duplicate component " + in_quotes(*domain) + " (also " + paths[j] + ")");
                    taken = true;
                }
            if (taken || !secret) continue;
            component.domain = *domain;
            c_.components.push_back(std::move(component));
            paths.push_back(path);
        }
        if (c_.components.empty()) return;
        for (const ListenerConfig& l : c_.listeners)
            if (l.kind == ListenerKind::component) return;
        // Components and no listener for them: the usual one, on loopback.
        const ListenerConfig fallback{ListenerKind::component, std::string(kComponentAddress), kComponentPort};
        for (const ListenerConfig& l : c_.listeners)
            if (l.address == fallback.address && l.port == fallback.port) {
                r_.error(*a, "components",
                         "no component listener, and the default one ([" + fallback.address + "]:" +
                             std::to_string(fallback.port) +
                             ") is taken by another listener; add a [[listeners]] entry of kind \"component\"");
                return;
            }
        c_.listeners.push_back(fallback);
    }

    // Validates a route against the hosts and the routes accepted so far.
    bool route(const toml::node& n, const std::string& path, const std::string& text,
               const std::vector<std::string>& paths, std::string& out) {
        const std::string key = path + ".route";
        const auto domain = xmpp::Jid::normalize_domain(text);
        if (!domain || domain->empty()) {
            r_.error(n, key, in_quotes(text) + " is not a valid domain");
            return false;
        }
        if (c_.serves_host(*domain)) {
            r_.error(n, key,
                     "route " + in_quotes(*domain) +
                         " is a served host; a queue needs a subdomain of it, such as " +
                         in_quotes("queue1." + *domain));
            return false;
        }
        bool under_host = false;
        for (const HostConfig& h : c_.hosts) {
            const std::string suffix = '.' + h.domain;
            under_host |= domain->size() > suffix.size() && domain->ends_with(suffix);
        }
        if (!under_host) {
            std::string hosts;
            for (const HostConfig& h : c_.hosts) hosts += (hosts.empty() ? "" : ", ") + h.domain;
            r_.error(n, key,
                     "route " + in_quotes(*domain) + " is not a subdomain of a served host (" +
                         hosts + ")");
            return false;
        }
        for (std::size_t j = 0; j < c_.xmq.queues.size(); ++j) {
            if (c_.xmq.queues[j].route == *domain) {
                r_.error(n, key, "duplicate route " + in_quotes(*domain) + " (also " + paths[j] + ")");
                return false;
            }
        }
        out = *domain;
        return true;
    }

    bool patterns(const toml::table& q, const std::string& path, std::string_view key,
                  std::vector<std::string>& out) {
        if (!q.contains(key)) return true;
        const std::size_t errors_before = r_.error_count();
        std::vector<TomlReader::StringItem> items;
        if (!r_.string_array(q, path, key, items)) return false;
        for (TomlReader::StringItem& item : items) {
            if (auto p = normalize_pattern(item.value)) {
                out.push_back(std::move(*p));
            } else {
                r_.error(*item.node, item.key,
                         in_quotes(item.value) +
                             " is not a JID pattern (\"*@domain\", \"user@domain\" or \"domain\")");
            }
        }
        return r_.error_count() == errors_before;
    }

    TomlReader& r_;
    Config& c_;
    const ModuleCatalog& modules_;
};

}  // namespace

bool Config::registration_open(std::string_view host) const {
    for (const auto& h : hosts)
        if (h.domain == host) return h.registration;
    return false;
}

std::vector<std::string> Config::host_domains() const {
    std::vector<std::string> domains;
    for (const HostConfig& h : hosts) domains.push_back(h.domain);
    return domains;
}

bool Config::federates() const {
    for (const ListenerConfig& l : listeners)
        if (l.kind == ListenerKind::s2s) return true;
    return false;
}

const ComponentConfig* Config::component(std::string_view domain) const {
    for (const ComponentConfig& c : components)
        if (c.domain == domain) return &c;
    return nullptr;
}

bool Config::serves_host(std::string_view domain) const {
    for (const HostConfig& h : hosts)
        if (h.domain == domain) return true;
    return false;
}

std::string ConfigError::to_string() const {
    std::string s = file;
    if (line != 0) s += ':' + std::to_string(line) + ':' + std::to_string(column);
    s += ": ";
    if (!key.empty()) s += key + ": ";
    s += message;
    return s;
}

std::string_view to_string(LogLevel level) {
    switch (level) {
        case LogLevel::debug: return "debug";
        case LogLevel::info: return "info";
        case LogLevel::warning: return "warning";
        case LogLevel::error: return "error";
    }
    return "unknown";
}

Config default_config() {
    Config c;
    HostConfig localhost;
    localhost.domain = "localhost";
    c.hosts = {localhost};
    c.listeners = {ListenerConfig{ListenerKind::c2s, "::", 5222},
                   ListenerConfig{ListenerKind::c2s_tls, "::", 5223},
                   ListenerConfig{ListenerKind::http, "127.0.0.1", 5280},
                   ListenerConfig{ListenerKind::https, "::", 5443}};
    c.tls.ciphers = kDefaultCiphers;
    c.tls.ciphersuites = kDefaultCiphersuites;
    c.xmq.queues = demo_queues(c.hosts.front().domain);
    return c;
}

ConfigResult load_config_string(std::string_view toml_text, std::string_view name, const ModuleCatalog& modules) {
    toml::table root;
    try {
        root = toml::parse(toml_text, name);
    } catch (const toml::parse_error& e) {
        const toml::source_position& at = e.source().begin;
        return xmpp::fail(std::vector<ConfigError>{
            ConfigError{std::string(name), static_cast<unsigned>(at.line),
                        static_cast<unsigned>(at.column), "", std::string(e.description())}});
    }
    Config config = default_config();
    config.source = name;
    TomlReader reader{std::string(name)};
    Loader(reader, config, modules).load(root);
    if (reader.error_count() != 0) return xmpp::fail(reader.take_errors());
    return config;
}

ConfigResult load_config_file(const std::string& path, const ModuleCatalog& modules) {
    auto failure = [&](std::string message) {
        return xmpp::fail(std::vector<ConfigError>{ConfigError{path, 0, 0, "", std::move(message)}});
    };
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) return failure("is a directory, not a file");
    std::ifstream in(path, std::ios::binary);
    if (!in) return failure(std::string("cannot open: ") + std::strerror(errno));
    std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (in.bad()) return failure(std::string("cannot read: ") + std::strerror(errno));
    return load_config_string(text, path, modules);
}

}  // namespace conf
