#include "server/core/metrics.hpp"

#include <chrono>

#include "xmq/engine.hpp"

namespace server::metrics {

namespace {

constexpr auto relaxed = std::memory_order_relaxed;
const auto process_start = std::chrono::steady_clock::now();

int kind_index(std::string_view name) {
    for (std::size_t i = 0; i < kStanzaKinds.size(); ++i)
        if (kStanzaKinds[i] == name) return static_cast<int>(i);
    return -1;
}

// A Prometheus label value: backslash, double quote and newline escaped.
std::string label(std::string_view v) {
    std::string out;
    for (char c : v) {
        if (c == '\\' || c == '"') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}

// A JSON string (labels and routes are domain names, but escape anyway).
std::string json_string(std::string_view v) {
    std::string out = "\"";
    for (char c : v) {
        if (c == '"' || c == '\\') out += '\\';
        if (static_cast<unsigned char>(c) < 0x20) continue;
        out += c;
    }
    return out + '"';
}

class Writer {
public:
    void family(std::string_view name, std::string_view type, std::string_view help) {
        out_ += "# HELP ";
        out_ += name;
        out_ += ' ';
        out_ += help;
        out_ += "\n# TYPE ";
        out_ += name;
        out_ += ' ';
        out_ += type;
        out_ += '\n';
    }
    template <class T>
    void sample(std::string_view name, std::string_view labels, T value) {
        out_ += name;
        if (!labels.empty()) {
            out_ += '{';
            out_ += labels;
            out_ += '}';
        }
        out_ += ' ';
        out_ += std::to_string(value);
        out_ += '\n';
    }
    std::string take() { return std::move(out_); }

private:
    std::string out_;
};

}  // namespace

Counters& counters() {
    static Counters c;
    return c;
}

Transport transport_of(std::string_view transport_kind, bool direct_tls) {
    if (transport_kind == "websocket") return Transport::websocket;
    return direct_tls ? Transport::tls : Transport::tcp;
}

void connection_opened(Transport t) {
    counters().connections[static_cast<unsigned>(t)].fetch_add(1, relaxed);
    counters().connections_open[static_cast<unsigned>(t)].fetch_add(1, relaxed);
}

void connection_closed(Transport t) { counters().connections_open[static_cast<unsigned>(t)].fetch_sub(1, relaxed); }
void login() { counters().logins.fetch_add(1, relaxed); }
void auth_failure() { counters().auth_failures.fetch_add(1, relaxed); }
void registration() { counters().registrations.fetch_add(1, relaxed); }
void registration_refused() { counters().registrations_refused.fetch_add(1, relaxed); }
void password_change() { counters().password_changes.fetch_add(1, relaxed); }
void routing_error() { counters().routing_errors.fetch_add(1, relaxed); }
void offline_messages_changed(std::int64_t delta) { counters().offline_messages.fetch_add(delta, relaxed); }
void caps_query() { counters().caps_queries.fetch_add(1, relaxed); }
void caps_answer(bool verified) { (verified ? counters().caps_verified : counters().caps_rejected).fetch_add(1, relaxed); }
void pep_publish() { counters().pep_publishes.fetch_add(1, relaxed); }
void pep_notifications(std::size_t count) { counters().pep_notifications.fetch_add(count, relaxed); }
void component_stanza_in() { counters().component_stanzas_in.fetch_add(1, relaxed); }
void component_stanza_out() { counters().component_stanzas_out.fetch_add(1, relaxed); }
void component_refused() { counters().component_refusals.fetch_add(1, relaxed); }
void s2s_stanza_in() { counters().s2s_stanzas_in.fetch_add(1, relaxed); }
void s2s_stanza_out() { counters().s2s_stanzas_out.fetch_add(1, relaxed); }
void s2s_failure() { counters().s2s_failures.fetch_add(1, relaxed); }
void http_request() { counters().http_requests.fetch_add(1, relaxed); }
void upload_slot() { counters().upload_slots.fetch_add(1, relaxed); }
void upload_slot_refused() { counters().upload_slots_refused.fetch_add(1, relaxed); }
void upload_stored(std::uint64_t bytes) {
    counters().uploads.fetch_add(1, relaxed);
    counters().upload_bytes.fetch_add(bytes, relaxed);
}
void upload_refused() { counters().uploads_refused.fetch_add(1, relaxed); }
void download(std::uint64_t bytes) {
    counters().downloads.fetch_add(1, relaxed);
    counters().download_bytes.fetch_add(bytes, relaxed);
}

void stanza_in(std::string_view name) {
    if (int i = kind_index(name); i >= 0) counters().stanzas_in[static_cast<unsigned>(i)].fetch_add(1, relaxed);
}

void stanzas_out(std::string_view name, std::size_t sessions) {
    if (int i = kind_index(name); i >= 0) counters().stanzas_out[static_cast<unsigned>(i)].fetch_add(sessions, relaxed);
}

std::string prometheus_text(const Gauges& gauges) {
    const Counters& c = counters();
    Writer w;
    w.family("xmqd_uptime_seconds", "gauge", "Seconds since the server started.");
    w.sample("xmqd_uptime_seconds", "",
             std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - process_start)
                 .count());
    w.family("xmqd_connections_total", "counter", "Client connections accepted, by transport.");
    for (std::size_t i = 0; i < kTransports.size(); ++i)
        w.sample("xmqd_connections_total", "transport=\"" + std::string(kTransports[i]) + "\"",
                 c.connections[i].load(relaxed));
    w.family("xmqd_connections_open", "gauge", "Client connections open now, by transport.");
    for (std::size_t i = 0; i < kTransports.size(); ++i)
        w.sample("xmqd_connections_open", "transport=\"" + std::string(kTransports[i]) + "\"",
                 c.connections_open[i].load(relaxed));
    w.family("xmqd_sessions_bound", "gauge", "Client sessions with a bound resource.");
    w.sample("xmqd_sessions_bound", "", gauges.sessions_bound);
    w.family("xmqd_logins_total", "counter", "Successful SASL authentications.");
    w.sample("xmqd_logins_total", "", c.logins.load(relaxed));
    w.family("xmqd_auth_failures_total", "counter", "Failed SASL authentications.");
    w.sample("xmqd_auth_failures_total", "", c.auth_failures.load(relaxed));
    w.family("xmqd_registrations_total", "counter", "Accounts created by in-band registration (XEP-0077).");
    w.sample("xmqd_registrations_total", "", c.registrations.load(relaxed));
    w.family("xmqd_registrations_refused_total", "counter",
             "In-band registration requests refused (disabled, invalid, taken, rate-limited).");
    w.sample("xmqd_registrations_refused_total", "", c.registrations_refused.load(relaxed));
    w.family("xmqd_password_changes_total", "counter", "Passwords changed in-band (XEP-0077).");
    w.sample("xmqd_password_changes_total", "", c.password_changes.load(relaxed));
    w.family("xmqd_stanzas_in_total", "counter", "Stanzas received from bound clients, by kind.");
    for (std::size_t i = 0; i < kStanzaKinds.size(); ++i)
        w.sample("xmqd_stanzas_in_total", "kind=\"" + std::string(kStanzaKinds[i]) + "\"",
                 c.stanzas_in[i].load(relaxed));
    w.family("xmqd_stanzas_out_total", "counter", "Stanzas routed to local client sessions, by kind.");
    for (std::size_t i = 0; i < kStanzaKinds.size(); ++i)
        w.sample("xmqd_stanzas_out_total", "kind=\"" + std::string(kStanzaKinds[i]) + "\"",
                 c.stanzas_out[i].load(relaxed));
    w.family("xmqd_routing_errors_total", "counter", "Stanzas the router answered with an error.");
    w.sample("xmqd_routing_errors_total", "", c.routing_errors.load(relaxed));
    w.family("xmqd_offline_messages", "gauge", "Messages held in offline storage, all accounts.");
    w.sample("xmqd_offline_messages", "", c.offline_messages.load(relaxed));
    w.family("xmqd_caps_queries_total", "counter", "Entity capabilities: disco#info queries sent to clients.");
    w.sample("xmqd_caps_queries_total", "", c.caps_queries.load(relaxed));
    w.family("xmqd_caps_verified_total", "counter", "Entity capabilities: answers whose hash matched, cached.");
    w.sample("xmqd_caps_verified_total", "", c.caps_verified.load(relaxed));
    w.family("xmqd_caps_rejected_total", "counter",
             "Entity capabilities: answers not cached (wrong hash, ill-formed, error, none).");
    w.sample("xmqd_caps_rejected_total", "", c.caps_rejected.load(relaxed));
    w.family("xmqd_pep_publishes_total", "counter", "Personal eventing: items published into accounts' PEP nodes.");
    w.sample("xmqd_pep_publishes_total", "", c.pep_publishes.load(relaxed));
    w.family("xmqd_pep_notifications_total", "counter", "Personal eventing: event messages handed to sessions.");
    w.sample("xmqd_pep_notifications_total", "", c.pep_notifications.load(relaxed));
    w.family("xmqd_component_connected", "gauge", "External components (XEP-0114) connected, by domain.");
    for (const auto& domain : gauges.components) w.sample("xmqd_component_connected", "domain=\"" + label(domain) + "\"", 1);
    w.family("xmqd_component_stanzas_in_total", "counter", "Stanzas received from external components.");
    w.sample("xmqd_component_stanzas_in_total", "", c.component_stanzas_in.load(relaxed));
    w.family("xmqd_component_stanzas_out_total", "counter", "Stanzas routed to external components.");
    w.sample("xmqd_component_stanzas_out_total", "", c.component_stanzas_out.load(relaxed));
    w.family("xmqd_component_refusals_total", "counter",
             "Component streams refused: unknown domain, wrong secret, already connected, no handshake.");
    w.sample("xmqd_component_refusals_total", "", c.component_refusals.load(relaxed));
    w.family("xmqd_s2s_outgoing", "gauge",
             "Outgoing server-to-server streams (set up or being set up), by remote domain.");
    for (const auto& domain : gauges.s2s_domains) w.sample("xmqd_s2s_outgoing", "domain=\"" + label(domain) + "\"", 1);
    w.family("xmqd_s2s_stanzas_in_total", "counter", "Stanzas received from other servers.");
    w.sample("xmqd_s2s_stanzas_in_total", "", c.s2s_stanzas_in.load(relaxed));
    w.family("xmqd_s2s_stanzas_out_total", "counter", "Stanzas sent to other servers.");
    w.sample("xmqd_s2s_stanzas_out_total", "", c.s2s_stanzas_out.load(relaxed));
    w.family("xmqd_s2s_failures_total", "counter",
             "Outgoing server-to-server streams that gave up: unresolvable, unreachable, timed out, refused.");
    w.sample("xmqd_s2s_failures_total", "", c.s2s_failures.load(relaxed));
    w.family("xmqd_http_requests_total", "counter", "HTTP requests answered.");
    w.sample("xmqd_http_requests_total", "", c.http_requests.load(relaxed));
    w.family("xmqd_upload_slots_total", "counter", "HTTP file upload: slots handed out.");
    w.sample("xmqd_upload_slots_total", "", c.upload_slots.load(relaxed));
    w.family("xmqd_upload_slots_refused_total", "counter",
             "HTTP file upload: slot requests refused (size, name, quota).");
    w.sample("xmqd_upload_slots_refused_total", "", c.upload_slots_refused.load(relaxed));
    w.family("xmqd_uploads_total", "counter", "HTTP file upload: files stored.");
    w.sample("xmqd_uploads_total", "", c.uploads.load(relaxed));
    w.family("xmqd_upload_bytes_total", "counter", "HTTP file upload: bytes of the files stored.");
    w.sample("xmqd_upload_bytes_total", "", c.upload_bytes.load(relaxed));
    w.family("xmqd_uploads_refused_total", "counter", "HTTP file upload: PUTs refused or broken off.");
    w.sample("xmqd_uploads_refused_total", "", c.uploads_refused.load(relaxed));
    w.family("xmqd_downloads_total", "counter", "HTTP file upload: files served by GET.");
    w.sample("xmqd_downloads_total", "", c.downloads.load(relaxed));
    w.family("xmqd_download_bytes_total", "counter", "HTTP file upload: bytes served by GET.");
    w.sample("xmqd_download_bytes_total", "", c.download_bytes.load(relaxed));
    w.family("xmqd_upload_files", "gauge", "HTTP file upload: files kept.");
    w.sample("xmqd_upload_files", "", gauges.upload_files);
    w.family("xmqd_upload_stored_bytes", "gauge", "HTTP file upload: bytes of the files kept.");
    w.sample("xmqd_upload_stored_bytes", "", gauges.upload_stored_bytes);

