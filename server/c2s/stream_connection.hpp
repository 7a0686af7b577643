// StreamConnection: the connection under one XMPP stream, whatever
// negotiation runs on it (c2s, a component stream, s2s in either direction): the transport,
// the reader and writer coroutines, the StreamParser and its event queue, the
// negotiation and idle timeouts, idle memory trimming, stream errors and the
// close.
//
// The reader feeds bytes to the parser, whose events are queued, then handed
// to the Handler one at a time and awaited (handling may await storage or a
// TLS handshake, which a parser callback cannot); nothing more is read
// meanwhile. One read buffer per worker (Transport::read_some): an idle
// connection holds none. Output goes to an OutputQueue that the writer
// flushes with one write per wake-up, so stanzas queued together leave in one
// TLS record. A watchdog ends the stream at the negotiation deadline (the
// idle timeout once start_idle_timeout() was called), and after 5 s without
// input gives back the parser's context and the output buffers (the idle
// session budget: README, Performance); both come back with the next input.
//
// A peer that stops reading until its pending output passes
// limits.max_output_bytes gets <policy-violation/>, and the close grace (5 s)
// to take it. The kept stanzas (messages for offline storage) it never took
// whole, those queued, the rest of the write in flight and those arriving
// while the stream ends, stay in their order for take_unwritten() once the
// connection closed (output_queue.hpp).
//
// Lives on one worker: close_with() may be called from any thread and hops
// onto it; everything else runs on that worker. Kept alive by its coroutines
// until it closed; it holds its handler until Handler::on_closed(), so the
// handler (and a session attached to it) refer to it without owning it.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "conf/config.hpp"
#include "server/c2s/output_queue.hpp"
#include "server/net/transport.hpp"
#include "server/router/connection_registry.hpp"
#include "xmpp/element.hpp"
#include "xmpp/stream_parser.hpp"

