#include "scenarios.hpp"
#include "delivery_tag.hpp"
#include "pep_entity.hpp"
#include "ws_login.hpp"
#include "xml_split.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <future>
#include <iostream>
#include <latch>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

namespace loadgen {

namespace {

using Clock = std::chrono::steady_clock;
const Clock::time_point epoch = Clock::now();

std::uint64_t now_ns() {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - epoch).count());
}

double cpu_seconds() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

long rss_kib(int pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
    return -1;
}

double percentile_ms(std::vector<std::uint64_t>& v, double p) {
    if (v.empty()) return -1;
    std::size_t k = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
    std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
    return static_cast<double>(v[k]) / 1e6;
}

std::string token(std::uint32_t sender, std::uint64_t ns) {
    char buf[token_size + 1];
    std::snprintf(buf, sizeof buf, "@@%08u:%019llu", sender, static_cast<unsigned long long>(ns));
    return std::string(buf, token_size);
}

// Calls `found(sender, ns)` for every benchmark token in `text`.
template <class F>
void scan_tokens(std::string_view text, F&& found) {
    for (std::size_t pos = 0; (pos = text.find("@@", pos)) != std::string_view::npos;) {
        if (text.size() - pos < token_size) return;
        std::uint32_t sender = 0;
        std::uint64_t ts = 0;
        if (read_token(text.data() + pos, sender, ts)) {
            found(sender, ts);
            pos += token_size;
        } else {
            pos += 2;
        }
    }
}

bool is_stanza(std::string_view name) { return name == "message" || name == "presence" || name == "iq"; }

// What the resume scenario keeps per session (touched on the session's thread only).
struct ResumeTrack {
    std::vector<std::uint64_t> before;   // tokens of the messages received before the drop, in order
    std::vector<std::uint32_t> before_h; // the stanza count at each of them (1-based)
    std::uint32_t h = 0;                 // what we acknowledged before the drop
    bool sync_asked = false;             // our <a/><r/> went out
    bool synced = false;                 // the server answered that <r/>
    std::uint64_t resume_sent_ns = 0, resumed_ns = 0, all_resent_ns = 0;
    std::vector<std::uint64_t> resent;   // tokens received after <resumed/>
    std::string failure;
};

// One generator thread.
struct Worker {
    unsigned id = 0;
    asio::io_context io{1};
    std::thread thread;
    std::vector<std::uint32_t> indices;   // connections that live here
    std::size_t next = 0;                 // next index for a login lane
    std::vector<std::uint64_t> latencies; // ns
    std::atomic<std::uint64_t> delivered{0};
    std::atomic<std::uint64_t> errors{0};
    // xmq-any-acked/-durable, this thread's consumers (read after the thread is joined).
    std::uint64_t acknowledged = 0;      // deliveries whose ack the queue answered with a result, while measuring
    std::uint64_t ack_errors = 0;        // acks the queue refused
    std::uint64_t untagged = 0;          // deliveries without a delivery tag (not an acked queue)
    std::uint64_t redelivered = 0;       // deliveries with attempt > 1
    std::uint64_t publish_errors = 0;    // message errors back to a publisher (e.g. a full hold)
    std::vector<std::pair<std::uint32_t, std::uint32_t>> credits;  // this chunk's (sender, count)
};

class Run : public TokenSink, public ElementSink {
public:
    explicit Run(const Options& o)
        : opt_(o), tls_(asio::ssl::context::tls_client), cache_(o.password) {
        tls_.set_verify_mode(asio::ssl::verify_none);
        SSL_CTX_set_mode(tls_.native_handle(), SSL_MODE_RELEASE_BUFFERS);
        SSL_CTX_set_session_cache_mode(tls_.native_handle(), SSL_SESS_CACHE_OFF);
        if (!o.scram_cache.empty()) cache_.load(o.scram_cache);
        unsigned t = std::max(1u, o.threads);
        for (unsigned i = 0; i < t; ++i) {
            workers_.push_back(std::make_unique<Worker>());
            workers_.back()->id = i;
        }
        for (auto& w : workers_) {
            w->thread = std::thread([&io = w->io] {
                auto guard = asio::make_work_guard(io);
                io.run();
            });
        }
    }

    ~Run() override {
        for (auto& w : workers_) w->io.stop();
        for (auto& w : workers_)
            if (w->thread.joinable()) w->thread.join();
        if (!opt_.scram_cache.empty() && cache_.misses() > 0) cache_.save(opt_.scram_cache);
    }

    int execute() {
        const std::string& s = opt_.scenario;
        if (s == "login" || s == "ws-login") return login();
        if (s == "register") return register_accounts();
        if (s == "idle") return idle();
        if (s == "msg" || s == "msg-sm-mam") return msg();
        if (s == "resume" || s == "hibernated-memory") return resume();
        if (s == "mam-query") return mam_query();
        if (s == "xmq-any" || s == "xmq-all") return xmq(s == "xmq-all");
        if (s == "xmq-any-acked" || s == "xmq-any-durable") return xmq(false, true);
        if (s == "pep-roster") return pep_roster();
        if (s == "pep-publish") return pep_publish();
        if (s == "muc-room") return muc_room();
        if (s == "muc-join") return muc_join();
        std::cerr << "loadgen: unknown scenario '" << s << "'\n";
        return 2;
    }

    void on_token(Connection& receiver, std::uint32_t sender, std::uint64_t sent_ns) override {
        Worker& w = *workers_[receiver.worker()];
        if (measuring_.load(std::memory_order_relaxed)) {
            w.delivered.fetch_add(1, std::memory_order_relaxed);
            w.latencies.push_back(now_ns() - sent_ns);
        }
        if (sender >= conns_.size()) return;
        for (auto& [s, n] : w.credits)
            if (s == sender) {
                ++n;
                return;
            }
        w.credits.emplace_back(sender, 1);
    }

    void on_chunk_done(Connection& receiver) override {
        Worker& w = *workers_[receiver.worker()];
        for (auto [sender, n] : w.credits) {
            Connection* c = conns_[sender].get();
            if (!c) continue;
            if (c->worker() == w.id) {
                credit(*c, n);
            } else {
                asio::post(workers_[c->worker()]->io, [this, c, n = n] { credit(*c, n); });
            }
        }
        w.credits.clear();
    }

    void on_element(Connection& c, std::string_view name, std::string_view element) override {
        switch (phase_) {
            case Phase::flow: return flow_element(c, name, element);
            case Phase::fill: return fill_element(c, name, element);
            case Phase::resumed: return resumed_element(c, name, element);
            case Phase::acked: return acked_element(c, name, element);
            case Phase::pep: return pep_element(c, name, element);
        }
    }

private:
    enum class Phase { flow, fill, resumed, acked, pep };

    void send_ack(Connection& c) {
        c.send("<a xmlns='urn:xmpp:sm:3' h='" + std::to_string(c.sm.received) + "'/>");
        c.sm.reported = c.sm.received;
    }

    // msg-sm-mam: a mobile client's side of stream management under load.
    void flow_element(Connection& c, std::string_view name, std::string_view element) {
        if (is_stanza(name)) {
            ++c.sm.received;
            scan_tokens(element, [&](std::uint32_t sender, std::uint64_t ns) { on_token(c, sender, ns); });
            if (c.sm.received - c.sm.reported >= opt_.ack_every) send_ack(c);
        } else if (name == "r") {
            ++c.sm.requests_in;
            send_ack(c);
        } else if (name == "a") {
            ++c.sm.acks_in;
            c.sm.server_h = static_cast<std::uint32_t>(std::strtoul(attribute(element, "h").c_str(), nullptr, 10));
        }
    }
    std::string user(std::uint32_t j) const {
        unsigned users = opt_.users ? opt_.users : opt_.n;
        return opt_.user_prefix + std::to_string(opt_.user_offset + j % std::max(1u, users));
    }

    // Logs in (or registers) connections `count` at bounded concurrency; keeps them when asked.
    void connect_all(std::uint32_t count, bool keep, bool do_register, const std::string& resource_prefix,
                     unsigned (*place)(std::uint32_t, unsigned)) {
        if (keep) conns_.assign(count, nullptr);
        for (auto& w : workers_) {
            w->indices.clear();
            w->next = 0;
            w->latencies.clear();
        }
        for (std::uint32_t j = 0; j < count; ++j) workers_[place(j, workers_.size())]->indices.push_back(j);
        unsigned lanes_total = 0;
        std::vector<unsigned> lanes(workers_.size());
        for (std::size_t i = 0; i < workers_.size(); ++i) {
            lanes[i] = std::min<unsigned>(static_cast<unsigned>(workers_[i]->indices.size()),
                                          std::max(1u, (opt_.concurrency + static_cast<unsigned>(i)) /
                                                           static_cast<unsigned>(workers_.size())));
            lanes_total += lanes[i];
        }
        std::latch done(lanes_total);
        for (std::size_t i = 0; i < workers_.size(); ++i) {
            Worker& w = *workers_[i];
            for (unsigned l = 0; l < lanes[i]; ++l) {
                asio::co_spawn(w.io, lane(w, keep, do_register, resource_prefix),
                               [&done](std::exception_ptr) { done.count_down(); });
            }
        }
        done.wait();
    }

