#include "server/net/resolver.hpp"

#include <ares.h>
#include <arpa/nameser.h>
#include <netinet/in.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <mutex>
#include <stdexcept>

namespace server {

namespace asio = boost::asio;

namespace {

// ares_library_init once per process, before the first channel.
void init_library() {
    static std::once_flag once;
    std::call_once(once, [] { ares_library_init(ARES_LIB_INIT_ALL); });
}

}  // namespace

struct Resolver::Impl {
    // One socket c-ares uses, watched for what c-ares wants to know.
    struct Watch {
        explicit Watch(asio::io_context& io, int fd) : descriptor(io, fd) {}
        asio::posix::stream_descriptor descriptor;
        bool want_read = false;
        bool want_write = false;
        bool reading = false;
        bool writing = false;
    };

    asio::io_context io;
    asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
    asio::steady_timer timer{io};
    ares_channel channel = nullptr;
    std::map<int, std::shared_ptr<Watch>> watches;
    std::thread thread;

    explicit Impl(std::chrono::milliseconds timeout) {
        init_library();
        ares_options options{};
        int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_LOOKUPS;
        options.sock_state_cb = &Impl::socket_state;
        options.sock_state_cb_data = this;
        options.timeout = static_cast<int>(std::max<long long>(timeout.count() / 2, 100));
        options.tries = 2;
        char lookups[] = "fb";  // the hosts file, then DNS
        options.lookups = lookups;
        if (ares_init_options(&channel, &options, mask) != ARES_SUCCESS)
            throw std::runtime_error("c-ares: cannot set up a resolver channel");
        thread = std::thread([this] { io.run(); });
    }

    ~Impl() {
        // c-ares calls back every query still open with ARES_EDESTRUCTION
        // (their callers get no result) and closes its sockets, on this thread.
        asio::post(io, [this] {
            ares_destroy(channel);
            channel = nullptr;
            for (auto& [fd, watch] : watches) watch->descriptor.release();
            watches.clear();
            timer.cancel();
            work.reset();
        });
        thread.join();
    }

    static void socket_state(void* data, ares_socket_t fd, int readable, int writable) {
        static_cast<Impl*>(data)->watch(fd, readable != 0, writable != 0);
    }

    void watch(int fd, bool read, bool write) {
        auto it = watches.find(fd);
        if (!read && !write) {
            // c-ares closes the socket itself: let go of it without closing.
            if (it != watches.end()) {
                it->second->descriptor.release();
                watches.erase(it);
            }
            return;
        }
        if (it == watches.end()) it = watches.emplace(fd, std::make_shared<Watch>(io, fd)).first;
        std::shared_ptr<Watch> w = it->second;
        w->want_read = read;
        w->want_write = write;
        arm(fd, w);
    }

    void arm(int fd, const std::shared_ptr<Watch>& w) {
        if (w->want_read && !w->reading) {
            w->reading = true;
            auto readable = [this, fd, w](boost::system::error_code ec) {
                w->reading = false;
                if (ec || !channel || watches.find(fd) == watches.end()) return;
                ares_process_fd(channel, fd, ARES_SOCKET_BAD);
                after_work();
                if (auto again = watches.find(fd); again != watches.end() && again->second == w) arm(fd, w);
            };
            w->descriptor.async_wait(asio::posix::descriptor_base::wait_read, readable);
        }
        if (w->want_write && !w->writing) {
            w->writing = true;
            auto writable = [this, fd, w](boost::system::error_code ec) {
                w->writing = false;
                if (ec || !channel || watches.find(fd) == watches.end()) return;
                ares_process_fd(channel, ARES_SOCKET_BAD, fd);
                after_work();
                if (auto again = watches.find(fd); again != watches.end() && again->second == w) arm(fd, w);
            };
            w->descriptor.async_wait(asio::posix::descriptor_base::wait_write, writable);
        }
    }

    // Re-arms the timer for c-ares's next timeout, if it has queries open.
    void after_work() {
        if (!channel) return;
        timeval tv{};
        if (!ares_timeout(channel, nullptr, &tv)) {
            timer.cancel();
            return;
        }
        timer.expires_after(std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec));
        timer.async_wait([this](boost::system::error_code ec) {
            if (ec || !channel) return;
            ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // times out what is due
            after_work();
        });
    }

    static void srv_answer(void* arg, int status, int, unsigned char* answer, int length) {
        std::unique_ptr<SrvDone> done(static_cast<SrvDone*>(arg));
        std::vector<SrvRecord> records;
        ares_srv_reply* reply = nullptr;
        if (status == ARES_SUCCESS && ares_parse_srv_reply(answer, length, &reply) == ARES_SUCCESS) {
            for (ares_srv_reply* r = reply; r != nullptr; r = r->next) {
                std::string target = r->host ? r->host : "";
                if (!target.empty() && target.back() == '.' && target.size() > 1) target.pop_back();
                records.push_back(SrvRecord{std::move(target), r->port, r->priority, r->weight});
            }
            ares_free_data(reply);
        }
        (*done)(std::move(records));
    }

    struct AddressQuery {
        std::uint16_t port;
        AddressesDone done;
    };

    static void address_answer(void* arg, int status, int, ares_addrinfo* result) {
        std::unique_ptr<AddressQuery> query(static_cast<AddressQuery*>(arg));
        std::vector<asio::ip::tcp::endpoint> endpoints;
        if (status == ARES_SUCCESS && result) {
            for (ares_addrinfo_node* n = result->nodes; n != nullptr; n = n->ai_next) {
                if (n->ai_family == AF_INET6) {
                    const auto* a = reinterpret_cast<const sockaddr_in6*>(n->ai_addr);
                    asio::ip::address_v6::bytes_type bytes;
                    std::copy(std::begin(a->sin6_addr.s6_addr), std::end(a->sin6_addr.s6_addr), bytes.begin());
                    endpoints.emplace_back(asio::ip::address_v6(bytes, a->sin6_scope_id), query->port);
                } else if (n->ai_family == AF_INET) {
                    const auto* a = reinterpret_cast<const sockaddr_in*>(n->ai_addr);
                    endpoints.emplace_back(asio::ip::address_v4(ntohl(a->sin_addr.s_addr)), query->port);
                }
            }
        }
        if (result) ares_freeaddrinfo(result);
        query->done(std::move(endpoints));
    }
};

Resolver::Resolver(std::chrono::milliseconds timeout) : impl_(std::make_unique<Impl>(timeout)) {}

Resolver::~Resolver() = default;

void Resolver::srv(std::string name, SrvDone done) {
    asio::post(impl_->io, [impl = impl_.get(), name = std::move(name), done = std::move(done)]() mutable {
        if (!impl->channel) return;
        auto* arg = new SrvDone(std::move(done));
        ares_query(impl->channel, name.c_str(), ns_c_in, ns_t_srv, &Impl::srv_answer, arg);
        impl->after_work();
    });
}

void Resolver::addresses(std::string host, std::uint16_t port, AddressesDone done) {
    asio::post(impl_->io, [impl = impl_.get(), host = std::move(host), port, done = std::move(done)]() mutable {
        if (!impl->channel) return;
        ares_addrinfo_hints hints{};
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        auto* arg = new Impl::AddressQuery{port, std::move(done)};
        ares_getaddrinfo(impl->channel, host.c_str(), nullptr, &hints, &Impl::address_answer, arg);
        impl->after_work();
    });
}

}  // namespace server
