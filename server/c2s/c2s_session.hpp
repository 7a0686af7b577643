// C2sSession: one client-to-server XMPP stream (RFC 6120), from the first
// byte to the close, over any Transport.
//
// The reader coroutine feeds bytes to the StreamParser, whose events are
// queued and then handled in order (handling may await storage or a TLS
// handshake, which a parser callback cannot). Negotiation (stream header,
// STARTTLS, SASL, resource binding) is in c2s_negotiation.cpp; bound stanzas
// go to the Router. Output is appended to one buffer that a writer coroutine
// flushes with one write per wake-up, so stanzas queued together leave in one
// TLS record. A watchdog enforces the pre-auth and idle timeouts.
//
// A peer that stops reading until its output passes limits.max_output_bytes
// gets <policy-violation/>, and is given the close grace to take it. The
// chat and normal messages it was sent and never took whole (those queued,
// the rest of the write in flight, those arriving while the stream ends) go
// to offline storage in their order (output_queue.hpp), before the session
// leaves the session table: the user finds them at the next login.
//
// Lives on one worker for its whole life; deliver() and close_with() may be
// called from any thread and hop onto that worker.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "auth/sasl_server.hpp"
#include "server/router/client_session.hpp"
#include "server/c2s/output_queue.hpp"
#include "server/core/services.hpp"
#include "server/net/transport.hpp"
#include "xmpp/stream_parser.hpp"

namespace server {

class C2sSession final : public ClientSession,
                         public xmpp::StreamHandler,
                         public std::enable_shared_from_this<C2sSession> {
public:
    // `direct_tls`: the transport must complete a TLS handshake before XMPP.
    C2sSession(Services& services, asio::any_io_executor executor, std::unique_ptr<Transport> transport,
               bool direct_tls);
    ~C2sSession() override;

    void start();

    using ClientSession::deliver;
    void deliver(std::string xml, Undelivered fallback) override;
    void close_with(xmpp::StreamError condition, std::string text) override;
    bool is_encrypted() const override { return encrypted_; }

    std::uint64_t id() const { return id_; }

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

    asio::awaitable<void> read_loop();
    asio::awaitable<void> write_loop();
    asio::awaitable<void> watchdog();
    asio::awaitable<void> handle(Event event);
    asio::awaitable<void> flush();
    void finish();
    void trim_idle_memory();

    // `keep`: a message to hand to offline storage if it is never written.
    void send_raw(std::string_view xml, bool keep = false);
    // A delivery, on this session's worker.
    void take(std::string xml, Undelivered fallback);
    // Messages taken for this session's user and never written, in order:
    // to the unwritten_messages hooks (offline storage).
    void hand_over(std::vector<std::string> messages);
    // The end of a bound session, once both the reader and the writer have
    // stopped (so that nothing it queued is handed over after later traffic).
    void release();
    // The end of a bound resource for the rest of the server: its XMQ
    // subscriptions go, then the modules' session_ended hooks run.
    void resource_ended(const xmpp::Jid& full);
    void send(const xmpp::Element& stanza);
    // Sends the stream error (after a header if none was sent) and closes.
    void fail(xmpp::StreamError condition, std::string_view text = {});
    void close_stream();

    // Negotiation (c2s_negotiation.cpp).
    void open_stream(const xmpp::StreamHeader& header);
    void send_features();
    asio::awaitable<void> negotiate(xmpp::Element&& stanza);
    asio::awaitable<void> start_tls();
    asio::awaitable<void> sasl_auth(const xmpp::Element& auth);
    asio::awaitable<void> sasl_response(const xmpp::Element& response);
    asio::awaitable<void> sasl_run(std::string_view message, bool first);
    void sasl_failure(auth::SaslFailure failure);
    // Sends a <failure/> held back by the per-IP failure delay, once it passed.
    asio::awaitable<void> send_held_failure();
    void bind_resource(const xmpp::Element& iq);
    // In-band registration of a new account before authentication
    // (XEP-0077; c2s_registration.cpp).
    asio::awaitable<void> register_in_band(const xmpp::Element& iq);
    void restart_stream();
    std::unique_ptr<auth::SaslServer> make_sasl_server() const;

    // Bound stanzas (c2s_session.cpp).
    void handle_bound(xmpp::Element&& stanza);

    std::chrono::steady_clock::time_point deadline() const;
    // For log lines: the full JID once bound, the bare JID once authenticated, else empty.
    std::string log_jid() const;

    Services& services_;
    std::shared_ptr<const conf::Config> config_;
    asio::any_io_executor executor_;
    std::unique_ptr<Transport> transport_;
    bool direct_tls_;
    std::uint64_t id_;
    xmpp::StreamParser parser_;
    std::deque<Event> events_;

    OutputQueue output_;
    bool overflowed_ = false;  // the peer stopped reading: its messages go to offline storage
    bool released_ = false;
    bool write_waiting_ = false;
    asio::steady_timer wake_writer_;
    asio::steady_timer flushed_;
    asio::steady_timer watchdog_;

    bool header_sent_ = false;
    bool closing_ = false;  // no more input handled; close once output is flushed
    bool finished_ = false;
    bool writer_done_ = false;
    std::chrono::steady_clock::time_point started_;
    std::chrono::steady_clock::time_point last_input_;
    std::chrono::steady_clock::time_point trimmed_input_;  // last_input_ when memory was last trimmed
    std::chrono::steady_clock::time_point closing_since_;

    std::string host_;  // the virtual host this stream is for
    std::unique_ptr<auth::SaslServer> sasl_;
    bool sasl_unused_ = false;  // sasl_ was made for the features and not started yet
    std::string sasl_mechanism_;
    unsigned auth_failures_ = 0;
    struct HeldFailure {
        std::string xml;
        bool close = false;  // max_failures reached: the stream ends after it
        std::chrono::milliseconds delay{0};
    };
    std::optional<HeldFailure> held_failure_;
    std::optional<std::string> user_;  // authenticated localpart
    std::optional<xmpp::Jid> jid_;     // bound full JID
    bool encrypted_ = false;           // the transport's is_secure() when bound; read from any thread after
};

}  // namespace server
