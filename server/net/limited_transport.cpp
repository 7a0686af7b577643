#include "server/net/limited_transport.hpp"
#include "server/core/use_tuple.hpp"

#include <algorithm>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace server {

TokenBucket::TokenBucket(std::size_t rate, std::size_t burst, Clock::time_point now)
    : rate_(static_cast<double>(rate)),
      burst_(static_cast<double>(std::max(burst, std::size_t{1}))),
      tokens_(burst_),
      last_(now) {}

void TokenBucket::refill(Clock::time_point now) {
    if (now <= last_) return;
    const double seconds = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(burst_, tokens_ + seconds * rate_);
    last_ = now;
}

TokenBucket::Clock::duration TokenBucket::wait(Clock::time_point now) {
    if (rate_ <= 0) return Clock::duration::zero();
    refill(now);
    if (tokens_ > 0) return Clock::duration::zero();
    // Until the debt is paid and one byte is available.
    const double seconds = (1.0 - tokens_) / rate_;
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

void TokenBucket::take(std::size_t bytes) {
    if (rate_ > 0) tokens_ -= static_cast<double>(bytes);
}

LimitedTransport::LimitedTransport(std::unique_ptr<Transport> inner, std::unique_ptr<IpConnectionLimit::Slot> slot,
                                   std::size_t inbound_rate, std::size_t inbound_burst)
    : inner_(std::move(inner)),
      slot_(std::move(slot)),
      bucket_(inbound_rate, inbound_burst),
      shaped_(inbound_rate != 0) {}

asio::awaitable<std::pair<error_code, std::size_t>> LimitedTransport::read_some(asio::mutable_buffer buffer) {
    if (shaped_) {
        for (auto wait = bucket_.wait(); wait > TokenBucket::Clock::duration::zero() && !closed_;
             wait = bucket_.wait()) {
            if (!pause_) pause_.emplace(co_await asio::this_coro::executor);
            pause_->expires_after(wait);
            co_await pause_->async_wait(use_tuple);
        }
        if (closed_) co_return std::pair{error_code(asio::error::operation_aborted), std::size_t{0}};
    }
    auto result = co_await inner_->read_some(buffer);
    if (!result.first) bucket_.take(result.second);
    co_return result;
}

void LimitedTransport::close() {
    closed_ = true;
    if (pause_) pause_->cancel();
    inner_->close();
}

}  // namespace server
