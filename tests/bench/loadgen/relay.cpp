// xmq-relay: the benchmark's "raw relay" ceiling. A minimal TLS server that
// pairs connections and forwards bytes between the two ends of each pair without
// parsing them: the most any XMPP server could do on this machine with the same
// TLS and the same load generator beside it.
//
// Before TLS, a client sends one plain line "pair N\n" and waits for "ok\n"; the
// relay then moves the socket to thread N % threads, so both ends of a pair live
// on one thread and forwarding needs no lock. Writes are coalesced: whatever
// arrives while a write is in flight goes out in the next single write.
//
//   xmq-relay --port 25300 --cert cert.pem --key key.pem [--threads 2]
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

#include <array>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using asio::use_awaitable;

namespace {

class Session;

struct Worker {
    asio::io_context io{1};
    std::map<unsigned long, std::weak_ptr<Session>> waiting;  // pair id -> first end
};

class Session : public std::enable_shared_from_this<Session> {
public:
    Session(tcp::socket socket, asio::ssl::context& tls) : stream_(std::move(socket), tls) {}

    // Static, with the session passed by value: the coroutine itself keeps it alive.
    static asio::awaitable<void> run(std::shared_ptr<Session> self, Worker& w, unsigned long pair) {
        try {
            co_await asio::async_write(self->stream_.next_layer(), asio::buffer("ok\n", 3), use_awaitable);
            co_await self->stream_.async_handshake(asio::ssl::stream_base::server, use_awaitable);
            if (auto it = w.waiting.find(pair); it != w.waiting.end()) {
                if (auto other = it->second.lock(); other && other->open_) {
                    self->peer_ = other;
                    other->peer_ = self;
                }
                w.waiting.erase(it);
            } else {
                w.waiting[pair] = self;
            }
            std::array<char, 16384> buf;
            for (;;) {
                std::size_t n = co_await self->stream_.async_read_some(asio::buffer(buf), use_awaitable);
                if (auto p = self->peer_.lock()) p->send(buf.data(), n);
            }
        } catch (const std::exception&) {
        }
        self->shut();
        if (auto p = self->peer_.lock()) p->shut();
    }

private:
    void send(const char* data, std::size_t n) {
        if (!open_) return;
        out_.append(data, n);
        if (!writing_) {
            writing_ = true;
            asio::co_spawn(stream_.get_executor(), write_loop(shared_from_this()), asio::detached);
        }
    }

    static asio::awaitable<void> write_loop(std::shared_ptr<Session> self) {
        try {
            while (!self->out_.empty() && self->open_) {
                self->sending_.swap(self->out_);
                self->out_.clear();
                co_await asio::async_write(self->stream_, asio::buffer(self->sending_), use_awaitable);
                self->sending_.clear();
            }
        } catch (const std::exception&) {
            self->shut();
        }
        self->writing_ = false;
    }

    void shut() {
        if (!open_) return;
        open_ = false;
        boost::system::error_code ec;
        stream_.next_layer().close(ec);
    }

    asio::ssl::stream<tcp::socket> stream_;
    std::weak_ptr<Session> peer_;
    std::string out_, sending_;
    bool writing_ = false;
    bool open_ = true;
};

// Reads the plain pairing line, then hands the socket to the pair's thread.
asio::awaitable<void> greet(tcp::socket socket, std::vector<std::unique_ptr<Worker>>& workers,
                            asio::ssl::context& tls) {
    try {
        std::string line;
        char c = 0;
        while (line.size() < 40) {
            co_await asio::async_read(socket, asio::buffer(&c, 1), use_awaitable);
            if (c == '\n') break;
            line += c;
        }
        if (line.rfind("pair ", 0) != 0) co_return;
        unsigned long pair = std::strtoul(line.c_str() + 5, nullptr, 10);
        Worker& w = *workers[pair % workers.size()];
        auto protocol = socket.local_endpoint().protocol();
        int fd = socket.release();
        tcp::socket moved(w.io);
        moved.assign(protocol, fd);
        auto session = std::make_shared<Session>(std::move(moved), tls);
        asio::co_spawn(w.io, Session::run(session, w, pair), asio::detached);
    } catch (const std::exception&) {
    }
}

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, std::vector<std::unique_ptr<Worker>>& workers,
                                  asio::ssl::context& tls) {
    for (;;) {
        tcp::socket socket = co_await acceptor.async_accept(use_awaitable);
        socket.set_option(tcp::no_delay(true));
        asio::co_spawn(acceptor.get_executor(), greet(std::move(socket), workers, tls), asio::detached);
    }
}

}  // namespace

int main(int argc, char** argv) {
    unsigned short port = 0;
    unsigned threads = 2;
    std::string cert, key, host = "127.0.0.1";
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string a = argv[i], v = argv[i + 1];
        if (a == "--port") port = static_cast<unsigned short>(std::stoul(v));
        else if (a == "--threads") threads = static_cast<unsigned>(std::stoul(v));
        else if (a == "--cert") cert = v;
        else if (a == "--key") key = v;
        else if (a == "--host") host = v;
        else {
            std::cerr << "xmq-relay: unknown option " << a << "\n";
            return 2;
        }
    }
    if (!port || cert.empty() || key.empty() || threads == 0) {
        std::cerr << "usage: xmq-relay --port N --cert PEM --key PEM [--threads N] [--host ADDR]\n";
        return 2;
    }
    asio::ssl::context tls(asio::ssl::context::tls_server);
    tls.use_certificate_chain_file(cert);
    tls.use_private_key_file(key, asio::ssl::context::pem);
    SSL_CTX_set_mode(tls.native_handle(), SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_session_cache_mode(tls.native_handle(), SSL_SESS_CACHE_OFF);
    SSL_CTX_set_num_tickets(tls.native_handle(), 0);

    std::vector<std::unique_ptr<Worker>> workers;
    for (unsigned i = 0; i < threads; ++i) workers.push_back(std::make_unique<Worker>());
    tcp::acceptor acceptor(workers[0]->io, tcp::endpoint(asio::ip::make_address(host), port));
    asio::co_spawn(workers[0]->io, accept_loop(acceptor, workers, tls), asio::detached);
    asio::signal_set signals(workers[0]->io, SIGINT, SIGTERM);
    signals.async_wait([&](boost::system::error_code, int) {
        for (auto& w : workers) w->io.stop();
    });
    std::cout << "xmq-relay ready on " << host << ":" << port << " with " << threads << " threads" << std::endl;
    std::vector<std::thread> pool;
    for (unsigned i = 1; i < threads; ++i)
        pool.emplace_back([&io = workers[i]->io] {
            auto guard = asio::make_work_guard(io);
            io.run();
        });
    workers[0]->io.run();
    for (auto& w : workers) w->io.stop();
    for (auto& t : pool) t.join();
    return 0;
}
