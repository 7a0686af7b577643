// Config: the typed xmqd configuration, read from one TOML file.
//
// Every key has a default (default_config() is what `xmqd` runs on with no
// file); unknown keys, wrong types and invalid values are errors naming the
// file, line and key. A loaded Config is an immutable value shared read-only
// by all threads; a reload builds a new one.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conf/modules_config.hpp"
#include "xmpp/contact_addresses.hpp"
#include "xmpp/external_services.hpp"
#include "xmpp/result.hpp"

namespace conf {

struct HostConfig {
    std::string domain;  // normalised (IDNA, lower case)
    // XEP-0077: anyone may create an account on this host in-band (before
    // authenticating). Off by default; password changes need no switch.
    bool registration = false;
    // This host's own certificate chain and key (PEM), served to clients that
    // ask for the host by SNI. Empty: data_dir/certs/<domain>.crt and .key
    // when both exist (what `xmqd cert import` writes), else the default pair.
    std::string certificate;
    std::string key;
    // muc_domain: the domain of this host's group chat service (module muc).
    // nullopt: "conference.<domain>"; empty: no group chat service for this host.
    std::optional<std::string> muc_domain;

    friend bool operator==(const HostConfig&, const HostConfig&) = default;
};

enum class ListenerKind {
    c2s,      // plain TCP, STARTTLS offered (required when auth.require_tls)
    c2s_tls,  // direct TLS, XEP-0368
    http,     // HTTP: XMPP over WebSocket (RFC 7395), host-meta, /metrics, /status
    https,    // the same over TLS
    component,  // external components (XEP-0114, jabber:component:accept); 127.0.0.1:5347 unless set
    s2s,        // other servers (RFC 6120 server-to-server); port 5269 unless set
};

// The default port of an `s2s` listener (RFC 6120 §14.7).
inline constexpr std::uint16_t kS2sPort = 5269;

// The default address and port of a `component` listener: components run
// beside the server, and their handshake is a shared secret in clear text.
inline constexpr std::string_view kComponentAddress = "127.0.0.1";
inline constexpr std::uint16_t kComponentPort = 5347;

// An external component (XEP-0114): a program that serves `domain` (and
// every JID at it) over a component listener, once it proved `secret`.
struct ComponentConfig {
    std::string domain;  // normalised
    std::string secret;  // never logged nor reported

    friend bool operator==(const ComponentConfig&, const ComponentConfig&) = default;
};

struct ListenerConfig {
    ListenerKind kind = ListenerKind::c2s;
    std::string address = "::";  // "::" listens on IPv6 and IPv4
    std::uint16_t port = 0;

    friend bool operator==(const ListenerConfig&, const ListenerConfig&) = default;
};

struct TlsConfig {
    // Empty certificate and key: a self-signed pair for the first host is
    // generated under data_dir on first start and reused afterwards.
    std::string certificate;
    std::string key;
    std::string ciphers;       // TLS 1.2 cipher list (OpenSSL syntax)
    std::string ciphersuites;  // TLS 1.3 suites

    friend bool operator==(const TlsConfig&, const TlsConfig&) = default;
};

// [s2s]: federation with other servers. Used only when an `s2s` listener is
// configured (the peers' dialback comes back to it); without one, every
// remote domain is answered remote-server-not-found.
struct S2sConfig {
    // STARTTLS (or direct TLS) on every s2s stream, both ways: a peer that
    // offers none is not federated with, and incoming streams must start TLS
    // before dialback.
    bool require_tls = true;
    // The server secret dialback keys (XEP-0185) are derived from; empty: a
    // random one made at each start (keys issued before a restart then fail).
    std::string dialback_secret;
    // SRV and address lookups of a remote domain, together.
    std::chrono::seconds resolve_timeout{5};
    // From the first stanza queued for a remote domain until its stream is
    // authenticated; past it the queued stanzas bounce with
    // remote-server-timeout.
    std::chrono::seconds connect_timeout{30};
    // An outgoing stream with nothing sent for this long is closed; an
    // incoming one with nothing received (the limits.idle_timeout watchdog).
    std::chrono::seconds idle_timeout{600};
    // Stanzas held for one remote domain while its stream is set up; more
    // bounce with resource-constraint.
    std::size_t max_queued_stanzas = 10000;

