// Metrics: the server's counters, process-wide atomics that the code paths
// bump with one call (sessions, router), rendered as Prometheus text
// exposition (version 0.0.4) for /metrics and as JSON for /status.
//
// Counters only grow; the open-connection gauges go up and down. Gauges that
// other components already know (bound sessions, XMQ queue stats) are read
// from them by the renderer's caller (Gauges). Every function is thread-safe
// and lock-free.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "xmq/engine.hpp"

namespace server::metrics {

enum class Transport : unsigned { tcp, tls, websocket };
inline constexpr std::array<std::string_view, 3> kTransports = {"tcp", "tls", "websocket"};
inline constexpr std::array<std::string_view, 3> kStanzaKinds = {"message", "presence", "iq"};

struct Counters {
    std::array<std::atomic<std::uint64_t>, 3> connections{};       // accepted, by transport
    std::array<std::atomic<std::int64_t>, 3> connections_open{};   // live, by transport
    std::atomic<std::uint64_t> logins{};                           // SASL successes
    std::atomic<std::uint64_t> auth_failures{};                    // SASL failures (not aborts)
    std::atomic<std::uint64_t> registrations{};                    // accounts created in-band (XEP-0077)
    std::atomic<std::uint64_t> registrations_refused{};            // in-band registration requests refused
    std::atomic<std::uint64_t> password_changes{};                 // in-band password changes (XEP-0077)
    std::array<std::atomic<std::uint64_t>, 3> stanzas_in{};        // from bound clients, by kind
    std::array<std::atomic<std::uint64_t>, 3> stanzas_out{};       // routed to local sessions, by kind
    std::atomic<std::uint64_t> routing_errors{};                   // stanzas bounced with an error
    std::atomic<std::uint64_t> http_requests{};                    // HTTP requests answered
    std::atomic<std::int64_t> offline_messages{};                  // held in offline storage, all accounts
    std::atomic<std::uint64_t> caps_queries{};                     // disco#info asked of clients (XEP-0115)
    std::atomic<std::uint64_t> caps_verified{};                    // answers whose hash matched: cached
    std::atomic<std::uint64_t> caps_rejected{};                    // wrong hash, ill-formed, error or none
    std::atomic<std::uint64_t> pep_publishes{};                    // items published into accounts' PEP (XEP-0163)
    std::atomic<std::uint64_t> pep_notifications{};                // PEP event messages handed to sessions
    std::atomic<std::uint64_t> component_stanzas_in{};             // from external components (XEP-0114)
    std::atomic<std::uint64_t> component_stanzas_out{};            // routed to external components
    std::atomic<std::uint64_t> component_refusals{};               // component streams refused (handshake, domain, conflict)
    std::atomic<std::uint64_t> upload_slots{};                     // HTTP upload slots handed out (XEP-0363)
    std::atomic<std::uint64_t> upload_slots_refused{};             // slot requests refused (size, name, quota)
    std::atomic<std::uint64_t> uploads{};                          // files stored by PUT
    std::atomic<std::uint64_t> upload_bytes{};                     // their bytes
    std::atomic<std::uint64_t> uploads_refused{};                  // PUTs refused or broken off
    std::atomic<std::uint64_t> downloads{};                        // uploaded files served by GET
    std::atomic<std::uint64_t> download_bytes{};                   // bytes of them written
    std::atomic<std::uint64_t> s2s_stanzas_in{};                   // from other servers (federation)
    std::atomic<std::uint64_t> s2s_stanzas_out{};                  // sent to other servers
    std::atomic<std::uint64_t> s2s_failures{};                     // outgoing streams that gave up (their stanzas bounced)
};

Counters& counters();

// The transport label of a c2s connection: "tls" for direct TLS, "tcp" for a
// TCP stream (STARTTLS or not), "websocket" for ws:// and wss://.
Transport transport_of(std::string_view transport_kind, bool direct_tls);

void connection_opened(Transport t);
void connection_closed(Transport t);
void login();
void auth_failure();
void registration();
void registration_refused();
void password_change();
void routing_error();
// `name`: a stanza's element name; other names are not counted.
void stanza_in(std::string_view name);
// `name`: a stanza's element name, handed to `sessions` local sessions.
void stanzas_out(std::string_view name, std::size_t sessions);
void http_request();
// Messages added to (+) or taken from (-) offline storage.
void offline_messages_changed(std::int64_t delta);

// Entity capabilities (XEP-0115): a disco#info query sent to a client, and
// its outcome.
void caps_query();
void caps_answer(bool verified);
// An item stored in an account's PEP; `count` event messages sent to sessions.
void pep_publish();
void pep_notifications(std::size_t count);
// External components (XEP-0114): a stanza from one, a stanza routed to one,
// a component stream refused before or at its handshake.
void component_stanza_in();
void component_stanza_out();
void component_refused();
// HTTP file upload (XEP-0363): a slot handed out or refused; a file stored
// (its size) or a PUT refused or broken off; a GET's bytes written.
void upload_slot();
void upload_slot_refused();
void upload_stored(std::uint64_t bytes);
void upload_refused();
void download(std::uint64_t bytes);
// Federation: a stanza from another server, one sent to another server, an
// outgoing stream that gave up (unreachable, timed out, claim refused).
void s2s_stanza_in();
void s2s_stanza_out();
void s2s_failure();
// What the counters do not hold: read from the session table and the queue
// engine by whoever renders them.
struct Gauges {
    std::size_t sessions_bound = 0;
    std::vector<xmq::QueueStats> queues;
    std::vector<std::string> components;  // domains of the external components connected now
    // Files kept by HTTP file upload and their bytes (none while it is off).
    std::uint64_t upload_files = 0;
    std::uint64_t upload_stored_bytes = 0;
    std::vector<std::string> s2s_domains;  // remote domains with an outgoing s2s stream now (set up or not)
};

// Prometheus text exposition of everything, XMQ queues included.
std::string prometheus_text(const Gauges& gauges);
// The same figures as one JSON object, for the /status dashboard.
std::string status_json(const Gauges& gauges);

}  // namespace server::metrics