    asio::awaitable<void> lane(Worker& w, bool keep, bool do_register, std::string resource_prefix) {
        while (w.next < w.indices.size()) {
            std::uint32_t j = w.indices[w.next++];
            std::shared_ptr<Connection> c;
            std::uint64_t t0 = now_ns();
            try {
                if (opt_.scenario == "ws-login") {
                    co_await ws_login(tls_, opt_.target, opt_.ws_path, user(j), resource_prefix + std::to_string(j),
                                      cache_, opt_.timeout);
                    w.latencies.push_back(now_ns() - t0);
                    continue;
                }
                c = std::make_shared<Connection>(w.io, tls_, j, w.id);
                co_await c->connect(opt_.target, opt_.timeout);
                if (do_register)
                    co_await c->register_account(opt_.target, user(j), opt_.password, opt_.timeout);
                else if (auth_only_)
                    co_await c->authenticate(opt_.target, user(j), cache_, opt_.timeout);
                else
                    co_await c->login(opt_.target, user(j), resource_prefix + std::to_string(j), cache_, opt_.timeout,
                                      sm_, presence_);
                w.latencies.push_back(now_ns() - t0);
                if (keep)
                    conns_[j] = c;
                else
                    c->close(true);
            } catch (const std::exception& e) {
                if (w.errors.fetch_add(1) < 3) {
                    std::lock_guard lock(print_mutex_);
                    std::string what = e.what();
                    std::cerr << "loadgen: connection " << j << " (" << user(j) << "): " << what.substr(0, what.find(" [")) << "\n";
                }
                if (c) c->close(false);
            }
        }
    }

    std::uint64_t errors() const {
        std::uint64_t e = 0;
        for (auto& w : workers_) e += w->errors.load();
        return e;
    }

    std::vector<std::uint64_t> all_latencies() {
        std::vector<std::uint64_t> all;
        for (auto& w : workers_) all.insert(all.end(), w->latencies.begin(), w->latencies.end());
        return all;
    }

    static unsigned round_robin(std::uint32_t j, unsigned t) { return j % t; }
    static unsigned by_pair(std::uint32_t j, unsigned t) { return (j / 2) % t; }

    void print(const std::string& fields) {
        std::cout << "{\"scenario\":\"" << opt_.scenario << "\",\"threads\":" << workers_.size() << "," << fields
                  << "}" << std::endl;
    }

    int login() {
        double cpu0 = cpu_seconds();
        std::uint64_t t0 = now_ns();
        connect_all(opt_.n, false, false, "l", round_robin);
        double elapsed = static_cast<double>(now_ns() - t0) / 1e9;
        double cpu = cpu_seconds() - cpu0;
        auto lat = all_latencies();
        std::ostringstream o;
        o << "\"n\":" << opt_.n << ",\"concurrency\":" << opt_.concurrency << ",\"ok\":" << lat.size()
          << ",\"errors\":" << errors() << ",\"elapsed_s\":" << elapsed
          << ",\"logins_per_s\":" << static_cast<double>(lat.size()) / elapsed
          << ",\"p50_ms\":" << percentile_ms(lat, 0.5) << ",\"p99_ms\":" << percentile_ms(lat, 0.99)
          << ",\"client_cpu_pct\":" << 100 * cpu / elapsed << ",\"scram_misses\":" << cache_.misses();
        print(o.str());
        // Let the stream closes go out before the process ends.
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        return errors() ? 1 : 0;
    }

    int register_accounts() {
        std::uint64_t t0 = now_ns();
        connect_all(opt_.n, false, true, "", round_robin);
        double elapsed = static_cast<double>(now_ns() - t0) / 1e9;
        auto lat = all_latencies();
        std::ostringstream o;
        o << "\"n\":" << opt_.n << ",\"ok\":" << lat.size() << ",\"errors\":" << errors()
          << ",\"elapsed_s\":" << elapsed;
        print(o.str());
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        return errors() ? 1 : 0;
    }