    const auto& queues = gauges.queues;
    struct Field {
        const char* name;
        const char* help;
        std::uint64_t xmq::QueueStats::*member;
    };
    static constexpr Field fields[] = {
        {"xmqd_xmq_published_total", "Stanzas a queue accepted for dispatch.", &xmq::QueueStats::published},
        {"xmqd_xmq_delivered_total", "Copies a queue handed to consumers.", &xmq::QueueStats::delivered},
        {"xmqd_xmq_dropped_total", "Stanzas a queue dropped (errors, results, ALL with no consumer).",
         &xmq::QueueStats::dropped},
        {"xmqd_xmq_expired_total", "Subscriptions removed because their ttl ran out.", &xmq::QueueStats::expired},
        {"xmqd_xmq_consumers_gone_total", "Consumers removed because delivery to them failed.",
         &xmq::QueueStats::consumers_gone},
        {"xmqd_xmq_acked_total", "Deliveries of an acked queue settled by ack or iq answer.",
         &xmq::QueueStats::acked},
        {"xmqd_xmq_redelivered_total", "Deliveries sent again (attempt above 1).", &xmq::QueueStats::redelivered},
        {"xmqd_xmq_dead_lettered_total", "Stanzas handed to the dead-letter route.",
         &xmq::QueueStats::dead_lettered},
        {"xmqd_xmq_held_expired_total", "Held stanzas dropped after hold_ttl.", &xmq::QueueStats::held_expired},
        {"xmqd_xmq_late_answers_total", "iq answers of a consumer that no longer held the request, dropped.",
         &xmq::QueueStats::late_answers},
    };
    for (const Field& f : fields) {
        w.family(f.name, "counter", f.help);
        for (const auto& q : queues) w.sample(f.name, "route=\"" + label(q.route) + "\"", q.*(f.member));
    }
    static constexpr std::pair<const char*, std::uint64_t xmq::QueueStats::*> reasons[] = {
        {"no_topic", &xmq::QueueStats::rejected_no_topic},
        {"no_recipients", &xmq::QueueStats::rejected_no_recipients},
        {"forbidden", &xmq::QueueStats::rejected_forbidden},
        {"bad_request", &xmq::QueueStats::rejected_bad_request},
        {"unsupported", &xmq::QueueStats::rejected_unsupported},
        {"limit", &xmq::QueueStats::rejected_limit},
        {"hold_full", &xmq::QueueStats::rejected_hold_full},
    };
    w.family("xmqd_xmq_rejected_total", "counter", "Stanzas a queue refused, by reason.");
    for (const auto& q : queues)
        for (const auto& [reason, member] : reasons)
            w.sample("xmqd_xmq_rejected_total", "route=\"" + label(q.route) + "\",reason=\"" + reason + "\"",
                     q.*member);
    w.family("xmqd_xmq_consumers", "gauge", "Live subscriptions of a queue.");
    for (const auto& q : queues) w.sample("xmqd_xmq_consumers", "route=\"" + label(q.route) + "\"", q.consumers);
    w.family("xmqd_xmq_topics", "gauge", "Topics of a queue with at least one subscription.");
    for (const auto& q : queues) w.sample("xmqd_xmq_topics", "route=\"" + label(q.route) + "\"", q.topics);
    w.family("xmqd_xmq_held", "gauge", "Stanzas waiting in a queue's hold.");
    for (const auto& q : queues) w.sample("xmqd_xmq_held", "route=\"" + label(q.route) + "\"", q.held);
    w.family("xmqd_xmq_unacked", "gauge", "Deliveries of a queue not yet acknowledged.");
    for (const auto& q : queues) w.sample("xmqd_xmq_unacked", "route=\"" + label(q.route) + "\"", q.unacked);
    return w.take();
}

std::string status_json(const Gauges& gauges) {
    const Counters& c = counters();
    std::string out = "{\"uptime\":";
    out += std::to_string(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - process_start).count());
    out += ",\"connections\":{";
    for (std::size_t i = 0; i < kTransports.size(); ++i) {
        if (i) out += ',';
        out += json_string(kTransports[i]) + ':' + std::to_string(c.connections_open[i].load(relaxed));
    }
    out += "},\"sessions\":" + std::to_string(gauges.sessions_bound);
    out += ",\"logins\":" + std::to_string(c.logins.load(relaxed));
    out += ",\"auth_failures\":" + std::to_string(c.auth_failures.load(relaxed));
    out += ",\"routing_errors\":" + std::to_string(c.routing_errors.load(relaxed));
    out += ",\"offline_messages\":" + std::to_string(c.offline_messages.load(relaxed));
    out += ",\"uploads\":{\"stored\":" + std::to_string(c.uploads.load(relaxed)) +
           ",\"bytes\":" + std::to_string(c.upload_bytes.load(relaxed)) +
           ",\"downloads\":" + std::to_string(c.downloads.load(relaxed)) +
           ",\"files\":" + std::to_string(gauges.upload_files) +
           ",\"stored_bytes\":" + std::to_string(gauges.upload_stored_bytes) + "}";
    for (const char* dir : {"stanzas_in", "stanzas_out"}) {
        const auto& arr = std::string_view(dir) == "stanzas_in" ? c.stanzas_in : c.stanzas_out;
        out += ",\"" + std::string(dir) + "\":{";
        for (std::size_t i = 0; i < kStanzaKinds.size(); ++i) {
            if (i) out += ',';
            out += json_string(kStanzaKinds[i]) + ':' + std::to_string(arr[i].load(relaxed));
        }
        out += '}';
    }
    out += ",\"components\":[";
    for (std::size_t i = 0; i < gauges.components.size(); ++i)
        out += (i ? "," : "") + json_string(gauges.components[i]);
    out += ']';
    out += ",\"s2s\":[";
    for (std::size_t i = 0; i < gauges.s2s_domains.size(); ++i)
        out += (i ? "," : "") + json_string(gauges.s2s_domains[i]);
    out += ']';
    out += ",\"queues\":[";
    bool first = true;
    for (const auto& q : gauges.queues) {
        if (!first) out += ',';
        first = false;
        out += "{\"route\":" + json_string(q.route);
        out += ",\"type\":" + std::string(q.type == conf::QueueType::any ? "\"any\"" : "\"all\"");
        out += ",\"consumers\":" + std::to_string(q.consumers);
        out += ",\"published\":" + std::to_string(q.published);
        out += ",\"delivered\":" + std::to_string(q.delivered);
        out += ",\"rejected\":" +
               std::to_string(q.rejected_no_topic + q.rejected_no_recipients + q.rejected_forbidden +
                              q.rejected_bad_request + q.rejected_unsupported + q.rejected_limit +
                              q.rejected_hold_full);
        out += ",\"held\":" + std::to_string(q.held);
        out += ",\"unacked\":" + std::to_string(q.unacked);
        out += ",\"redelivered\":" + std::to_string(q.redelivered);
        out += ",\"dead_lettered\":" + std::to_string(q.dead_lettered);
        out += ",\"expired\":" + std::to_string(q.held_expired);
        out += '}';
    }
    out += "]}";
    return out;
}

}  // namespace server::metrics