namespace server {

class StreamConnection final : public LiveConnection,
                               public xmpp::StreamHandler,
                               public std::enable_shared_from_this<StreamConnection> {
public:
    // What runs on the connection: the negotiation, then what it hands over to.
    // Called on the connection's worker.
    class Handler {
    public:
        virtual ~Handler() = default;
        // The peer opened a stream (the first one, or one after restart()).
        virtual asio::awaitable<void> on_stream_open(const xmpp::StreamHeader& header) = 0;
        // A top-level element of the stream: a stanza or a nonza.
        virtual asio::awaitable<void> on_element(xmpp::Element&& element) = 0;
        // The reader and the writer have stopped: nothing more comes or goes.
        virtual void on_closed() = 0;
    };

    // `local_domain`: names us in a stream header sent before any other
    // (send_header() replaces it).
    StreamConnection(asio::any_io_executor executor, std::unique_ptr<Transport> transport,
                     const conf::LimitsConfig& limits, std::string local_domain);
    ~StreamConnection() override;

    // `tls_first`: a TLS handshake before any XMPP (direct TLS).
    void start(std::shared_ptr<Handler> handler, bool tls_first);

    std::uint64_t id() const { return id_; }  // names the stream in log lines
    const asio::any_io_executor& executor() const { return executor_; }
    Transport& transport() { return *transport_; }
    const Transport& transport() const { return *transport_; }
    // The peer's JID for log lines (bare once authenticated, full once bound).
    void set_log_jid(std::string jid) { log_jid_ = std::move(jid); }
    const std::string& log_jid() const { return log_jid_; }
    // From now on the stream ends after limits.idle_timeout without input,
    // instead of at the negotiation deadline.
    void start_idle_timeout();

    // From now on, our stream headers declare this default namespace and no
    // version (a component stream, XEP-0114) instead of jabber:client 1.0.
    void use_component_namespace() { content_ = Content::component; }
    // From now on, our stream headers are those of a server-to-server stream
    // (jabber:server, with the dialback namespace declared, XEP-0220).
    void use_server_namespace() { content_ = Content::server; }
    // From now on the stream has no deadline: an authenticated component
    // may stay quiet for as long as it likes (the peer's TCP ends it).
    void stop_deadline();

    // ---- output
    // Our stream header.
    void send_header(std::string_view from, std::string_view to, std::string_view id);
    // Stream-level output: features, negotiation elements, nonzas.
    void send_raw(std::string_view xml);
    void send(const xmpp::Element& element);
    // A stanza of the bound session, counted in stanzas_written() once
    // written whole. `keep`: handed over by take_unwritten() unless written.
    // While the stream ends, only kept stanzas are taken (for take_unwritten()).
    void send_stanza(std::string_view xml, bool keep);
    std::uint32_t stanzas_written() const { return output_.stanzas_written(); }
    // Returns once everything queued is written, or the stream is closing.
    asio::awaitable<void> flush();
    // While held (as often as hold_output() was called more than
    // release_output()), output is queued and not written, unless the stream
    // is closing: the bound session holds it until storage work is committed.
    void hold_output() { ++output_holds_; }
    void release_output();
    // Once closed: the kept stanzas never written whole, in order.
    std::vector<std::string> take_unwritten() { return output_.take_unwritten(); }

    // ---- the stream
    // RFC 6120 §5.4.3.3, §6.4.6: the peer opens a new stream after STARTTLS
    // or SASL success; whatever it sent after the element that caused the
    // restart is void.
    void restart();
    // The TLS handshake after <proceed/>; on failure the connection closes.
    asio::awaitable<bool> start_tls();
    // Sends the stream error (after a header if none was sent) and closes.
    void fail(xmpp::StreamError condition, std::string_view text = {});
    // Sends </stream:stream> and closes once it is written (or the grace passed).
    void close();
    // Closes the transport now: nothing more is read or written.
    void abort();
    bool closing() const { return closing_; }
    // The stream ended in order: the peer closed it, or we sent a stream
    // error. False when the connection was lost (what stream management
    // resumes, XEP-0198 §5).
    bool ended_in_order() const { return ended_in_order_; }
    // LiveConnection: fail() on the connection's worker.
    void close_with(xmpp::StreamError condition, std::string text) override;

private:
    struct StreamOpen {
        xmpp::StreamHeader header;
    };
    struct StreamClose {};
    struct ParseError {
        xmpp::StreamError condition;
        std::string text;
    };
    using Event = std::variant<StreamOpen, xmpp::Element, StreamClose, ParseError>;

    // xmpp::StreamHandler: the parser's events, queued.
    void on_stream_open(const xmpp::StreamHeader& header) override;
    void on_stanza(xmpp::Element&& stanza) override;
    void on_stream_close() override;
    void on_stream_error(xmpp::StreamError condition, std::string_view text) override;

    // `tls_first`: the TLS handshake before the first read.
    asio::awaitable<void> read_loop(bool tls_first);
    asio::awaitable<void> write_loop();
    asio::awaitable<void> watchdog();
    asio::awaitable<void> handle(Event event);
    void wake_writer();
    // After an append: the output limit, then the writer.
    void queued();
    // The reader stopped.
    void finish();
    // Both the reader and the writer stopped.
    void closed();
    void trim_idle_memory();
    std::chrono::steady_clock::time_point deadline() const;

    asio::any_io_executor executor_;
    std::unique_ptr<Transport> transport_;
    conf::LimitsConfig limits_;
    std::string local_domain_;
    std::uint64_t id_;
    std::string log_jid_;
    std::shared_ptr<Handler> handler_;
    xmpp::StreamParser parser_;
    std::deque<Event> events_;

    OutputQueue output_;
    bool write_waiting_ = false;
    std::uint32_t output_holds_ = 0;
    asio::steady_timer wake_writer_;
    asio::steady_timer flushed_;
    asio::steady_timer watchdog_;

    bool header_sent_ = false;
    bool idle_timeout_ = false;  // start_idle_timeout() called
    bool no_deadline_ = false;   // stop_deadline() called
    enum class Content { client, component, server };
    Content content_ = Content::client;
    bool closing_ = false;       // no more input handled; close once output is flushed
    bool ended_in_order_ = false;
    bool finished_ = false;      // the reader stopped
    bool writer_done_ = false;
    bool closed_ = false;
    std::chrono::steady_clock::time_point started_;
    std::chrono::steady_clock::time_point last_input_;
    std::chrono::steady_clock::time_point trimmed_input_;  // last_input_ when memory was last trimmed
    std::chrono::steady_clock::time_point closing_since_;
};

}  // namespace server
