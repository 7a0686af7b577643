// xmq-amqp-bench: the RabbitMQ side of tests/bench/run (issue 20), the anchor
// for xmqd's ANY queues. P publishers and C consumers, each its own thread and
// AMQP 0-9-1 connection (librabbitmq), on one queue of a RabbitMQ the bench
// started itself. Two modes:
//
//   --mode acked     durable queue, persistent messages (delivery_mode 2),
//                    publisher confirms, manual acks: each consumer has
//                    basic.qos prefetch N and acks every K deliveries with
//                    multiple=true (what xmqd's delivery="acked" + durable
//                    queues are measured against);
//   --mode auto      non-durable queue, transient messages, no confirms,
//                    auto-ack consumers (the counterpart of xmqd's plain ANY).
//
// Each publisher keeps at most --window messages in flight: unconfirmed in
// acked mode, sent but not yet delivered in auto mode (consumers hand credit
// back through an atomic per publisher, as the XMPP load generator does).
// Bodies are 100 bytes with the publisher's index and send time, so latency
// is publish to delivery on one clock. Bounded in time (warm-up + duration)
// and in count (--max-messages per publisher). Prints one JSON line:
// acknowledged_per_s (messages consumed, and in acked mode acknowledged, per
// second of the measured interval), confirmed_per_s, p50/p99 latency, and the
// generator's own CPU use (% of one core), so a saturated client shows.
#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
const Clock::time_point epoch = Clock::now();

std::uint64_t now_ns() {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - epoch).count());
}

double cpu_seconds() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

struct Options {
    std::string host = "127.0.0.1";
    int port = 5672;
    std::string user = "guest", password = "guest";
    std::string queue = "bench";
    bool acked = true;
    unsigned publishers = 4, consumers = 10;
    unsigned window = 100;    // per publisher
    unsigned prefetch = 10;   // per consumer (acked mode)
    unsigned ack_every = 10;  // acked mode: basic.ack multiple=true every K deliveries
    double duration = 10, warmup = 2;
    std::uint64_t max_messages = 50'000'000;  // per publisher
    bool declare = true;  // false: another client process declared the queue (the bottleneck check)
};

// The 100-byte body: "@@PPPPPPPP:TTTTTTTTTTTTTTTTTTT" then padding, as the XMPP load generator's token.
constexpr std::size_t body_size = 100;
constexpr std::size_t token_size = 30;

bool read_token(const char* p, std::size_t n, std::uint32_t& sender, std::uint64_t& ts) {
    if (n < token_size || p[0] != '@' || p[1] != '@' || p[10] != ':') return false;
    sender = 0;
    ts = 0;
    for (int i = 2; i < 10; ++i) sender = sender * 10 + static_cast<std::uint32_t>(p[i] - '0');
    for (std::size_t i = 11; i < token_size; ++i) ts = ts * 10 + static_cast<std::uint64_t>(p[i] - '0');
    return true;
}

void check_reply(amqp_rpc_reply_t r, const char* what) {
    if (r.reply_type == AMQP_RESPONSE_NORMAL) return;
    std::string why = r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION ? amqp_error_string2(r.library_error)
                                                                      : "server closed the channel or connection";
    throw std::runtime_error(std::string(what) + ": " + why);
}

// One AMQP connection with channel 1 open.
class Link {
public:
    Link(const Options& o) : conn_(amqp_new_connection()) {
        amqp_socket_t* socket = amqp_tcp_socket_new(conn_);
        if (socket == nullptr) throw std::runtime_error("amqp_tcp_socket_new failed");
        if (amqp_socket_open(socket, o.host.c_str(), o.port) != AMQP_STATUS_OK)
            throw std::runtime_error("cannot connect to " + o.host + ":" + std::to_string(o.port));
        check_reply(amqp_login(conn_, "/", 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, o.user.c_str(), o.password.c_str()),
                    "login");
        amqp_channel_open(conn_, 1);
        check_reply(amqp_get_rpc_reply(conn_), "channel.open");
    }
    ~Link() {
        amqp_channel_close(conn_, 1, AMQP_REPLY_SUCCESS);
        amqp_connection_close(conn_, AMQP_REPLY_SUCCESS);
        amqp_destroy_connection(conn_);
    }
    Link(const Link&) = delete;
    Link& operator=(const Link&) = delete;
    amqp_connection_state_t get() const { return conn_; }

private:
    amqp_connection_state_t conn_;
};

