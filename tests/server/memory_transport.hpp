// MemoryTransport: an in-memory Transport for protocol tests. The test pushes
// client bytes with push() and reads what the server wrote from output().
// It can pretend to be encrypted so that SASL runs without a TLS handshake.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <deque>
#include <memory>
#include <string>

#include "server/net/transport.hpp"

namespace test {

namespace asio = boost::asio;

struct MemoryPipe {
    explicit MemoryPipe(asio::io_context& ctx) : signal(ctx), writable(ctx) {}
    std::deque<std::string> inbound;
    std::string output;
    bool closed = false;
    bool secure = false;
    bool stall_writes = false;  // the client stops reading: the server's writes wait
    asio::steady_timer signal;    // wakes a pending read
    asio::steady_timer writable;  // wakes a stalled write

    void push(std::string bytes) {
        inbound.push_back(std::move(bytes));
        signal.cancel();
    }
    void hang_up() {
        closed = true;
        signal.cancel();
        writable.cancel();
    }
    void resume_writes() {
        stall_writes = false;
        writable.cancel();
    }
};

class MemoryTransport final : public server::Transport {
public:
    explicit MemoryTransport(std::shared_ptr<MemoryPipe> pipe) : pipe_(std::move(pipe)) {}

    asio::awaitable<std::pair<server::error_code, std::size_t>> read_some(asio::mutable_buffer buffer) override {
        while (pipe_->inbound.empty() && !pipe_->closed) {
            pipe_->signal.expires_at(std::chrono::steady_clock::time_point::max());
            co_await pipe_->signal.async_wait(asio::as_tuple(asio::use_awaitable));
        }
        if (pipe_->inbound.empty()) co_return std::pair{server::error_code(asio::error::eof), std::size_t{0}};
        std::string& front = pipe_->inbound.front();
        std::size_t n = std::min(front.size(), buffer.size());
        std::memcpy(buffer.data(), front.data(), n);
        front.erase(0, n);
        if (front.empty()) pipe_->inbound.pop_front();
        co_return std::pair{server::error_code(), n};
    }
    asio::awaitable<std::pair<server::error_code, std::size_t>> write(asio::const_buffer data) override {
        while (pipe_->stall_writes && !pipe_->closed) {
            pipe_->writable.expires_at(std::chrono::steady_clock::time_point::max());
            co_await pipe_->writable.async_wait(asio::as_tuple(asio::use_awaitable));
        }
        if (pipe_->closed) co_return std::pair{server::error_code(asio::error::broken_pipe), std::size_t{0}};
        pipe_->output.append(static_cast<const char*>(data.data()), data.size());
        co_return std::pair{server::error_code(), data.size()};
    }
    asio::awaitable<server::error_code> handshake() override {
        co_return server::error_code(asio::error::operation_not_supported);
    }
    bool can_start_tls() const override { return false; }
    bool is_secure() const override { return pipe_->secure; }
    std::optional<auth::ChannelBinding> channel_binding() const override { return std::nullopt; }
    void close() override { pipe_->hang_up(); }
    std::string remote_address() const override { return "memory"; }
    std::string_view kind() const override { return "memory"; }

private:
    std::shared_ptr<MemoryPipe> pipe_;
};

}  // namespace test
