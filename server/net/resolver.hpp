// Resolver: the asynchronous DNS lookups of server-to-server streams, with
// c-ares: SRV records (RFC 6120 §3.2) and a host's addresses, A and AAAA,
// the hosts file first (lookups "fb"), so that /etc/hosts names work as
// they do for every other program. Every query is bounded: each try waits
// at most half of the configured time and there are two (a silent DNS
// server costs that, never more).
//
// c-ares runs on the resolver's own thread and io_context: its sockets are
// watched with Asio (the socket state callback tells which), its timeouts
// with an Asio timer, so no thread blocks in a lookup. Callers on any thread
// call srv() or addresses(); the callback runs on the resolver's thread,
// and the awaitable forms (async_srv, async_addresses) resume the caller
// on its own executor. Owned by the Server; made once federation is on.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "server/net/s2s_targets.hpp"

namespace server {

class Resolver {
public:
    using SrvDone = std::function<void(std::vector<SrvRecord>)>;
    using AddressesDone = std::function<void(std::vector<boost::asio::ip::tcp::endpoint>)>;

    // `timeout`: the longest one lookup may take. Throws std::runtime_error
    // when c-ares cannot be set up (no memory, no resolver configuration).
    explicit Resolver(std::chrono::milliseconds timeout);
    ~Resolver();
    Resolver(const Resolver&) = delete;
    Resolver& operator=(const Resolver&) = delete;

    // The SRV records of `name` (e.g. "_xmpp-server._tcp.example.org"); none
    // when it has none, or the lookup failed or timed out.
    void srv(std::string name, SrvDone done);
    // The IPv6 and IPv4 addresses of `host`, on `port`; none when unknown.
    void addresses(std::string host, std::uint16_t port, AddressesDone done);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

namespace detail {
// Hands `result` to the awaiting `handler` on the handler's own executor.
template <class Handler, class Result>
void resume_with(std::shared_ptr<Handler> handler, Result result) {
    auto executor = boost::asio::get_associated_executor(*handler);
    boost::asio::post(executor, [handler, result = std::move(result)]() mutable { (*handler)(std::move(result)); });
}
}  // namespace detail

template <class Token>
auto async_srv(Resolver& resolver, std::string name, Token&& token) {
    return boost::asio::async_initiate<Token, void(std::vector<SrvRecord>)>(
        [&resolver](auto handler, std::string name) {
            auto shared = std::make_shared<decltype(handler)>(std::move(handler));
            resolver.srv(std::move(name), [shared](std::vector<SrvRecord> records) {
                detail::resume_with(shared, std::move(records));
            });
        },
        token, std::move(name));
}

template <class Token>
auto async_addresses(Resolver& resolver, std::string host, std::uint16_t port, Token&& token) {
    return boost::asio::async_initiate<Token, void(std::vector<boost::asio::ip::tcp::endpoint>)>(
        [&resolver](auto handler, std::string host, std::uint16_t port) {
            auto shared = std::make_shared<decltype(handler)>(std::move(handler));
            resolver.addresses(std::move(host), port, [shared](std::vector<boost::asio::ip::tcp::endpoint> eps) {
                detail::resume_with(shared, std::move(eps));
            });
        },
        token, std::move(host), port);
}

}  // namespace server
