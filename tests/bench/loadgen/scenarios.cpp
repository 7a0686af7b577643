#include "scenarios.hpp"
#include "ws_login.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <future>
#include <iostream>
#include <latch>
#include <mutex>
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
    std::vector<std::pair<std::uint32_t, std::uint32_t>> credits;  // this chunk's (sender, count)
};

class Run : public TokenSink {
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
        if (s == "msg") return msg();
        if (s == "xmq-any" || s == "xmq-all") return xmq(s == "xmq-all");
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

private:
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
                else
                    co_await c->login(opt_.target, user(j), resource_prefix + std::to_string(j), cache_, opt_.timeout);
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
    }

    void top_up(Connection& c) {
        std::string batch;
        while (c.in_flight < static_cast<std::int64_t>(opt_.window) * copies_) send_one(c, batch);
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
            if (c) asio::co_spawn(workers_[c->worker()]->io, c->read_tokens(*this), asio::detached);
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
        std::string figures = flow(senders, "\"pairs\":" + std::to_string(opt_.pairs));
        print(figures);
        return 0;
    }

    int xmq(bool all) {
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
        std::vector<std::uint32_t> senders;
        for (std::uint32_t j = 0; j < opt_.publishers; ++j) senders.push_back(j);
        std::string figures = flow(senders, "\"publishers\":" + std::to_string(opt_.publishers) +
                                                ",\"consumers\":" + std::to_string(opt_.consumers));
        print(figures);
        return 0;
    }

    const Options& opt_;
    asio::ssl::context tls_;
    ScramCache cache_;
    std::vector<std::unique_ptr<Worker>> workers_;
    std::vector<std::shared_ptr<Connection>> conns_;
    std::vector<std::string> head_;
    std::string tail_;
    std::int64_t copies_ = 1;
    std::atomic<bool> measuring_{false};
    std::atomic<bool> running_{false};
    std::mutex print_mutex_;
};

}  // namespace

int run_scenario(const Options& options) {
    Run run(options);
    return run.execute();
}

}  // namespace loadgen
