#include "server/c2s/stream_connection.hpp"

#include <array>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>

#include "server/core/use_tuple.hpp"
#include "server/system/log.hpp"
#include "xmpp/serializer.hpp"

namespace server {

namespace {

constexpr auto close_grace = std::chrono::seconds(5);  // to flush a final error to a slow reader
constexpr auto trim_after = std::chrono::seconds(5);   // of silence, before idle memory is given back
std::atomic<std::uint64_t> next_stream_id{1};

xmpp::ParserLimits parser_limits(const conf::LimitsConfig& limits) {
    return {limits.max_stanza_bytes, limits.max_depth, limits.max_attributes};
}

}  // namespace

StreamConnection::StreamConnection(asio::any_io_executor executor, std::unique_ptr<Transport> transport,
                                   const conf::LimitsConfig& limits, std::string local_domain)
    : executor_(std::move(executor)),
      transport_(std::move(transport)),
      limits_(limits),
      local_domain_(std::move(local_domain)),
      id_(next_stream_id++),
      parser_(*this, parser_limits(limits)),
      wake_writer_(executor_),
      flushed_(executor_),
      watchdog_(executor_),
      started_(std::chrono::steady_clock::now()),
      last_input_(started_) {}

StreamConnection::~StreamConnection() = default;

void StreamConnection::start(std::shared_ptr<Handler> handler, bool tls_first) {
    handler_ = std::move(handler);
    auto self = shared_from_this();
    XLOG(debug).session(id_) << "connected from " << transport_->remote_address();
    asio::co_spawn(executor_, [self, tls_first]() { return self->read_loop(tls_first); }, asio::detached);
    asio::co_spawn(executor_, [self]() { return self->write_loop(); }, asio::detached);
    asio::co_spawn(executor_, [self]() { return self->watchdog(); }, asio::detached);
}

void StreamConnection::stop_deadline() {
    no_deadline_ = true;
    watchdog_.cancel();  // re-arm without it
}

void StreamConnection::start_idle_timeout() {
    idle_timeout_ = true;
    watchdog_.cancel();  // re-arm with the new deadline
}

// ---- output ------------------------------------------------------------

void StreamConnection::wake_writer() {
    if (write_waiting_) wake_writer_.cancel();
}

void StreamConnection::release_output() {
    if (--output_holds_ == 0) wake_writer();
}

void StreamConnection::send_raw(std::string_view xml) {
    if (writer_done_) return;
    output_.append(xml);
    queued();
}

void StreamConnection::send(const xmpp::Element& element) {
    std::string xml;
    xmpp::serialize(element, xml);
    send_raw(xml);
}

void StreamConnection::send_header(std::string_view from, std::string_view to, std::string_view id) {
    local_domain_ = std::string(from);
    switch (content_) {
    case Content::client: send_raw(xmpp::stream_header(from, to, id)); break;
    case Content::component: send_raw(xmpp::stream_header(from, to, id, {}, {}, xmpp::ns::component_accept)); break;
    case Content::server: send_raw(xmpp::server_stream_header(from, to, id)); break;
    }
    header_sent_ = true;
}

void StreamConnection::send_stanza(std::string_view xml, bool keep) {
    if (!closing_) {
        output_.append_stanza(xml, keep);
        return queued();
    }
    if (!keep) return;
    // The stream is ending and will not write this: it follows what was
    // queued before it to take_unwritten().
    output_.abandon(std::string(xml));
    // A flood while the peer is given its close grace: stop waiting for it.
    if (output_.abandoned_size() > limits_.max_output_bytes) transport_->close();
}

void StreamConnection::queued() {
    // Past the limit while a write is in flight: a burst the writer has not
    // taken yet (an offline backlog) is not a peer that does not read.
    if (output_.pending_size() > limits_.max_output_bytes && (output_.writing() || output_holds_ > 0) &&
        !closing_) {
        // A peer that does not read: stop queueing (RFC 6120 §4.9.3.14). Its
        // messages in the dropped output are handed over at the end.
        output_.abandon_pending();
        return fail(xmpp::StreamError::policy_violation, "Output queue limit reached");
    }
    wake_writer();
}

asio::awaitable<void> StreamConnection::write_loop() {
    for (;;) {
        if (output_.has_pending() && (output_holds_ == 0 || closing_)) {
            const std::string& bytes = output_.begin_write();
            auto [ec, n] = co_await transport_->write(asio::buffer(bytes));
            output_.end_write(n);
            if (ec) {
                closing_ = true;
                break;
            }
            continue;
        }
        if (!output_.has_pending()) flushed_.cancel();
        if (closing_) break;
        write_waiting_ = true;
        wake_writer_.expires_at(std::chrono::steady_clock::time_point::max());
        co_await wake_writer_.async_wait(use_tuple);
        write_waiting_ = false;
    }
    transport_->close();
    writer_done_ = true;
    watchdog_.cancel();
    flushed_.cancel();
    if (finished_) closed();
}

asio::awaitable<void> StreamConnection::flush() {
    while (!output_.idle()) {
        if (closing_) co_return;
        flushed_.expires_at(std::chrono::steady_clock::time_point::max());
        co_await flushed_.async_wait(use_tuple);
    }
}

// ---- the stream --------------------------------------------------------

void StreamConnection::fail(xmpp::StreamError condition, std::string_view text) {
    if (closing_) return;
    ended_in_order_ = true;
    if (!header_sent_) send_header(local_domain_, {}, "error");
    XLOG(info).session(id_, log_jid_) << "stream error " << xmpp::to_string(condition)
                                      << (text.empty() ? "" : ": ") << text;
    send_raw(xmpp::stream_error_xml(condition, text));
    close();
}

void StreamConnection::close() {
    if (closing_) return;
    if (header_sent_) send_raw(xmpp::stream_close);
    closing_ = true;
    closing_since_ = std::chrono::steady_clock::now();
    wake_writer();
    watchdog_.cancel();  // re-arm with the close grace
}

void StreamConnection::abort() {
    closing_ = true;
    closing_since_ = std::chrono::steady_clock::now();
    transport_->close();
    wake_writer();
    watchdog_.cancel();
}

void StreamConnection::close_with(xmpp::StreamError condition, std::string text) {
    asio::post(executor_, [self = shared_from_this(), condition, text = std::move(text)] {
        self->fail(condition, text);
    });
}

void StreamConnection::restart() {
    events_.clear();
    parser_.reset();
    header_sent_ = false;
}

asio::awaitable<bool> StreamConnection::start_tls() {
    if (error_code ec = co_await transport_->handshake()) {
        XLOG(debug).session(id_) << "TLS handshake failed: " << ec.message();
        closing_ = true;
        transport_->close();
        wake_writer();
        co_return false;
    }
    co_return true;
}

// ---- input -------------------------------------------------------------

void StreamConnection::on_stream_open(const xmpp::StreamHeader& header) { events_.emplace_back(StreamOpen{header}); }
void StreamConnection::on_stanza(xmpp::Element&& stanza) { events_.emplace_back(std::move(stanza)); }
void StreamConnection::on_stream_close() { events_.emplace_back(StreamClose{}); }
void StreamConnection::on_stream_error(xmpp::StreamError condition, std::string_view text) {
    events_.emplace_back(ParseError{condition, std::string(text)});
}

asio::awaitable<void> StreamConnection::read_loop(bool tls_first) {
    if (tls_first) {
        // Awaited apart from the test: g++ 12 miscompiles a co_await in a condition.
        const bool secured = co_await start_tls();
        if (!secured) co_return finish();
    }
    // One buffer per worker (see Transport::read_some): an idle connection
    // holds no read buffer.
    static thread_local std::array<char, 16384> buffer;
    while (!closing_) {
        auto [ec, n] = co_await transport_->read_some(asio::buffer(buffer));
        if (ec) break;
        const bool was_trimmed = trimmed_input_ == last_input_;
        last_input_ = std::chrono::steady_clock::now();
        if (was_trimmed) watchdog_.cancel();  // re-arm it for the next trim
        parser_.feed(std::string_view(buffer.data(), n));
        while (!events_.empty() && !closing_) {
            Event event = std::move(events_.front());
            events_.pop_front();
            co_await handle(std::move(event));
        }
        events_.clear();
    }
    finish();
}

asio::awaitable<void> StreamConnection::handle(Event event) {
    if (auto* open = std::get_if<StreamOpen>(&event)) {
        co_await handler_->on_stream_open(open->header);
    } else if (auto* element = std::get_if<xmpp::Element>(&event)) {
        co_await handler_->on_element(std::move(*element));
    } else if (std::holds_alternative<StreamClose>(event)) {
        ended_in_order_ = true;
        close();
    } else if (auto* error = std::get_if<ParseError>(&event)) {
        fail(error->condition, error->text);
    }
}

void StreamConnection::finish() {
    if (finished_) return;
    finished_ = true;
    close();
    closing_ = true;  // also after a failed TLS handshake, when close() had nothing to do
    wake_writer();
    if (writer_done_) closed();
}

void StreamConnection::closed() {
    if (closed_) return;
    closed_ = true;
    // The handler may hold this connection: the cycle ends here.
    auto handler = std::move(handler_);
    if (handler) handler->on_closed();
}

asio::awaitable<void> StreamConnection::watchdog() {
    while (!writer_done_) {
        const auto trim_at = last_input_ + trim_after;
        const bool trim_due = trimmed_input_ != last_input_ && !closing_;
        watchdog_.expires_at(trim_due ? std::min(trim_at, deadline()) : deadline());
        co_await watchdog_.async_wait(use_tuple);
        if (writer_done_) break;
        const auto now = std::chrono::steady_clock::now();
        if (trim_due && now >= last_input_ + trim_after) trim_idle_memory();
        if (now < deadline()) continue;  // input arrived, or closing began
        if (closing_) {
            transport_->close();  // the peer did not take our last words in time
            break;
        }
        fail(xmpp::StreamError::connection_timeout, idle_timeout_ ? "Idle timeout" : "Negotiation timeout");
    }
}

void StreamConnection::trim_idle_memory() {
    // A quiet stream keeps no parser context and no output capacity; both
    // come back on the next stanza (README, Performance: memory per idle session).
    parser_.release_idle_memory();
    output_.release_idle_memory();
    trimmed_input_ = last_input_;
}

std::chrono::steady_clock::time_point StreamConnection::deadline() const {
    if (closing_) return closing_since_ + close_grace;
    if (no_deadline_) return std::chrono::steady_clock::time_point::max();
    if (idle_timeout_) return last_input_ + limits_.idle_timeout;
    return started_ + limits_.preauth_timeout;
}

}  // namespace server
