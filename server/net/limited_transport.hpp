// LimitedTransport: the listener's limits on one client connection, wrapped
// around its real transport. It holds the connection's place in the per-IP
// count (IpConnectionLimit::Slot, freed when the transport is destroyed) and
// shapes inbound traffic with a token bucket (limits.inbound_rate bytes per
// second, bursts up to limits.inbound_burst): while the bucket is empty the
// next read waits, so a fast sender is slowed by TCP flow control and nothing
// is dropped — ejabberd's shaper, per connection. Everything else is passed
// through. Used on the session's worker thread only, like any Transport.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <optional>

#include "server/net/ip_connection_limit.hpp"
#include "server/net/transport.hpp"

namespace server {

// The token bucket itself, apart from any I/O so that it can be tested.
class TokenBucket {
public:
    using Clock = std::chrono::steady_clock;
    // rate 0 = unlimited (wait() is always zero).
    TokenBucket(std::size_t rate, std::size_t burst, Clock::time_point now = Clock::now());
    // How long to wait before the next read is allowed.
    Clock::duration wait(Clock::time_point now = Clock::now());
    // Takes `bytes` (the bucket may go negative: the debt is waited off).
    void take(std::size_t bytes);

private:
    void refill(Clock::time_point now);
    double rate_;
    double burst_;
    double tokens_;
    Clock::time_point last_;
};

class LimitedTransport final : public Transport {
public:
    LimitedTransport(std::unique_ptr<Transport> inner, std::unique_ptr<IpConnectionLimit::Slot> slot,
                     std::size_t inbound_rate, std::size_t inbound_burst);

    asio::awaitable<std::pair<error_code, std::size_t>> read_some(asio::mutable_buffer buffer) override;
    asio::awaitable<std::pair<error_code, std::size_t>> write(asio::const_buffer data) override {
        return inner_->write(data);
    }
    asio::awaitable<error_code> handshake() override { return inner_->handshake(); }
    bool can_start_tls() const override { return inner_->can_start_tls(); }
    bool is_secure() const override { return inner_->is_secure(); }
    std::optional<auth::ChannelBinding> channel_binding() const override { return inner_->channel_binding(); }
    void close() override;
    std::string remote_address() const override { return inner_->remote_address(); }
    std::string_view kind() const override { return inner_->kind(); }

private:
    std::unique_ptr<Transport> inner_;
    std::unique_ptr<IpConnectionLimit::Slot> slot_;
    TokenBucket bucket_;
    bool shaped_;
    bool closed_ = false;
    std::optional<asio::steady_timer> pause_;  // made on the first pause only
};

}  // namespace server