    friend bool operator==(const S2sConfig&, const S2sConfig&) = default;
};

struct AuthConfig {
    bool require_tls = true;         // no SASL mechanism before TLS
    bool allow_plain = true;         // PLAIN, on encrypted streams only
    bool allow_scram_sha256 = true;  // off when accounts hold SCRAM-SHA-1 secrets only (see auth::SaslOptions)
    unsigned max_failures = 3;       // failed SASL attempts before the stream closes
    unsigned scram_iterations = 4096;
    // Failed SASL attempts from one IP address slow its later <failure/>
    // answers: failure_delay_ms * 2^(n-1) for its n-th failure, at most
    // max_failure_delay_ms; failures older than failure_window are forgotten.
    // 0 = no delay.
    unsigned failure_delay_ms = 250;
    unsigned max_failure_delay_ms = 10000;
    std::chrono::seconds failure_window{600};
    // In-band registration (XEP-0077): after an account is created from one
    // IP address, the next one from it waits this long. 0 = no limit.
    std::chrono::seconds registration_interval{600};

    friend bool operator==(const AuthConfig&, const AuthConfig&) = default;
};

struct LimitsConfig {
    std::size_t max_stanza_bytes = 256 * 1024;
    std::size_t max_depth = 64;
    std::size_t max_attributes = 64;
    std::chrono::seconds idle_timeout{600};      // authenticated stream with no input
    std::chrono::seconds preauth_timeout{60};    // until the session is bound
    std::size_t max_output_bytes = 4 * 1024 * 1024;  // per-connection pending output
    unsigned max_connections_per_ip = 100;   // open client connections from one address; 0 = no limit
    unsigned max_sessions_per_account = 100;  // bound resources of one bare JID
    unsigned max_offline_messages = 100;      // stored for one account (XEP-0160); 0 = none stored
    // Token bucket per connection: reads pause while the bucket is empty
    // (nothing is dropped). inbound_rate 0 = unshaped.
    std::size_t inbound_rate = 1024 * 1024;   // bytes per second
    std::size_t inbound_burst = 1024 * 1024;  // bucket size, bytes
    // Rosters (RFC 6121 §2.3.3): items shown per account, and what one item holds.
    std::size_t max_roster_items = 2000;
    std::size_t max_roster_item_name_bytes = 1024;
    std::size_t max_roster_item_groups = 64;
    std::size_t max_roster_group_name_bytes = 1024;

    friend bool operator==(const LimitsConfig&, const LimitsConfig&) = default;
};

// Who may use XMPP over plain ws:// on an "http" listener (wss:// is always
// allowed). Such streams count as secure for SASL: the operator vouches for
// the path (loopback, or a TLS-terminating proxy).
enum class PlainWebSocket { never, loopback, always };

struct HttpConfig {
    PlainWebSocket plain_websocket = PlainWebSocket::loopback;
    // Origin header values accepted on /xmpp-websocket ("https://example.com");
    // empty = any origin (XMPP authenticates with SASL, not cookies).
    std::vector<std::string> origins;
    std::chrono::seconds websocket_idle_timeout{60};  // no frame: ping after half, close after all
    std::chrono::seconds request_timeout{10};         // to receive one request's headers and body
    // /metrics and /status: open to loopback clients when true; anyone else
    // must authenticate (HTTP Basic) as one of `admins` (normalised bare JIDs).
    bool operator_loopback = true;
    std::vector<std::string> admins;
    // Where clients reach the upload URLs of HTTP file upload (XEP-0363,
    // module http_upload), "scheme://host[:port][/prefix]", for a listener
    // behind a proxy. Empty: https://HOST:PORT of the first https listener
    // (else http:// of the first http one), HOST being each served domain.
    std::string upload_url;

