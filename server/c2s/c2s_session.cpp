#include "server/c2s/c2s_session.hpp"

#include <array>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "server/router/connection_registry.hpp"
#include "server/core/metrics.hpp"
#include "server/system/log.hpp"
#include "server/router/router.hpp"
#include "server/core/storage_executor.hpp"
#include "server/core/use_tuple.hpp"
#include "xmpp/namespaces.hpp"
#include "xmpp/serializer.hpp"
#include "xmq/engine.hpp"

namespace server {

namespace {

constexpr auto close_grace = std::chrono::seconds(5);  // to flush a final error to a slow reader
constexpr auto trim_after = std::chrono::seconds(5);   // of silence, before idle memory is given back
std::atomic<std::uint64_t> next_session_id{1};

xmpp::ParserLimits parser_limits(const conf::Config& config) {
    return {config.limits.max_stanza_bytes, config.limits.max_depth, config.limits.max_attributes};
}

}  // namespace

C2sSession::C2sSession(Services& services, asio::any_io_executor executor, std::unique_ptr<Transport> transport,
                       bool direct_tls)
    : services_(services),
      config_(services.current_config()),
      executor_(std::move(executor)),
      transport_(std::move(transport)),
      direct_tls_(direct_tls),
      id_(next_session_id++),
      parser_(*this, parser_limits(*config_)),
      wake_writer_(executor_),
      flushed_(executor_),
      watchdog_(executor_),
      started_(std::chrono::steady_clock::now()),
      last_input_(started_) {}

C2sSession::~C2sSession() = default;

void C2sSession::start() {
    auto self = shared_from_this();
    if (services_.connections) services_.connections->add(self);
    metrics::connection_opened(metrics::transport_of(transport_->kind(), direct_tls_));
    XLOG(debug).session(id_) << "connected from " << transport_->remote_address();
    asio::co_spawn(executor_, [self]() { return self->read_loop(); }, asio::detached);
    asio::co_spawn(executor_, [self]() { return self->write_loop(); }, asio::detached);
    asio::co_spawn(executor_, [self]() { return self->watchdog(); }, asio::detached);
}

// ---- output ------------------------------------------------------------

void C2sSession::send_raw(std::string_view xml, bool keep) {
    if (writer_done_) return;
    output_.append(xml, keep);
    // Past the limit while a write is in flight: a burst the writer has not
    // taken yet (an offline backlog) is not a peer that does not read.
    if (output_.pending_size() > config_->limits.max_output_bytes && output_.writing() && !closing_) {
        // A peer that does not read: stop queueing (RFC 6120 §4.9.3.14). Its
        // messages in the dropped output go to offline storage at the end.
        output_.abandon_pending();
        fail(xmpp::StreamError::policy_violation, "Output queue limit reached");
        return;
    }
    if (write_waiting_) wake_writer_.cancel();
}

void C2sSession::send(const xmpp::Element& stanza) {
    std::string xml;
    xmpp::serialize(stanza, xml);
    send_raw(xml);
}

void C2sSession::deliver(std::string xml, Undelivered fallback) {
    if (executor_.target<asio::io_context::executor_type>() &&
        executor_.target<asio::io_context::executor_type>()->running_in_this_thread())
        return take(std::move(xml), fallback);
    asio::post(executor_, [self = shared_from_this(), xml = std::move(xml), fallback]() mutable {
        self->take(std::move(xml), fallback);
    });
}

void C2sSession::take(std::string xml, Undelivered fallback) {
    const bool keep = fallback == Undelivered::to_offline;
    if (!closing_) return send_raw(xml, keep);
    if (!keep) return;
    // The stream is ending and will not write this: it follows what was
    // queued before it to offline storage.
    if (writer_done_) return hand_over({std::move(xml)});
    output_.abandon(std::move(xml));
    // A flood while the peer is given its close grace: stop waiting for it.
    if (output_.abandoned_size() > config_->limits.max_output_bytes) transport_->close();
}

void C2sSession::hand_over(std::vector<std::string> messages) {
    if (messages.empty() || !jid_ || !services_.modules) return;
    XLOG(info).session(id_, log_jid()) << messages.size() << " unwritten messages handed to offline storage";
    for (const auto& hook : services_.modules->hooks().unwritten_messages) hook(messages, jid_->bare());
}

void C2sSession::close_with(xmpp::StreamError condition, std::string text) {
    asio::post(executor_, [self = shared_from_this(), condition, text = std::move(text)] {
        self->fail(condition, text);
    });
}

asio::awaitable<void> C2sSession::write_loop() {
    for (;;) {
        if (output_.has_pending()) {
            const std::string& bytes = output_.begin_write();
            auto [ec, n] = co_await transport_->write(asio::buffer(bytes));
            output_.end_write(n);
            if (ec) {
                closing_ = true;
                break;
            }
            continue;
        }
        flushed_.cancel();
        if (closing_) break;
        write_waiting_ = true;
        wake_writer_.expires_at(std::chrono::steady_clock::time_point::max());
        co_await wake_writer_.async_wait(use_tuple);
        write_waiting_ = false;
    }
    transport_->close();
    writer_done_ = true;
    hand_over(output_.take_unwritten());
    watchdog_.cancel();
    flushed_.cancel();
    if (finished_) release();
}

asio::awaitable<void> C2sSession::flush() {
    while (!output_.idle()) {
        if (closing_) co_return;
        flushed_.expires_at(std::chrono::steady_clock::time_point::max());
        co_await flushed_.async_wait(use_tuple);
    }
}

void C2sSession::fail(xmpp::StreamError condition, std::string_view text) {
    if (closing_) return;
    if (!header_sent_) {
        const std::string from = host_.empty() ? config_->hosts.front().domain : host_;
        send_raw(xmpp::stream_header(from, {}, "error"));
        header_sent_ = true;
    }
    XLOG(info).session(id_, log_jid()) << "stream error " << xmpp::to_string(condition)
                                       << (text.empty() ? "" : ": ") << text;
    send_raw(xmpp::stream_error_xml(condition, text));
    close_stream();
}

void C2sSession::close_stream() {
    if (closing_) return;
    if (header_sent_) send_raw(xmpp::stream_close);
    closing_ = true;
    closing_since_ = std::chrono::steady_clock::now();
    if (write_waiting_) wake_writer_.cancel();
    watchdog_.cancel();  // re-arm with the close grace
}

// ---- input -------------------------------------------------------------

void C2sSession::on_stream_open(const xmpp::StreamHeader& header) { events_.emplace_back(StreamOpen{header}); }
void C2sSession::on_stanza(xmpp::Element&& stanza) { events_.emplace_back(std::move(stanza)); }
void C2sSession::on_stream_close() { events_.emplace_back(StreamClose{}); }
void C2sSession::on_stream_error(xmpp::StreamError condition, std::string_view text) {
    events_.emplace_back(ParseError{condition, std::string(text)});
}

asio::awaitable<void> C2sSession::read_loop() {
    if (direct_tls_) {
        if (error_code ec = co_await transport_->handshake()) {
            XLOG(debug).session(id_) << "TLS handshake failed: " << ec.message();
            closing_ = true;
            finish();
            co_return;
        }
    }
    // One buffer per worker (see Transport::read_some): an idle session
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

asio::awaitable<void> C2sSession::handle(Event event) {
    if (auto* open = std::get_if<StreamOpen>(&event)) {
        open_stream(open->header);
    } else if (auto* stanza = std::get_if<xmpp::Element>(&event)) {
        if (jid_) {
            StorageExecutor::take_posted_mark();
            handle_bound(std::move(*stanza));
            // Storage work this stanza started (an offline message stored, a
            // subscription recorded) is done before the next stanza is read,
            // so no later answer acknowledges it too early.
            if (StorageExecutor::take_posted_mark() && services_.storage) co_await services_.storage->fence();
        } else {
            co_await negotiate(std::move(*stanza));
            if (held_failure_) co_await send_held_failure();
        }
    } else if (std::holds_alternative<StreamClose>(event)) {
        close_stream();
    } else if (auto* error = std::get_if<ParseError>(&event)) {
        fail(error->condition, error->text);
    }
}

void C2sSession::finish() {
    if (finished_) return;
    finished_ = true;
    if (!closing_) close_stream();
    closing_ = true;
    if (write_waiting_) wake_writer_.cancel();
    if (services_.connections) services_.connections->remove(this);
    metrics::connection_closed(metrics::transport_of(transport_->kind(), direct_tls_));
    if (writer_done_) release();
}

void C2sSession::release() {
    if (released_) return;
    released_ = true;
    if (jid_) {
        // A session replaced by a new login of the same resource was ended
        // by its successor's bind (resource_ended there).
        if (services_.router->unbind(*jid_, this)) resource_ended(*jid_);
        XLOG(info).session(id_, jid_->full()) << "ended";
    }
}

void C2sSession::resource_ended(const xmpp::Jid& full) {
    if (services_.xmq) services_.xmq->session_ended(full);
    if (services_.modules)
        for (const auto& hook : services_.modules->hooks().session_ended) hook(full);
}

asio::awaitable<void> C2sSession::watchdog() {
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
        fail(xmpp::StreamError::connection_timeout, jid_ ? "Idle timeout" : "Negotiation timeout");
    }
}

void C2sSession::trim_idle_memory() {
    // A quiet stream keeps no parser context and no output capacity; both
    // come back on the next stanza (README, Performance: memory per idle session).
    parser_.release_idle_memory();
    output_.release_idle_memory();
    trimmed_input_ = last_input_;
}

std::string C2sSession::log_jid() const {
    if (jid_) return jid_->full();
    if (user_) return *user_ + "@" + host_;
    return {};
}

std::chrono::steady_clock::time_point C2sSession::deadline() const {
    if (closing_) return closing_since_ + close_grace;
    if (jid_) return last_input_ + config_->limits.idle_timeout;
    return started_ + config_->limits.preauth_timeout;
}

// ---- bound stanzas -----------------------------------------------------

void C2sSession::handle_bound(xmpp::Element&& stanza) {
    const std::string& name = stanza.name();
    metrics::stanza_in(name);
    if (stanza.xmlns() != xmpp::ns::client || (name != "message" && name != "presence" && name != "iq"))
        return fail(xmpp::StreamError::unsupported_stanza_type, "Unknown stanza " + name);

    // RFC 6120 §8.1.2.1: a 'from' other than our own full or bare JID is refused.
    if (const std::string* from = stanza.attr("from")) {
        auto claimed = xmpp::Jid::parse(*from);
        if (!claimed || (*claimed != *jid_ && *claimed != jid_->bare()))
            return fail(xmpp::StreamError::invalid_from, "The from address is not yours");
    }
    stanza.set_attr("from", jid_->full());

    std::optional<xmpp::Jid> to;
    if (const std::string* to_attr = stanza.attr("to")) {
        to = xmpp::Jid::parse(*to_attr);
        if (!to) {
            stanza.remove_attr("to");
            if (xmpp::is_error_reply_allowed(stanza)) {
                auto reply = xmpp::make_error_reply(stanza, xmpp::StanzaError::jid_malformed);
                send(reply);
            }
            return;
        }
    }

    if (name == "iq") {
        const std::string_view type = stanza.attr_or("type");
        const bool request = type == "get" || type == "set";
        if (!request && type != "result" && type != "error") {
            stanza.set_attr("type", "get");  // so that the error reply is allowed
            auto reply = xmpp::make_error_reply(stanza, xmpp::StanzaError::bad_request, "Invalid iq type");
            return send(reply);
        }
        if (!stanza.attr("id")) {
            if (request) {
                auto reply = xmpp::make_error_reply(stanza, xmpp::StanzaError::bad_request, "An iq needs an id");
                send(reply);
            }
            return;
        }
        // RFC 6120 §8.2.3: exactly one payload in a request; XMQ queue routes
        // take two (payload and topic), so they are let through.
        const bool to_queue = to && services_.xmq && services_.xmq->is_route(to->domain());
        if (request && stanza.element_count() != 1 && !to_queue) {
            auto reply = xmpp::make_error_reply(stanza, xmpp::StanzaError::bad_request,
                                                "An iq request carries exactly one payload");
            return send(reply);
        }
        // The legacy session establishment (RFC 3921), kept for old clients.
        if (request && stanza.child("session", xmpp::ns::session) &&
            (!to || (to->local().empty() && to->domain() == host_))) {
            xmpp::Element result("iq", std::string(xmpp::ns::client));
            result.set_attr("type", "result");
            result.set_attr("id", *stanza.attr("id"));
            result.set_attr("to", jid_->full());
            return send(result);
        }
    }
    services_.router->route(std::move(stanza), *jid_, to ? &*to : nullptr);
}

}  // namespace server