struct Shared {
    explicit Shared(unsigned publishers) : credit(publishers) {
        for (auto& c : credit) c = 0;
    }
    std::atomic<bool> running{true};
    std::atomic<bool> measuring{false};
    std::atomic<std::uint64_t> consumed{0};   // delivered to a consumer (and acked, in acked mode) while measuring
    std::atomic<std::uint64_t> confirmed{0};  // confirmed by the broker while measuring
    std::atomic<std::uint64_t> errors{0};
    std::vector<std::atomic<std::int64_t>> credit;  // auto mode: deliveries seen per publisher
    std::mutex mu;
    std::vector<std::uint64_t> latencies;
    std::string first_error;

    void fail(const std::string& what) {
        std::lock_guard lock(mu);
        if (errors.fetch_add(1) == 0) first_error = what;
    }
};

void publisher(const Options& o, Shared& s, std::uint32_t index) {
    try {
        Link link(o);
        amqp_connection_state_t conn = link.get();
        if (o.acked) {
            amqp_confirm_select(conn, 1);
            check_reply(amqp_get_rpc_reply(conn), "confirm.select");
        }
        amqp_basic_properties_t props{};
        props._flags = AMQP_BASIC_DELIVERY_MODE_FLAG;
        props.delivery_mode = o.acked ? AMQP_DELIVERY_PERSISTENT : AMQP_DELIVERY_NONPERSISTENT;
        char body[body_size];
        std::memset(body, 'x', sizeof body);
        std::uint64_t sent = 0;
        std::set<std::uint64_t> unconfirmed;  // delivery tags (acked mode)
        while (s.running.load(std::memory_order_relaxed)) {
            std::int64_t in_flight = o.acked ? static_cast<std::int64_t>(unconfirmed.size())
                                             : static_cast<std::int64_t>(sent) - s.credit[index].load();
            while (in_flight < static_cast<std::int64_t>(o.window) && sent < o.max_messages) {
                std::snprintf(body, token_size + 1, "@@%08u:%019llu", index, static_cast<unsigned long long>(now_ns()));
                body[token_size] = 'x';
                amqp_bytes_t bytes{body_size, body};
                if (amqp_basic_publish(conn, 1, amqp_empty_bytes, amqp_cstring_bytes(o.queue.c_str()), 0, 0, &props,
                                       bytes) != AMQP_STATUS_OK)
                    throw std::runtime_error("basic.publish failed");
                ++sent;
                ++in_flight;
                if (o.acked) unconfirmed.insert(sent);  // confirm tags count publishes from 1
            }
            if (!o.acked) {
                // Credit comes from the consumers (atomic wait: no polling); the end
                // of the run wakes every publisher too.
                std::int64_t seen = s.credit[index].load();
                if (static_cast<std::int64_t>(sent) - seen >= static_cast<std::int64_t>(o.window) && s.running.load())
                    s.credit[index].wait(seen);
                continue;
            }
            amqp_frame_t frame;
            timeval tv{0, 100'000};
            int rc = amqp_simple_wait_frame_noblock(conn, &frame, &tv);
            if (rc == AMQP_STATUS_TIMEOUT) continue;
            if (rc != AMQP_STATUS_OK) throw std::runtime_error("reading confirms failed");
            if (frame.frame_type != AMQP_FRAME_METHOD) continue;
            if (frame.payload.method.id == AMQP_BASIC_ACK_METHOD || frame.payload.method.id == AMQP_BASIC_NACK_METHOD) {
                bool nack = frame.payload.method.id == AMQP_BASIC_NACK_METHOD;
                std::uint64_t tag;
                bool multiple;
                if (nack) {
                    auto* m = static_cast<amqp_basic_nack_t*>(frame.payload.method.decoded);
                    tag = m->delivery_tag;
                    multiple = m->multiple;
                } else {
                    auto* m = static_cast<amqp_basic_ack_t*>(frame.payload.method.decoded);
                    tag = m->delivery_tag;
                    multiple = m->multiple;
                }
                std::uint64_t n = 0;
                if (multiple) {
                    auto end = unconfirmed.upper_bound(tag);
                    n = static_cast<std::uint64_t>(std::distance(unconfirmed.begin(), end));
                    unconfirmed.erase(unconfirmed.begin(), end);
                } else {
                    n = unconfirmed.erase(tag);
                }
                if (nack) s.fail("broker nacked a publish");
                if (s.measuring.load(std::memory_order_relaxed)) s.confirmed.fetch_add(n, std::memory_order_relaxed);
            } else if (frame.payload.method.id == AMQP_CHANNEL_CLOSE_METHOD ||
                       frame.payload.method.id == AMQP_CONNECTION_CLOSE_METHOD) {
                throw std::runtime_error("the broker closed the publisher's channel");
            }
        }
    } catch (const std::exception& e) {
        s.fail(std::string("publisher ") + std::to_string(index) + ": " + e.what());
    }
}

void consumer(const Options& o, Shared& s, unsigned index) {
    try {
        Link link(o);
        amqp_connection_state_t conn = link.get();
        if (o.acked) {
            amqp_basic_qos(conn, 1, 0, static_cast<std::uint16_t>(o.prefetch), 0);
            check_reply(amqp_get_rpc_reply(conn), "basic.qos");
        }
        amqp_basic_consume(conn, 1, amqp_cstring_bytes(o.queue.c_str()), amqp_empty_bytes, 0, o.acked ? 0 : 1, 0,
                           amqp_empty_table);
        check_reply(amqp_get_rpc_reply(conn), "basic.consume");
        std::vector<std::uint64_t> latencies;
        unsigned unacked = 0;
        std::uint64_t pending_count = 0;  // consumed but not yet acknowledged (acked mode)
        while (s.running.load(std::memory_order_relaxed)) {
            amqp_maybe_release_buffers(conn);
            amqp_envelope_t envelope;
            timeval tv{0, 100'000};
            amqp_rpc_reply_t r = amqp_consume_message(conn, &envelope, &tv, 0);
            if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION && r.library_error == AMQP_STATUS_TIMEOUT) continue;
            check_reply(r, "consume");
            std::uint32_t sender = 0;
            std::uint64_t ts = 0;
            bool measuring = s.measuring.load(std::memory_order_relaxed);
            if (read_token(static_cast<const char*>(envelope.message.body.bytes), envelope.message.body.len, sender,
                           ts)) {
                if (measuring) latencies.push_back(now_ns() - ts);
                if (!o.acked && sender < s.credit.size()) {
                    s.credit[sender].fetch_add(1);
                    s.credit[sender].notify_one();
                }
            }
            if (o.acked) {
                ++pending_count;
                if (++unacked >= o.ack_every) {
                    if (amqp_basic_ack(conn, 1, envelope.delivery_tag, 1) != AMQP_STATUS_OK)
                        throw std::runtime_error("basic.ack failed");
                    if (measuring) s.consumed.fetch_add(pending_count, std::memory_order_relaxed);
                    unacked = 0;
                    pending_count = 0;
                }
            } else if (measuring) {
                s.consumed.fetch_add(1, std::memory_order_relaxed);
            }
            amqp_destroy_envelope(&envelope);
        }
        std::lock_guard lock(s.mu);
        s.latencies.insert(s.latencies.end(), latencies.begin(), latencies.end());
    } catch (const std::exception& e) {
        s.fail(std::string("consumer ") + std::to_string(index) + ": " + e.what());
    }
}

// Deletes and declares the queue: each run starts from an empty queue.
void prepare_queue(const Options& o) {
    Link link(o);
    amqp_connection_state_t conn = link.get();
    amqp_queue_delete(conn, 1, amqp_cstring_bytes(o.queue.c_str()), 0, 0);
    check_reply(amqp_get_rpc_reply(conn), "queue.delete");
    amqp_queue_declare(conn, 1, amqp_cstring_bytes(o.queue.c_str()), 0, o.acked ? 1 : 0, 0, 0, amqp_empty_table);
    check_reply(amqp_get_rpc_reply(conn), "queue.declare");
}

double percentile_ms(std::vector<std::uint64_t>& v, double p) {
    if (v.empty()) return -1;
    auto k = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
    std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
    return static_cast<double>(v[k]) / 1e6;
}

int usage() {
    std::cerr << "usage: xmq-amqp-bench [--host H] [--port N] [--user U] [--password P] [--queue NAME]\n"
                 "  [--mode acked|auto] [--publishers 4] [--consumers 10] [--window 100] [--prefetch 10]\n"
                 "  [--ack-every 10] [--duration 10] [--warmup 2] [--max-messages N] [--declare yes|no]\n"
                 "  (--declare no: the queue is used as another client process declared it)\n";
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (i + 1 >= argc) return usage();
        std::string v = argv[++i];
        if (a == "--host")
            o.host = v;
        else if (a == "--port")
            o.port = std::atoi(v.c_str());
        else if (a == "--user")
            o.user = v;
        else if (a == "--password")
            o.password = v;
        else if (a == "--queue")
            o.queue = v;
        else if (a == "--mode" && (v == "acked" || v == "auto"))
            o.acked = v == "acked";
        else if (a == "--publishers")
            o.publishers = static_cast<unsigned>(std::atoi(v.c_str()));
        else if (a == "--consumers")
            o.consumers = static_cast<unsigned>(std::atoi(v.c_str()));
        else if (a == "--window")
            o.window = static_cast<unsigned>(std::atoi(v.c_str()));
        else if (a == "--prefetch")
            o.prefetch = static_cast<unsigned>(std::atoi(v.c_str()));
        else if (a == "--ack-every")
            o.ack_every = static_cast<unsigned>(std::atoi(v.c_str()));
        else if (a == "--duration")
            o.duration = std::atof(v.c_str());
        else if (a == "--warmup")
            o.warmup = std::atof(v.c_str());
        else if (a == "--max-messages")
            o.max_messages = std::strtoull(v.c_str(), nullptr, 10);
        else if (a == "--declare" && (v == "yes" || v == "no"))
            o.declare = v == "yes";
        else
            return usage();
    }
    if (o.publishers == 0 || o.consumers == 0 || o.window == 0 || o.prefetch == 0 || o.prefetch > 65535 ||
        o.ack_every == 0 || o.duration <= 0 || o.duration > 3600 || o.warmup < 0 || o.warmup > 600)
        return usage();
    try {
        if (o.declare) prepare_queue(o);
    } catch (const std::exception& e) {
        std::cout << "{\"scenario\":\"rabbitmq\",\"error\":\"" << e.what() << "\",\"errors\":1}" << std::endl;
        return 1;
    }
    Shared s(o.publishers);
    std::vector<std::thread> threads;
    for (unsigned i = 0; i < o.consumers; ++i) threads.emplace_back(consumer, std::cref(o), std::ref(s), i);
    for (std::uint32_t i = 0; i < o.publishers; ++i) threads.emplace_back(publisher, std::cref(o), std::ref(s), i);
    std::this_thread::sleep_for(std::chrono::duration<double>(o.warmup));
    double cpu0 = cpu_seconds();
    std::uint64_t t0 = now_ns();
    s.measuring = true;
    std::this_thread::sleep_for(std::chrono::duration<double>(o.duration));
    s.measuring = false;
    double elapsed = static_cast<double>(now_ns() - t0) / 1e9;
    double cpu = cpu_seconds() - cpu0;
    s.running = false;
    for (auto& c : s.credit) {
        c.fetch_add(1);  // a publisher waiting for credit sees a change and then the end
        c.notify_all();
    }
    for (auto& t : threads) t.join();
    std::ostringstream out;
    out << "{\"scenario\":\"rabbitmq-" << (o.acked ? "acked" : "auto") << "\",\"publishers\":" << o.publishers
        << ",\"consumers\":" << o.consumers << ",\"window\":" << o.window << ",\"prefetch\":" << o.prefetch
        << ",\"ack_every\":" << o.ack_every << ",\"duration_s\":" << elapsed << ",\"acknowledged\":" << s.consumed
        << ",\"acknowledged_per_s\":" << static_cast<double>(s.consumed) / elapsed
        << ",\"confirmed_per_s\":" << static_cast<double>(s.confirmed) / elapsed
        << ",\"p50_ms\":" << percentile_ms(s.latencies, 0.5) << ",\"p99_ms\":" << percentile_ms(s.latencies, 0.99)
        << ",\"client_cpu_pct\":" << 100 * cpu / elapsed << ",\"errors\":" << s.errors;
    if (!s.first_error.empty()) out << ",\"error\":\"" << s.first_error << "\"";
    out << "}";
    std::cout << out.str() << std::endl;
    return s.errors ? 1 : 0;
}