    friend bool operator==(const HttpConfig&, const HttpConfig&) = default;
};

enum class QueueType { any, all };
enum class Balance { round_robin, least_load };
enum class DeliveryMode { once, acked };  // docs/xmq.md "Reliable queues"

// Bounds of the reliability keys: what a queue keeps is bounded by configuration.
inline constexpr unsigned kMaxAckTimeout = 86400;     // s
inline constexpr unsigned kMaxAttempts = 1000;
inline constexpr unsigned kMaxPrefetch = 100000;      // per consumer
inline constexpr unsigned kMaxHold = 1000000;         // per topic (ANY) or subscriber (ALL)
inline constexpr unsigned kMaxHoldTtl = 30 * 86400;   // s

struct QueueConfig {
    std::string route;  // normalised domain, a subdomain of a served host
    QueueType type = QueueType::any;
    Balance balance = Balance::round_robin;
    // JID patterns, normalised: "*@domain", "user@domain" or "domain".
    std::vector<std::string> publish;    // empty = users of the parent host
    std::vector<std::string> subscribe;  // same
    // Reliable delivery (opt-in; the defaults are mod_xmq's behaviour).
    DeliveryMode delivery = DeliveryMode::once;
    unsigned ack_timeout = 30;   // s an acked delivery may stay unacknowledged
    unsigned max_attempts = 5;   // deliveries of one stanza before it ends
    unsigned prefetch = 0;       // unacknowledged deliveries per consumer; 0 = unlimited
    unsigned hold = 0;           // stanzas kept per topic (ANY) / subscriber (ALL) while nobody takes them
    unsigned hold_ttl = 3600;    // s a held stanza may wait
    std::string dead_letter;     // normalised route of another queue; empty = none
    // Held and unacknowledged stanzas and durable subscriptions are written
    // to storage and survive a restart; needs delivery = "acked" or hold > 0.
    bool durable = false;

    friend bool operator==(const QueueConfig&, const QueueConfig&) = default;
};

struct XmqConfig {
    unsigned check_expires_time = 10;  // seconds between sweeps
    unsigned max_load = 90;
    unsigned max_subscriptions_per_client = 1000;  // per full JID and route
    std::vector<QueueConfig> queues;

    friend bool operator==(const XmqConfig&, const XmqConfig&) = default;
};

enum class LogLevel { debug, info, warning, error };
enum class LogFormat { text, json };  // json: one JSON object per line

struct LogConfig {
    LogLevel level = LogLevel::info;
    LogFormat format = LogFormat::text;

    friend bool operator==(const LogConfig&, const LogConfig&) = default;
};

struct Config {
    std::string source = "<defaults>";  // path of the file it came from
    std::vector<HostConfig> hosts;      // default: one host, "localhost"
    std::string data_dir = "data";      // SQLite database and generated certificate
    std::vector<ListenerConfig> listeners;  // default: c2s on 5222, c2s_tls on 5223
    unsigned workers = 0;               // 0 = one per core
    TlsConfig tls;
    AuthConfig auth;
    S2sConfig s2s;
    LimitsConfig limits;
    HttpConfig http;
    LogConfig log;
    XmqConfig xmq;  // default: queue1.<first host> any, queue2.<first host> all
    // [[components]]: external components; with any, a component listener
    // (127.0.0.1:5347 when the file names none).
    std::vector<ComponentConfig> components;
    ModulesConfig modules;  // default: every module, each option at its default
    // [[external_services]]: STUN and TURN servers told to users (XEP-0215,
    // module external_services). Default: none, and nothing is advertised.
    std::vector<xmpp::extdisco::Service> external_services;
    // [contact_addresses]: the operators' addresses in the server's
    // disco#info (XEP-0157, module contact_addresses). Default: none.
    xmpp::contact::Addresses contact_addresses;

    // `domain` must already be normalised (as Jid::domain() is).
    bool serves_host(std::string_view domain) const;
    // The domain of each host, in order.
    std::vector<std::string> host_domains() const;
    // Whether `host` (normalised) lets anyone create an account in-band (XEP-0077).
    bool registration_open(std::string_view host) const;
    // The [[components]] entry of `domain` (normalised), or null.
    const ComponentConfig* component(std::string_view domain) const;
    // Whether an s2s listener is configured: federation is on.
    bool federates() const;

    friend bool operator==(const Config&, const Config&) = default;
};

struct ConfigError {
    std::string file;
    unsigned line = 0;    // 0 when unknown (whole-file errors)
    unsigned column = 0;
    std::string key;      // dotted path, e.g. "xmq.queues[1].type" (indexes from 0); may be empty
    std::string message;
    // "file:line:column: key: message"; without ":line:column" when line is 0
    // and without "key: " when key is empty.
    std::string to_string() const;

    friend bool operator==(const ConfigError&, const ConfigError&) = default;
};

using ConfigResult = xmpp::Result<Config, std::vector<ConfigError>>;

// The embedded defaults.
Config default_config();
// Parses and validates; `name` is used in error messages. The module keys
// are checked against `modules`, the catalog of the server that will run
// the configuration (modules_config.hpp).
ConfigResult load_config_string(std::string_view toml_text, std::string_view name, const ModuleCatalog& modules);
ConfigResult load_config_file(const std::string& path, const ModuleCatalog& modules);

std::string_view to_string(LogLevel);

}  // namespace conf