    int idle() {
        long before = opt_.server_pid ? rss_kib(opt_.server_pid) : -1;
        std::uint64_t t0 = now_ns();
        connect_all(opt_.n, true, false, "i", round_robin);
        double elapsed = static_cast<double>(now_ns() - t0) / 1e9;
        std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<long>(opt_.settle * 1000)));
        long after = opt_.server_pid ? rss_kib(opt_.server_pid) : -1;
        std::size_t held = 0;
        for (auto& c : conns_) held += c && c->open();
        auto lat = all_latencies();
        std::ostringstream o;
        o << "\"n\":" << opt_.n << ",\"held\":" << held << ",\"errors\":" << errors()
          << ",\"login_elapsed_s\":" << elapsed << ",\"rss_before_kib\":" << before << ",\"rss_after_kib\":" << after
          << ",\"rss_per_session_kib\":"
          << (held && before > 0 ? static_cast<double>(after - before) / static_cast<double>(held) : -1.0)
          << ",\"client_rss_kib\":" << rss_kib(getpid());
        print(o.str());
        std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<long>(opt_.hold * 1000)));
        return held == opt_.n ? 0 : 1;
    }

    // --- message flows (msg, xmq) --------------------------------------------------

    void credit(Connection& c, std::uint32_t n) {
        c.in_flight -= n;
        if (running_.load(std::memory_order_relaxed) && opt_.rate <= 0) top_up(c);
    }

    void send_one(Connection& c, std::string& batch) {
        batch += head_[c.index()];
        batch += token(c.index(), now_ns());
        batch += tail_;
        c.in_flight += copies_;
        ++c.sent;
        if (c.sm.enabled && ++c.sm.sent - c.sm.requested_at >= opt_.ack_every) {
            batch += "<r xmlns='urn:xmpp:sm:3'/>";
            c.sm.requested_at = c.sm.sent;
        }
    }

    void top_up(Connection& c) {
        std::string batch;
        while (c.in_flight < flight_ && (!limit_ || c.sent < limit_))
            send_one(c, batch);
        if (!batch.empty()) c.send(batch);
    }

    // Fixed offered rate: each worker sends its share every millisecond, round-robin
    // over its senders, skipping any with too much in flight.
    asio::awaitable<void> pace(Worker& w, std::vector<Connection*> senders) {
        if (senders.empty()) co_return;
        asio::steady_timer timer(w.io);
        double per_ns = opt_.rate / static_cast<double>(workers_.size()) / 1e9;
        double budget = 0;
        std::uint64_t last = now_ns();
        std::size_t rr = 0;
        const std::int64_t cap = 1000 * static_cast<std::int64_t>(copies_);
        while (running_.load(std::memory_order_relaxed)) {
            timer.expires_after(std::chrono::microseconds(1000));
            co_await timer.async_wait(asio::use_awaitable);
            std::uint64_t t = now_ns();
            budget += per_ns * static_cast<double>(t - last);
            last = t;
            for (std::size_t tries = 0; budget >= 1 && tries < senders.size() * 4; ++tries) {
                Connection& c = *senders[rr++ % senders.size()];
                if (!c.open() || c.in_flight >= cap) continue;
                std::string one;
                send_one(c, one);
                c.send(one);
                budget -= 1;
            }
            if (budget > 1000) budget = 1000;  // do not burst after a stall
        }
    }

    // Drives the senders for warm-up + measured duration; returns the figures.
    std::string flow(const std::vector<std::uint32_t>& sender_ids, const std::string& extra) {
        for (auto& c : conns_)
            if (c)
                asio::co_spawn(workers_[c->worker()]->io,
                               sm_ || phase_ == Phase::acked ? c->read_elements(static_cast<ElementSink&>(*this))
                                   : c->read_tokens(static_cast<TokenSink&>(*this)),
                               asio::detached);
        running_ = true;
        for (auto& w : workers_) {
            std::vector<Connection*> mine;
            for (auto id : sender_ids)
                if (conns_[id] && conns_[id]->worker() == w->id) mine.push_back(conns_[id].get());
            asio::post(w->io, [this, w = w.get(), mine] {
                w->latencies.clear();
                if (opt_.rate > 0) {
                    asio::co_spawn(w->io, pace(*w, mine), asio::detached);
                } else {
                    for (auto* c : mine) top_up(*c);
                }
            });
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<long>(opt_.warmup * 1000)));
        std::uint64_t d0 = 0;
        for (auto& w : workers_) d0 += w->delivered.load();
        double cpu0 = cpu_seconds();
        std::uint64_t t0 = now_ns();
        measuring_ = true;
        std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<long>(opt_.duration * 1000)));
        measuring_ = false;
        double elapsed = static_cast<double>(now_ns() - t0) / 1e9;
        double cpu = cpu_seconds() - cpu0;
        running_ = false;
        std::uint64_t d1 = 0;
        for (auto& w : workers_) d1 += w->delivered.load();
        // Stop the threads before reading their latency samples.
        for (auto& w : workers_) w->io.stop();
        for (auto& w : workers_) w->thread.join();
        auto lat = all_latencies();
        std::size_t open = 0;
        for (auto& c : conns_) open += c && c->open();
        delivered_per_s_ = static_cast<double>(d1 - d0) / elapsed;
        measured_s_ = elapsed;
        std::ostringstream o;
        o << extra << ",\"window\":" << opt_.window << ",\"offered_rate\":" << opt_.rate
          << ",\"duration_s\":" << elapsed << ",\"delivered\":" << (d1 - d0)
          << ",\"delivered_per_s\":" << static_cast<double>(d1 - d0) / elapsed
          << ",\"p50_ms\":" << percentile_ms(lat, 0.5) << ",\"p99_ms\":" << percentile_ms(lat, 0.99)
          << ",\"client_cpu_pct\":" << 100 * cpu / elapsed << ",\"open\":" << open << ",\"errors\":" << errors();
        return o.str();
    }

    int msg() {
        std::uint32_t count = 2 * opt_.pairs;
        sm_ = opt_.scenario == "msg-sm-mam";
        phase_ = Phase::flow;
        connect_all(count, true, false, "m", by_pair);
        if (errors()) {
            print("\"error\":\"login failed\",\"errors\":" + std::to_string(errors()));
            return 1;
        }
        head_.resize(count);
        std::vector<std::uint32_t> senders;
        for (std::uint32_t j = 0; j < count; ++j) {
            std::uint32_t peer = j ^ 1u;
            head_[j] = "<message to='" + user(peer) + "@" + opt_.target.domain + "/m" + std::to_string(peer) +
                       "' type='chat' id='b'><body>";
            senders.push_back(j);
        }
        tail_ = std::string(100 - token_size, 'x') + "</body></message>";
        copies_ = 1;
        flight_ = opt_.window;
        std::string figures = flow(senders, "\"pairs\":" + std::to_string(opt_.pairs));
        if (sm_) {
            // The threads are joined: every connection's counters can be read here.
            std::uint64_t acks_in = 0, requests_in = 0, acked_by_server = 0, sent = 0, over = 0;
            for (auto& c : conns_) {
                if (!c) continue;
                acks_in += c->sm.acks_in;
                requests_in += c->sm.requests_in;
                acked_by_server += c->sm.server_h;
                sent += c->sm.sent;
                over += c->sm.server_h > c->sm.sent;  // the server acknowledged more than we sent
            }
            figures += ",\"ack_every\":" + std::to_string(opt_.ack_every) + ",\"sm_acks_in\":" +
                       std::to_string(acks_in) + ",\"sm_requests_in\":" + std::to_string(requests_in) +
                       ",\"sm_stanzas_sent\":" + std::to_string(sent) + ",\"sm_acked_by_server\":" +
                       std::to_string(acked_by_server) + ",\"sm_bad_acks\":" + std::to_string(over);
        }
        print(figures);
        return 0;
    }

    // An acking consumer's side of an acked queue (docs/xmq.md, reliable queues):
    // every delivery carries a tag; every --ack-every deliveries the consumer acks
    // their ids in one command; the queue's answers come in order.
    void acked_element(Connection& c, std::string_view name, std::string_view element) {
        Worker& w = *workers_[c.worker()];
        if (name == "message") {
            if (attribute(element, "type") == "error") {
                ++w.publish_errors;  // an answer to a publisher, not a delivery
                return;
            }
            scan_tokens(element, [&](std::uint32_t sender, std::uint64_t ns) { on_token(c, sender, ns); });
            auto tag = delivery_tag(element);
            if (!tag) {
                ++w.untagged;
                return;
            }
            if (tag->attempt > 1) ++w.redelivered;
            AckState& a = acks_[c.index()];
            a.pending.push_back(std::move(tag->id));
            if (a.pending.size() >= opt_.ack_every) {
                c.send(ack_command(opt_.route, "ack" + std::to_string(++a.sent), a.pending));
                a.answers_due.push_back(a.pending.size());
                a.pending.clear();
            }
        } else if (name == "iq") {
            AckState& a = acks_[c.index()];
            if (a.answers_due.empty()) return;
            std::size_t n = a.answers_due.front();
            a.answers_due.erase(a.answers_due.begin());
            if (!is_result(std::string(element)))
                ++w.ack_errors;
            else if (measuring_.load(std::memory_order_relaxed))
                w.acknowledged += n;
        }
    }

    int xmq(bool all, bool acked = false) {
        std::uint32_t count = opt_.publishers + opt_.consumers;
        connect_all(count, true, false, "q", round_robin);
        if (errors()) {
            print("\"error\":\"login failed\",\"errors\":" + std::to_string(errors()));
            return 1;
        }
        // Subscribe the consumers (one after another: not measured).
        for (std::uint32_t j = opt_.publishers; j < count; ++j) {
            auto c = conns_[j];
            std::promise<bool> answered;
            auto result = answered.get_future();
            std::string id = "sub" + std::to_string(j);
            std::string xml = "<iq type='set' id='" + id + "' to='" + opt_.route +
                              "'><xmq xmlns='xmq:command' command='sub' topic='" + opt_.topic +
                              "' ttl='3600' load='1'/></iq>";
            asio::co_spawn(workers_[c->worker()]->io, c->iq(xml, id, opt_.timeout),
                           [&answered](std::exception_ptr e, bool ok) { answered.set_value(!e && ok); });
            if (!result.get()) {
                print("\"error\":\"subscription refused\"");
                return 1;
            }
        }
        head_.assign(count, "<message to='" + opt_.route + "' type='normal'><body>");
        tail_ = std::string(100 - token_size, 'x') + "</body><xmq xmlns='xmq:topic' topic='" + opt_.topic +
                "'/></message>";
        copies_ = all ? opt_.consumers : 1;
        // The window counts deliveries, W per consumer for each publisher: W
        // publishes of C copies each on ALL, W x C publishes on ANY. Each
        // consumer then has W x P deliveries in flight on either queue type, so
        // the two figures compare the same load per connection (a window of W
        // publishes on ANY would leave each consumer W x P / C).
        flight_ = static_cast<std::int64_t>(opt_.window) * opt_.consumers;
        std::vector<std::uint32_t> senders;
        for (std::uint32_t j = 0; j < opt_.publishers; ++j) senders.push_back(j);
        if (acked) {
            phase_ = Phase::acked;
            acks_.assign(count, AckState{});
        }
        std::string figures = flow(senders, "\"publishers\":" + std::to_string(opt_.publishers) +
                                                ",\"consumers\":" + std::to_string(opt_.consumers) +
                                                ",\"deliveries_in_flight_per_publisher\":" + std::to_string(flight_));
        // Publishes accepted per second: each is C deliveries on ALL, one on ANY.
        figures += ",\"published_per_s\":" + std::to_string(delivered_per_s_ / static_cast<double>(copies_));
        if (acked) {
            // The threads are joined: their counters can be read here.
            std::uint64_t acknowledged = 0, ack_errors = 0, untagged = 0, redelivered = 0, publish_errors = 0;
            for (auto& w : workers_) {
                acknowledged += w->acknowledged;
                ack_errors += w->ack_errors;
                untagged += w->untagged;
                redelivered += w->redelivered;
                publish_errors += w->publish_errors;
            }
            figures += ",\"ack_every\":" + std::to_string(opt_.ack_every) + ",\"acknowledged\":" +
                       std::to_string(acknowledged) + ",\"acknowledged_per_s\":" +
                       std::to_string(static_cast<double>(acknowledged) / measured_s_) + ",\"ack_errors\":" +
                       std::to_string(ack_errors) + ",\"untagged\":" + std::to_string(untagged) +
                       ",\"redelivered\":" + std::to_string(redelivered) + ",\"publish_errors\":" +
                       std::to_string(publish_errors);
            print(figures);
            return ack_errors || untagged || publish_errors ? 1 : 0;
        }
        print(figures);
        return 0;
    }


    // --- stream management and archives (issue 15) ---------------------------------

    // Runs `each` on every kept connection, on its own thread; returns when all have run.
    void on_each(const std::function<void(Connection&, ResumeTrack&)>& each) {
        if (track_.size() < conns_.size()) track_.resize(conns_.size());
        std::latch done(static_cast<std::ptrdiff_t>(workers_.size()));
        for (auto& w : workers_) {
            asio::post(w->io, [this, w = w.get(), &each, &done] {
                for (auto& c : conns_)
                    if (c && c->worker() == w->id) each(*c, track_[c->index()]);
                done.count_down();
            });
        }
        done.wait();
    }

    // Waits until `counter` reaches `target` or `seconds` pass; true when it did.
    static bool wait_for(const std::atomic<std::uint32_t>& counter, std::uint32_t target, double seconds) {
        auto deadline = Clock::now() + std::chrono::microseconds(static_cast<long long>(seconds * 1e6));
        while (counter.load() < target) {
            if (Clock::now() > deadline) return false;
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        return true;
    }

    void spawn_element_readers() {
        for (auto& c : conns_)
            if (c)
                asio::co_spawn(workers_[c->worker()]->io, c->read_elements(static_cast<ElementSink&>(*this)),
                               asio::detached);
    }

    std::uint32_t expected_resent(const ResumeTrack& t) const {
        std::uint32_t n = 0;
        for (std::size_t i = 0; i < t.before.size(); ++i) n += t.before_h[i] > t.h;
        return n;
    }

    // resume, before the drop: messages arrive and are counted, <r/> is not answered
    // (an answer would acknowledge what must stay unacknowledged).
    void fill_element(Connection& c, std::string_view name, std::string_view element) {
        ResumeTrack& t = track_[c.index()];
        if (is_stanza(name)) {
            ++c.sm.received;
            if (name != "message") return;
            scan_tokens(element, [&](std::uint32_t, std::uint64_t ns) {
                t.before.push_back(ns);
                t.before_h.push_back(c.sm.received);
                if (t.before.size() == opt_.messages) filled_.fetch_add(1);
            });
        } else if (name == "r") {
            ++c.sm.requests_in;
        } else if (name == "a") {
            ++c.sm.acks_in;
            if (t.sync_asked && !t.synced) {
                t.synced = true;
                synced_.fetch_add(1);
            }
        }
    }

    // resume, after the reconnect: <resumed/>, then the resent stanzas.
    void resumed_element(Connection& c, std::string_view name, std::string_view element) {
        ResumeTrack& t = track_[c.index()];
        if (name == "resumed") {
            t.resumed_ns = now_ns();
            if (expected_resent(t) == 0) {
                t.all_resent_ns = t.resumed_ns;
                finished_.fetch_add(1);
            }
        } else if (name == "failed") {
            t.failure = std::string(element.substr(0, 300));
            finished_.fetch_add(1);
        } else if (is_stanza(name)) {
            ++c.sm.received;
            if (name != "message" || !t.resumed_ns) return;
            scan_tokens(element, [&](std::uint32_t, std::uint64_t ns) {
                t.resent.push_back(ns);
                if (t.resent.size() == expected_resent(t) && !t.all_resent_ns) {
                    t.all_resent_ns = now_ns();
                    finished_.fetch_add(1);
                }
            });
        } else if (name == "r") {
            send_ack(c);
        }
    }

    // resume and hibernated-memory: N sessions with stream management get a few
    // messages (some left unacknowledged), lose their TCP connections at once,
    // reconnect, authenticate and resume at once.
    int resume() {
        const std::uint32_t n = opt_.n;
        long rss_before = opt_.server_pid ? rss_kib(opt_.server_pid) : -1;
        sm_ = true;
        phase_ = Phase::fill;
        track_.assign(n, {});
        connect_all(n, true, false, "s", round_robin);
        if (errors()) {
            print("\"error\":\"login failed\",\"errors\":" + std::to_string(errors()));
            return 1;
        }
        // Let every initial presence come back before the messages, so that the
        // last stanzas each session receives are the messages.
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        spawn_element_readers();
        if (opt_.messages == 0) filled_ = n;
        on_each([&](Connection& c, ResumeTrack&) {
            std::uint32_t to = (c.index() + 1) % n;
            std::string head = "<message to='" + user(to) + "@" + opt_.target.domain + "/s" + std::to_string(to) +
                               "' type='chat'><body>";
            std::string batch;
            std::uint64_t base = now_ns();
            for (unsigned i = 0; i < opt_.messages; ++i) {
                batch += head + token(c.index(), base + i) + "</body></message>";
                ++c.sm.sent;
            }
            if (!batch.empty()) c.send(batch);
        });
        if (!wait_for(filled_, n, opt_.timeout)) {
            print("\"error\":\"messages not delivered before the drop\",\"filled\":" + std::to_string(filled_.load()));
            return 1;
        }
        // Acknowledge all but the last `unacked` stanzas, and wait until the server
        // has read that acknowledgement (it answers the <r/> behind it).
        on_each([&](Connection& c, ResumeTrack& t) {
            t.h = c.sm.received >= opt_.unacked ? c.sm.received - opt_.unacked : 0;
            t.sync_asked = true;
            c.send("<a xmlns='urn:xmpp:sm:3' h='" + std::to_string(t.h) + "'/><r xmlns='urn:xmpp:sm:3'/>");
        });
        if (!wait_for(synced_, n, opt_.timeout)) {
            print("\"error\":\"server did not answer <r/>\",\"synced\":" + std::to_string(synced_.load()));
            return 1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<long>(opt_.settle * 1000)));
        long rss_live = opt_.server_pid ? rss_kib(opt_.server_pid) : -1;
        on_each([](Connection& c, ResumeTrack&) { c.abort(); });
        std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<long>(opt_.settle * 1000)));
        long rss_hibernated = opt_.server_pid ? rss_kib(opt_.server_pid) : -1;

        // Reconnect and authenticate every session, then resume them all at once.
        for (auto& c : conns_) dropped_.push_back(std::move(c));
        std::uint64_t login_errors = errors();
        auth_only_ = true;
        connect_all(n, true, false, "", round_robin);
        std::uint64_t reconnect_errors = errors() - login_errors;
        phase_ = Phase::resumed;
        std::uint32_t reconnected = 0;
        for (auto& c : conns_) reconnected += c != nullptr;
        on_each([&](Connection& c, ResumeTrack& t) {
            c.sm = SmState{};
            c.sm.enabled = true;
            c.sm.received = t.h;
            t.resume_sent_ns = now_ns();
            c.send("<resume xmlns='urn:xmpp:sm:3' h='" + std::to_string(t.h) + "' previd='" +
                   dropped_[c.index()]->sm.id + "'/>");
        });
        spawn_element_readers();
        bool all = wait_for(finished_, reconnected, opt_.timeout);
        // Duplicates would come right behind the first copies.
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        for (auto& w : workers_) w->io.stop();
        for (auto& w : workers_) w->thread.join();

        std::vector<std::uint64_t> resume_lat, resent_lat;
        std::uint64_t failed = 0, expected = 0, resent = 0, missing = 0, duplicates = 0, unexpected = 0,
                      mismatched = 0, not_resumed = 0;
        for (std::uint32_t j = 0; j < n; ++j) {
            ResumeTrack& t = track_[j];
            if (!conns_[j]) continue;  // its reconnect failed (counted in reconnect_errors)
            if (!t.failure.empty()) {
                if (++failed <= 3) std::cerr << "loadgen: session " << j << ": resume failed: " << t.failure << "\n";
                continue;
            }
            if (!t.resumed_ns) {
                ++not_resumed;
                continue;
            }
            resume_lat.push_back(t.resumed_ns - t.resume_sent_ns);
            if (t.all_resent_ns) resent_lat.push_back(t.all_resent_ns - t.resume_sent_ns);
            std::multiset<std::uint64_t> want, got(t.resent.begin(), t.resent.end());
            for (std::size_t i = 0; i < t.before.size(); ++i)
                if (t.before_h[i] > t.h) want.insert(t.before[i]);
            expected += want.size();
            resent += got.size();
            std::uint64_t m = 0, d = 0, u = 0;
            for (auto ts : want) m += got.count(ts) == 0;
            for (auto it = got.begin(); it != got.end(); it = got.upper_bound(*it)) {
                std::size_t k = got.count(*it);
                if (want.count(*it) == 0) u += k;
                else d += k - 1;
            }
            missing += m;
            duplicates += d;
            unexpected += u;
            if (m || d || u) {
                if (++mismatched <= 3)
                    std::cerr << "loadgen: session " << j << ": " << want.size() << " unacked, " << got.size()
                              << " resent (" << m << " missing, " << d << " duplicated, " << u
                              << " not expected)\n";
            }
        }
        std::ostringstream o;
        auto per = [&](long after) {
            return after > 0 && rss_before > 0 ? static_cast<double>(after - rss_before) / n : -1.0;
        };
        o << "\"n\":" << n << ",\"messages\":" << opt_.messages << ",\"unacked\":" << opt_.unacked
          << ",\"reconnected\":" << reconnected << ",\"reconnect_errors\":" << reconnect_errors
          << ",\"resumed\":" << resume_lat.size() << ",\"failed\":" << failed << ",\"not_resumed\":" << not_resumed
          << ",\"p50_ms\":" << percentile_ms(resume_lat, 0.5) << ",\"p99_ms\":" << percentile_ms(resume_lat, 0.99)
          << ",\"resent_p50_ms\":" << percentile_ms(resent_lat, 0.5)
          << ",\"resent_p99_ms\":" << percentile_ms(resent_lat, 0.99) << ",\"expected_resent\":" << expected
          << ",\"resent\":" << resent << ",\"missing\":" << missing << ",\"duplicates\":" << duplicates
          << ",\"unexpected\":" << unexpected << ",\"mismatched_sessions\":" << mismatched
          << ",\"rss_before_kib\":" << rss_before << ",\"rss_live_kib\":" << rss_live
          << ",\"rss_hibernated_kib\":" << rss_hibernated << ",\"kib_per_live_session\":" << per(rss_live)
          << ",\"kib_per_hibernated_session\":" << per(rss_hibernated) << ",\"errors\":"
          << (reconnect_errors + failed + not_resumed + mismatched + (all ? 0 : 1));
        print(o.str());
        if (mismatched)
            std::cerr << "loadgen: RESEND MISMATCH: " << mismatched << " sessions did not get each unacked stanza "
                      << "exactly once\n";
        return reconnect_errors || failed || not_resumed || mismatched || !all ? 1 : 0;
    }

    struct QueryFigures {
        std::vector<std::uint64_t> latencies;
        std::uint64_t wrong_count = 0, errors = 0, first_ns = 0;
        long archive_count = -1;
        std::string first_problem;
    };

    asio::awaitable<void> query_loop(std::shared_ptr<Connection> c, QueryFigures& f) {
        for (unsigned k = 0; k < opt_.queries; ++k) {
            std::string id = "mq" + std::to_string(k);
            std::uint64_t t0 = now_ns();
            c->send("<iq type='set' id='" + id + "'><query xmlns='urn:xmpp:mam:2' queryid='" + id +
                    "'><set xmlns='http://jabber.org/protocol/rsm'><max>" + std::to_string(opt_.page) +
                    "</max><before/></set></query></iq>");
            unsigned results = 0;
            for (;;) {
                auto [name, element] = co_await c->next_element(opt_.timeout);
                if (name == "message" && (element.find("queryid='" + id + "'") != std::string::npos ||
                                          element.find("queryid=\"" + id + "\"") != std::string::npos)) {
                    ++results;
                } else if (name == "iq" && attribute(element, "id") == id) {
                    std::uint64_t t1 = now_ns();
                    if (!is_result(element) || element.find("<fin") == std::string::npos) {
                        ++f.errors;
                        if (f.first_problem.empty()) f.first_problem = element.substr(0, 300);
                    } else {
                        f.latencies.push_back(t1 - t0);
                        if (k == 0) f.first_ns = t1 - t0;
                        auto cb = element.find("<count>");
                        if (cb != std::string::npos) f.archive_count = std::strtol(element.c_str() + cb + 7, nullptr, 10);
                    }
                    if (results != opt_.page) {
                        ++f.wrong_count;
                        if (f.first_problem.empty())
                            f.first_problem = id + ": " + std::to_string(results) + " results";
                    }
                    break;
                }
            }
        }
    }

    // mam-query: optionally fill one account's archive through the server (a
    // second account sends it chat messages, W in flight), then time sequential
    // queries of the last page of that archive on a fresh session.
    int mam_query() {
        std::ostringstream o;
        o << "\"queries\":" << opt_.queries << ",\"page\":" << opt_.page;
        if (opt_.archive > 0) {
            connect_all(2, true, false, "f", round_robin);
            if (errors()) {
                print("\"error\":\"login failed\",\"errors\":" + std::to_string(errors()));
                return 1;
            }
            head_.assign(2, "<message to='" + user(0) + "@" + opt_.target.domain + "/f0' type='chat'><body>");
            tail_ = std::string(100 - token_size, 'x') + "</body></message>";
            copies_ = 1;
            flight_ = opt_.window;
            limit_ = opt_.archive;
            for (auto& c : conns_) asio::co_spawn(workers_[c->worker()]->io, c->read_tokens(*this), asio::detached);
            std::uint64_t t0 = now_ns();
            measuring_ = true;
            running_ = true;
            Connection* sender = conns_[1].get();
            asio::post(workers_[sender->worker()]->io, [this, sender] { top_up(*sender); });
            auto deadline = Clock::now() + std::chrono::microseconds(static_cast<long long>(opt_.fill_timeout * 1e6));
            std::uint64_t delivered = 0;
            while (Clock::now() < deadline) {
                delivered = 0;
                for (auto& w : workers_) delivered += w->delivered.load();
                if (delivered >= opt_.archive) break;
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
            }
            double fill_s = static_cast<double>(now_ns() - t0) / 1e9;
            running_ = false;
            measuring_ = false;
            on_each([](Connection& c, ResumeTrack&) { c.close(true); });
            for (auto& c : conns_) dropped_.push_back(std::move(c));
            o << ",\"filled\":" << delivered << ",\"fill_s\":" << fill_s
              << ",\"fill_per_s\":" << static_cast<double>(delivered) / fill_s;
            if (delivered < opt_.archive) {
                print(o.str() + ",\"error\":\"archive not filled within --fill-timeout\",\"errors\":1");
                return 1;
            }
            // Whatever the server still has to write goes out before the queries.
            std::this_thread::sleep_for(std::chrono::milliseconds(2000));
        }
        auto c = std::make_shared<Connection>(workers_[0]->io, tls_, 0, 0);
        QueryFigures f;
        std::promise<std::string> done;
        auto result = done.get_future();
        asio::co_spawn(
            workers_[0]->io,
            [&]() -> asio::awaitable<void> {
                co_await c->connect(opt_.target, opt_.timeout);
                co_await c->login(opt_.target, user(0), "q", cache_, opt_.timeout);
                co_await query_loop(c, f);
            },
            [&done](std::exception_ptr e) {
                std::string what;
                if (e) try {
                        std::rethrow_exception(e);
                    } catch (const std::exception& x) {
                        what = x.what();
                    }
                done.set_value(what);
            });
        std::string failure = result.get();
        c->close(true);
        if (!failure.empty()) std::cerr << "loadgen: mam-query: " << failure << "\n";
        if (!f.first_problem.empty()) std::cerr << "loadgen: mam-query: " << f.first_problem << "\n";
        o << ",\"ok\":" << f.latencies.size() << ",\"wrong_count\":" << f.wrong_count
          << ",\"archive_count\":" << f.archive_count
          << ",\"first_ms\":" << static_cast<double>(f.first_ns) / 1e6
          << ",\"p50_ms\":" << percentile_ms(f.latencies, 0.5) << ",\"p99_ms\":" << percentile_ms(f.latencies, 0.99)
          << ",\"max_ms\":" << percentile_ms(f.latencies, 1.0)
          << ",\"errors\":" << (f.errors + f.wrong_count + (failure.empty() ? 0 : 1));
        print(o.str());
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        return f.errors || f.wrong_count || !failure.empty() ? 1 : 0;
    }

    // --- PEP (pep-roster, pep-publish) --------------------------------------------
    // Connection 0 is the publisher (account user(0)), connections 1..n its
    // contacts; every one of them is a receiver of the bench node's notifications
    // (the contacts by their presence subscription, the publisher's own resource
    // as an own resource), all with caps saying +notify.

    struct PepState {
        std::string nonce;                  // this run's mark in every payload
        std::uint32_t receivers = 0, items = 0;
        std::vector<std::uint64_t> latency;  // [item * receivers + r]: ns + 1, 0 = not received (r's thread only)
        std::unique_ptr<std::atomic<std::uint32_t>[]> have;     // per item: receivers that got it
        std::unique_ptr<std::atomic<std::uint8_t>[]> answered;  // per item: 1 result, 2 error
        std::vector<std::uint8_t> warm;      // per receiver: a warm-up item arrived (r's thread only)
        std::atomic<std::uint32_t> warm_count{0};
        std::atomic<std::uint32_t> caps_queries{0};  // disco#info requests the server sent the receivers
        std::atomic<std::uint64_t> duplicates{0}, to_bare{0}, publish_errors{0}, last_arrival_ns{0};
        std::mutex mutex;                    // the publisher's answers the main thread waits for
        std::string first_error, first_duplicate, disco, roster;
        std::uint32_t roster_seq = 0;
    };

    std::string publisher_jid() const { return user(0) + "@" + opt_.target.domain; }

    void pep_element(Connection& c, std::string_view name, std::string_view element) {
        if (name == "message") {
            bool to_bare = attribute(element, "to").find('/') == std::string::npos;
            for (const PepPayload& p : pep_payloads(element, pep_.nonce)) {
                if (p.marker == 'm' && to_bare) pep_.to_bare.fetch_add(1, std::memory_order_relaxed);
                if (!pep_arrival(c.index(), p)) {
                    std::lock_guard lock(pep_.mutex);
                    if (pep_.first_duplicate.empty()) pep_.first_duplicate = std::string(element.substr(0, 600));
                }
            }
        } else if (name == "iq") {
            std::string reply = answer_request(element);
            if (!reply.empty()) {
                if (reply.find("disco#info") != std::string::npos && attribute(reply, "type") == "result")
                    pep_.caps_queries.fetch_add(1, std::memory_order_relaxed);
                c.send(reply);
            } else if (c.index() == 0) {
                pep_answer(element);
            }
        } else if (name == "presence" && attribute(element, "type") == "subscribe") {
            std::string from = bare_jid(attribute(element, "from"));
            if (!from.empty()) c.send("<presence to='" + from + "' type='subscribed'/>");
        }
    }

    // False for a measured item this receiver had already.
    bool pep_arrival(std::uint32_t r, const PepPayload& p) {
        std::uint64_t now = now_ns();
        if (p.marker == 'w') {
            if (!pep_.warm[r]) pep_.warm[r] = 1, pep_.warm_count.fetch_add(1);
            return true;
        }
        if (p.marker != 'm' || p.item >= pep_.items) return true;
        std::uint64_t& slot = pep_.latency[std::size_t{p.item} * pep_.receivers + r];
        if (slot) {
            pep_.duplicates.fetch_add(1, std::memory_order_relaxed);
            return false;
        }
        slot = now - p.sent_ns + 1;
        pep_.have[p.item].fetch_add(1);
        for (std::uint64_t last = pep_.last_arrival_ns.load(); last < now;)
            if (pep_.last_arrival_ns.compare_exchange_weak(last, now)) break;
        return true;
    }

    // The publisher's answers: to publishes ("m<k>", "w<k>"), to its disco#info and roster gets.
    void pep_answer(std::string_view element) {
        std::string id = attribute(element, "id");
        bool ok = is_result(std::string(element));
        std::lock_guard lock(pep_.mutex);
        if (!ok && pep_.first_error.empty()) pep_.first_error = std::string(element.substr(0, 400));
        if (id == "pep-disco") {
            pep_.disco = element;
        } else if (id.rfind("roster", 0) == 0) {
            pep_.roster = element;
            ++pep_.roster_seq;
        } else if (id.size() > 1 && (id[0] == 'm' || id[0] == 'w')) {
            if (!ok) pep_.publish_errors.fetch_add(1);
            auto k = std::strtoul(id.c_str() + 1, nullptr, 10);
            if (id[0] == 'm' && k < pep_.items) pep_.answered[k] = ok ? 1 : 2;
        }
    }

    // Sends from connection `j` on its own thread.
    void send_from(std::uint32_t j, std::function<std::string()> make) {
        Connection* c = conns_[j].get();
        asio::post(workers_[c->worker()]->io, [c, make = std::move(make)] { c->send(make()); });
    }

    // One item to the bench node; its payload carries the send time, taken on the publisher's thread.
    void pep_send_item(char marker, std::uint32_t k) {
        send_from(0, [this, marker, k] {
            std::string id = marker + std::to_string(k);
            std::string text = marker + pep_.nonce + token(k, now_ns());
            text.resize(100, 'x');
            return publish_iq(id, id, text);
        });
    }

    // Waits until `ready()` or `seconds` pass (polled every 200 µs); true when ready.
    static bool wait_until(const std::function<bool()>& ready, double seconds) {
        auto deadline = Clock::now() + std::chrono::microseconds(static_cast<long long>(seconds * 1e6));
        while (!ready()) {
            if (Clock::now() > deadline) return false;
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
        return true;
    }

    // Logs the publisher and its n contacts in and starts their read loops; false on a failed login.
    bool pep_connect(const std::string& presence) {
        std::uint32_t count = opt_.n + 1;
        pep_.receivers = count;
        pep_.warm.assign(count, 0);
        presence_ = presence;
        phase_ = Phase::pep;
        connect_all(count, true, false, "c", round_robin);
        if (errors()) {
            print("\"error\":\"login failed\",\"errors\":" + std::to_string(errors()));
            return false;
        }
        for (auto& c : conns_)
            asio::co_spawn(workers_[c->worker()]->io, c->read_elements(static_cast<ElementSink&>(*this)),
                           asio::detached);
        return true;
    }

    void pep_close() {
        on_each([](Connection& c, ResumeTrack&) { c.close(true); });
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }

    // The publisher's roster: how many of its contacts have subscription both; bounded by --timeout.
    std::uint32_t pep_contacts_both(unsigned round) {
        std::uint32_t seq;
        {
            std::lock_guard lock(pep_.mutex);
            seq = pep_.roster_seq;
        }
        send_from(0, [round] {
            return "<iq type='get' id='roster" + std::to_string(round) + "'><query xmlns='jabber:iq:roster'/></iq>";
        });
        bool answered = wait_until([&] {
            std::lock_guard lock(pep_.mutex);
            return pep_.roster_seq != seq;
        }, opt_.timeout);
        if (!answered) return 0;
        std::lock_guard lock(pep_.mutex);
        auto items = roster_subscriptions(pep_.roster);
        std::uint32_t both = 0;
        for (std::uint32_t j = 1; j <= opt_.n; ++j) {
            auto it = items.find(user(j) + "@" + opt_.target.domain);
            both += it != items.end() && it->second == "both";
        }
        return both;
    }

    // pep-roster: makes user(1..n) contacts of user(0) with subscription both, both
    // ways, by the subscription handshake (RFC 6121 §3): each side asks, each side
    // approves what it is asked. Contacts already both are left alone; bounded by
    // --fill-timeout.
    int pep_roster() {
        std::uint64_t t0 = now_ns();
        if (!pep_connect("")) return 1;
        std::uint32_t both = pep_contacts_both(0);
        std::uint32_t before = both;
        if (both < opt_.n) {
            std::string contacts;
            for (std::uint32_t j = 1; j <= opt_.n; ++j) {
                std::string contact = user(j) + "@" + opt_.target.domain;
                contacts += "<presence to='" + contact + "' type='subscribe'/>";
                send_from(j, [this] { return "<presence to='" + publisher_jid() + "' type='subscribe'/>"; });
            }
            send_from(0, [contacts] { return contacts; });
        }
        auto deadline = Clock::now() + std::chrono::microseconds(static_cast<long long>(opt_.fill_timeout * 1e6));
        for (unsigned round = 1; both < opt_.n && Clock::now() < deadline; ++round) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1000));
            both = pep_contacts_both(round);
        }
        double elapsed = static_cast<double>(now_ns() - t0) / 1e9;
        pep_close();
        std::ostringstream o;
        o << "\"contacts\":" << opt_.n << ",\"both_before\":" << before << ",\"both\":" << both
          << ",\"elapsed_s\":" << elapsed << ",\"errors\":" << (both == opt_.n ? 0 : 1);
        if (both < opt_.n) o << ",\"error\":\"only " << both << " of " << opt_.n << " contacts reached subscription both\"";
        print(o.str());
        return both == opt_.n ? 0 : 1;
    }

    // pep-publish: the contacts and the publisher sign in with caps +notify for the
    // bench node; warm-up items until every receiver has had one (the server then
    // knows the caps); then --items measured publishes, one at a time (the next
    // once every receiver has the last and the publish was answered, or after 2 s)
    // or, with --rate R, R per second; latency from the publish sent to each
    // notification read, over every (item, receiver).
    int pep_publish() {
        std::random_device rd;
        char nonce[9];
        std::snprintf(nonce, sizeof nonce, "%08x", rd());
        pep_.nonce = nonce;
        pep_.items = opt_.items;
        pep_.latency.assign(std::size_t{opt_.items} * (opt_.n + 1), 0);
        pep_.have = std::make_unique<std::atomic<std::uint32_t>[]>(opt_.items);
        pep_.answered = std::make_unique<std::atomic<std::uint8_t>[]>(opt_.items);
        std::uint64_t login0 = now_ns();
        if (!pep_connect(caps_presence())) return 1;
        double login_s = static_cast<double>(now_ns() - login0) / 1e9;
        const std::uint32_t receivers = pep_.receivers;
        auto fail = [&](const std::string& why) {
            pep_close();
            print("\"error\":\"" + why + "\",\"errors\":1");
            std::cerr << "loadgen: pep-publish: " << why << "\n";
            return 1;
        };

        // Does the account have PEP at all (XEP-0163 §6.1: identity pubsub/pep on its bare JID)?
        send_from(0, [this] {
            return "<iq type='get' id='pep-disco' to='" + publisher_jid() +
                   "'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>";
        });
        std::string disco;
        wait_until([&] {
            std::lock_guard lock(pep_.mutex);
            disco = pep_.disco;
            return !disco.empty();
        }, opt_.timeout);
        bool pep = false;
        for (auto p = disco.find("<identity"); p != std::string::npos && !pep; p = disco.find("<identity", p + 1)) {
            std::string_view tag(disco.data() + p, disco.size() - p);
            pep = attribute(tag, "category") == "pubsub" && attribute(tag, "type") == "pep";
        }
        if (!pep)
            return fail("no PEP: the account's disco#info has no pubsub/pep identity (" +
                        (disco.empty() ? std::string("no answer") : "answered without it") + ")");
        // Every contact must be one (a roster lost since pep-roster ran would read as missing notifications).
        std::uint32_t both = pep_contacts_both(0);
        if (both < opt_.n)
            return fail("roster not made: " + std::to_string(both) + " of " + std::to_string(opt_.n) +
                        " contacts have subscription both (run pep-roster first)");

        // Warm-up (not measured): a publish every second until every receiver has had one.
        std::uint64_t warm0 = now_ns();
        auto caps_deadline = Clock::now() + std::chrono::microseconds(static_cast<long long>(opt_.caps_timeout * 1e6));
        std::uint32_t warm_items = 0;
        while (pep_.warm_count.load() < receivers && Clock::now() < caps_deadline) {
            pep_send_item('w', warm_items++);
            wait_until([&] { return pep_.warm_count.load() >= receivers; }, 1.0);
        }
        double warm_s = static_cast<double>(now_ns() - warm0) / 1e9;
        if (pep_.warm_count.load() < receivers)
            return fail("only " + std::to_string(pep_.warm_count.load()) + " of " + std::to_string(receivers) +
                        " receivers had a warm-up notification within --caps-timeout (" +
                        std::to_string(warm_items) + " warm-up publishes)");
        std::this_thread::sleep_for(std::chrono::milliseconds(500));  // stray warm-up notifications drain

        double cpu0 = cpu_seconds();
        std::uint64_t t0 = now_ns();
        std::uint32_t sent = 0, stalled = 0;
        auto complete = [&](std::uint32_t k) { return pep_.have[k].load() >= receivers && pep_.answered[k].load(); };
        for (std::uint32_t k = 0; k < opt_.items && stalled < 3; ++k) {
            if (opt_.rate > 0) {
                auto due = std::chrono::nanoseconds(static_cast<std::uint64_t>(1e9 * k / opt_.rate));
                std::this_thread::sleep_until(epoch + std::chrono::nanoseconds(t0) + due);
            }
            pep_send_item('m', k);
            ++sent;
            if (opt_.rate <= 0 && !wait_until([&] { return complete(k); }, 2.0)) ++stalled;
        }
        wait_until([&] {
            for (std::uint32_t k = 0; k < sent; ++k)
                if (!complete(k)) return false;
            return true;
        }, 5.0);
        std::uint64_t t1 = std::max(pep_.last_arrival_ns.load(), t0 + 1);
        double cpu = cpu_seconds() - cpu0;
        double elapsed = static_cast<double>(t1 - t0) / 1e9;
        pep_close();
        for (auto& w : workers_) w->io.stop();
        for (auto& w : workers_) w->thread.join();

        std::vector<std::uint64_t> lat;
        lat.reserve(pep_.latency.size());
        for (std::size_t i = 0; i < std::size_t{sent} * receivers; ++i)
            if (pep_.latency[i]) lat.push_back(pep_.latency[i] - 1);
        std::uint64_t expected = std::uint64_t{opt_.items} * receivers, missing = expected - lat.size();
        std::uint32_t unanswered = 0;
        for (std::uint32_t k = 0; k < sent; ++k) unanswered += pep_.answered[k].load() == 0;
        // A second copy of an item (Prosody sends each contact one to its bare JID and one to its
        // full JID) is counted, not an error: the first one is the one timed.
        std::uint64_t errors = missing + pep_.publish_errors.load() + unanswered;
        std::ostringstream o;
        o << "\"contacts\":" << opt_.n << ",\"receivers\":" << receivers << ",\"items\":" << opt_.items
          << ",\"published\":" << sent << ",\"rate\":" << opt_.rate << ",\"login_s\":" << login_s
          << ",\"caps_queries\":" << pep_.caps_queries.load() << ",\"warmup_publishes\":" << warm_items << ",\"warmup_s\":" << warm_s
          << ",\"expected\":" << expected << ",\"received\":" << lat.size() << ",\"missing\":" << missing
          << ",\"duplicates\":" << pep_.duplicates.load() << ",\"to_bare_jid\":" << pep_.to_bare.load() << ",\"publish_errors\":" << pep_.publish_errors.load()
          << ",\"unanswered_publishes\":" << unanswered << ",\"duration_s\":" << elapsed
          << ",\"notifications_per_s\":" << static_cast<double>(lat.size()) / elapsed
          << ",\"p50_ms\":" << percentile_ms(lat, 0.5) << ",\"p99_ms\":" << percentile_ms(lat, 0.99)
          << ",\"max_ms\":" << percentile_ms(lat, 1.0) << ",\"client_cpu_pct\":" << 100 * cpu / elapsed
          << ",\"errors\":" << errors;
        {
            std::lock_guard lock(pep_.mutex);
            if (!pep_.first_error.empty()) std::cerr << "loadgen: pep-publish: first error: " << pep_.first_error << "\n";
            if (!pep_.first_duplicate.empty())
                std::cerr << "loadgen: pep-publish: first duplicate: " << pep_.first_duplicate << "\n";
        }
        print(o.str());
        return errors ? 1 : 0;
    }

    const Options& opt_;
    asio::ssl::context tls_;
    // --- group chat (muc-room, muc-join) --------------------------------------------

    std::string room_jid() const { return opt_.room + "@conference." + opt_.target.domain; }

    static bool has_status(std::string_view element, int code) {
        const std::string c = std::to_string(code);
        return element.find("code='" + c + "'") != std::string_view::npos ||
               element.find("code=\"" + c + "\"") != std::string_view::npos;
    }

    // Runs `task` on the connection's thread and waits for it; false (printed) when it threw.
    bool run_on(Connection& c, std::function<asio::awaitable<void>()> task, const std::string& what) {
        std::promise<std::string> done;
        auto finished = done.get_future();
        asio::co_spawn(workers_[c.worker()]->io, task(), [&done](std::exception_ptr e) {
            std::string error;
            if (e) {
                try {
                    std::rethrow_exception(e);
                } catch (const std::exception& x) {
                    error = x.what();
                    if (error.empty()) error = "failed";
                }
            }
            done.set_value(error);
        });
        const std::string error = finished.get();
        if (error.empty()) return true;
        std::cerr << "loadgen: " << what << ": " << error.substr(0, 300) << "\n";
        return false;
    }

    // Enters the room as `nick` asking for `history` messages; returns once its own presence
    // (status 110) came; a presence error throws.
    asio::awaitable<void> enter(Connection& c, std::string nick, unsigned history) {
        c.send("<presence to='" + room_jid() + "/" + nick + "'><x xmlns='http://jabber.org/protocol/muc'>"
               "<history maxstanzas='" + std::to_string(history) + "'/></x></presence>");
        for (;;) {
            auto [name, element] = co_await c.next_element(opt_.timeout);
            if (name != "presence") continue;
            if (attribute(element, "type") == "error") throw std::runtime_error("join refused: " + element);
            if (has_status(element, 110)) co_return;
        }
    }

    // The first occupant makes the room, unlocks it with the instant-room form (XEP-0045
    // §10.1.2, as ejabberd and Prosody lock new rooms until then), sets a subject and sends
    // `messages` groupchat messages ("hist-K"), waiting for the echo of the last.
    asio::awaitable<void> make_room(Connection& c, unsigned messages) {
        co_await enter(c, "owner", 0);
        const std::string room = room_jid();
        if (!co_await c.iq("<iq type='set' id='cfg' to='" + room + "'><query xmlns='http://jabber.org/protocol/"
                           "muc#owner'><x xmlns='jabber:x:data' type='submit'/></query></iq>",
                           "cfg", opt_.timeout))
            throw std::runtime_error("the instant room was refused");
        std::string batch = "<message to='" + room + "' type='groupchat' id='s'><subject>bench</subject></message>";
        for (unsigned i = 0; i < messages; ++i)
            batch += "<message to='" + room + "' type='groupchat' id='h" + std::to_string(i) + "'><body>hist-" +
                     std::to_string(i) + " " + std::string(90, 'x') + "</body></message>";
        c.send(batch);
        const std::string last = messages ? "hist-" + std::to_string(messages - 1) + " " : "<subject>bench<";
        for (;;) {
            auto [name, element] = co_await c.next_element(opt_.timeout);
            if (name == "message" && attribute(element, "type") == "error")
                throw std::runtime_error("groupchat refused: " + element);
            if (name == "message" && element.find(last) != std::string::npos) co_return;
        }
    }

    // muc-room: --n occupants enter one room one after another; the first --publishers of
    // them talk (W messages each in flight, a message being n deliveries: every occupant,
    // the sender too, gets it).
    int muc_room() {
        const std::uint32_t count = opt_.n;
        connect_all(count, true, false, "r", round_robin);
        if (errors()) {
            print("\"error\":\"login failed\",\"errors\":" + std::to_string(errors()));
            return 1;
        }
        if (!run_on(*conns_[0], [this] { return make_room(*conns_[0], 0); }, "making the room")) {
            print("\"error\":\"room not made\"");
            return 1;
        }
        for (std::uint32_t j = 1; j < count; ++j)
            if (!run_on(*conns_[j], [this, j] { return enter(*conns_[j], "o" + std::to_string(j), 0); }, "joining")) {
                print("\"error\":\"join failed\",\"joined\":" + std::to_string(j));
                return 1;
            }
        head_.assign(count, "<message to='" + room_jid() + "' type='groupchat' id='b'><body>");
        tail_ = std::string(100 - token_size, 'x') + "</body></message>";
        copies_ = count;
        flight_ = static_cast<std::int64_t>(opt_.window) * count;
        std::vector<std::uint32_t> senders;
        for (std::uint32_t j = 0; j < std::min(opt_.publishers, count); ++j) senders.push_back(j);
        print(flow(senders, "\"occupants\":" + std::to_string(count) + ",\"talkers\":" +
                                std::to_string(senders.size())));
        return 0;
    }

    // One joiner of muc-join: enters with --history messages asked for, timed until the
    // subject that ends the join (after the history), then leaves; until --queries joins were made.
    asio::awaitable<void> join_loop(Connection& c, std::atomic<unsigned>& next, std::atomic<unsigned>& wrong_history) {
        Worker& w = *workers_[c.worker()];
        const std::string occupant = room_jid() + "/j" + std::to_string(c.index());
        const std::string join = "<presence to='" + occupant + "'><x xmlns='http://jabber.org/protocol/muc'>"
                                 "<history maxstanzas='" + std::to_string(opt_.history) + "'/></x></presence>";
        while (next.fetch_add(1) < opt_.queries) {
            const std::uint64_t t0 = now_ns();
            c.send(join);
            unsigned history = 0;
            bool in = false;
            for (;;) {
                auto [name, element] = co_await c.next_element(opt_.timeout);
                if (name == "presence") {
                    if (attribute(element, "type") == "error") throw std::runtime_error("join refused: " + element);
                    in = in || has_status(element, 110);
                } else if (name == "message") {
                    if (element.find("hist-") != std::string::npos)
                        ++history;
                    else if (in && history >= opt_.history && element.find("<subject") != std::string::npos)
                        break;
                }
            }
            w.latencies.push_back(now_ns() - t0);
            if (history != opt_.history) wrong_history.fetch_add(1);
            c.send("<presence type='unavailable' to='" + occupant + "'/>");
            for (;;) {
                auto [name, element] = co_await c.next_element(opt_.timeout);
                if (name == "presence" && attribute(element, "type") == "unavailable" && has_status(element, 110))
                    break;
            }
        }
    }

    // muc-join: a room with --history messages (its owner stays in it); --n joiners enter and
    // leave it, --queries joins in all.
    int muc_join() {
        const std::uint32_t count = opt_.n + 1;
        connect_all(count, true, false, "j", round_robin);
        if (errors()) {
            print("\"error\":\"login failed\",\"errors\":" + std::to_string(errors()));
            return 1;
        }
        // More than the history holds, so that it is all "hist-" messages whatever else a server keeps.
        if (!run_on(*conns_[0], [this] { return make_room(*conns_[0], opt_.history + 10); }, "making the room")) {
            print("\"error\":\"room not made\"");
            return 1;
        }
        asio::co_spawn(workers_[conns_[0]->worker()]->io, conns_[0]->read_tokens(static_cast<TokenSink&>(*this)),
                       asio::detached);
        for (auto& w : workers_) w->latencies.clear();
        std::atomic<unsigned> next{0}, wrong_history{0};
        std::latch done(opt_.n);
        const double cpu0 = cpu_seconds();
        const std::uint64_t t0 = now_ns();
        for (std::uint32_t j = 1; j < count; ++j)
            asio::co_spawn(workers_[conns_[j]->worker()]->io, join_loop(*conns_[j], next, wrong_history),
                           [this, &done](std::exception_ptr e) {
                               if (e) workers_[0]->errors.fetch_add(1);
                               done.count_down();
                           });
        done.wait();
        const double elapsed = static_cast<double>(now_ns() - t0) / 1e9;
        const double cpu = cpu_seconds() - cpu0;
        for (auto& w : workers_) w->io.stop();
        for (auto& w : workers_) w->thread.join();
        auto lat = all_latencies();
        std::ostringstream o;
        o << "\"joiners\":" << opt_.n << ",\"history\":" << opt_.history << ",\"joins\":" << lat.size()
          << ",\"errors\":" << errors() << ",\"wrong_history\":" << wrong_history.load()
          << ",\"joins_per_s\":" << static_cast<double>(lat.size()) / elapsed
          << ",\"p50_ms\":" << percentile_ms(lat, 0.5) << ",\"p99_ms\":" << percentile_ms(lat, 0.99)
          << ",\"client_cpu_pct\":" << 100 * cpu / elapsed;
        print(o.str());
        return errors() || wrong_history.load() ? 1 : 0;
    }

    ScramCache cache_;
    std::vector<std::unique_ptr<Worker>> workers_;
    std::vector<std::shared_ptr<Connection>> conns_;
    std::vector<std::string> head_;
    std::string tail_;
    std::int64_t copies_ = 1;     // deliveries per message sent (ALL: one per consumer)
    std::int64_t flight_ = 0;     // deliveries each sender keeps in flight
    double delivered_per_s_ = 0;  // the last flow's figure
    double measured_s_ = 0;       // and its measured interval
    // xmq-any-acked/-durable: per consumer connection, on its thread only.
    struct AckState {
        std::vector<std::string> pending;         // ids delivered, not yet in an ack
        std::vector<std::size_t> answers_due;     // ids per ack sent and not yet answered, oldest first
        std::uint64_t sent = 0;                   // acks sent (their iq ids)
    };
    std::vector<AckState> acks_;
    std::atomic<bool> measuring_{false};
    std::atomic<bool> running_{false};
    bool sm_ = false;             // logins enable stream management; flows read element by element
    Phase phase_ = Phase::flow;   // set before the read loops start
    std::uint64_t limit_ = 0;     // mam-query's fill: messages per sender (0 = no limit)
    bool auth_only_ = false;      // resume's reconnect: authenticate, no bind
    std::string presence_;        // initial presence of the logins ("" = <presence/>)
    PepState pep_;                // pep-roster, pep-publish
    std::vector<ResumeTrack> track_;
    std::vector<std::shared_ptr<Connection>> dropped_;  // kept alive: their read loops may still run
    std::atomic<std::uint32_t> filled_{0}, synced_{0}, finished_{0};
    std::mutex print_mutex_;
};

}  // namespace

int run_scenario(const Options& options) {
    Run run(options);
    return run.execute();
}

}  // namespace loadgen
