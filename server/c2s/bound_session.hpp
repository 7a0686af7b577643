// BoundSession: a client's bound resource (RFC 6120 §7), the ClientSession
// the router and the session table deliver to. It outlives the negotiation
// that made it, and it is not its connection: it writes to the
// StreamConnection it is attached to, and can detach from it and attach to
// another (what stream management, XEP-0198, needs to resume a session).
//
// Inbound, the negotiation hands it each stanza of its stream: it applies the
// RFC 6120 §8 checks (bound_stanza.hpp), routes to the Router, and counts the
// stanza handled. Storage work a stanza started (an offline message stored, a
// subscription recorded) is done before the next stanza is read (the storage
// fence), so no later answer acknowledges it too early.
//
// Outbound, deliver() may be called from any thread: deliveries from other
// threads wait in a small inbox (one mutex) drained on the session's worker
// by one posted job per burst; on its own worker a delivery with nothing
// waiting ahead of it is taken at once. Taken stanzas go to the connection's
// OutputQueue, whose writer sends everything queued in one write per wake-up
// (stanzas queued together share a TLS record). Each stanza taken gets the
// next outbound sequence number; the connection counts those written whole.
//
// The outbox holds what the session keeps for its peer: the stanzas taken
// while detached (written in order on attach), and, once
// keep_unacknowledged() was called, every stanza until acknowledge() covers
// it (resent on attach). It is bounded by limits.max_output_bytes: past it an
// attached stream ends with <policy-violation/>, a detached session ends.
//
// While its client says it is inactive (XEP-0352, when the csi module is
// on), deliveries pass a CsiBuffer (csi_buffer.hpp) before they are taken:
// presence and chat states wait there, and get their sequence number only
// when they go out; <active/> lets them go.
//
// A detached session stays bound until it is attached again or closed.
//
// Stream management (XEP-0198, sm_protocol.hpp), once C2sNegotiation
// enabled it: both counters start from zero at <enabled/>, every stanza
// stays in the outbox until the client's h covers it, and the session asks
// for acks itself (after N unacknowledged stanzas, or T seconds of
// unacknowledged output). A resumable session whose connection is lost
// (not a stream closed in order by either side) hibernates
// (stream_management.hpp: its ResumptionTable) instead of ending: it keeps taking stanzas into its outbox until resume() attaches
// it to a new connection, on any worker, and resends what the client has
// not acknowledged, in order; or until its resumption time passes, the
// account hibernates too many sessions, or the server stops: then it ends.
//
// When the session ends (its connection closed while attached, or
// close_with() while detached), the
// chat and normal messages it took and never wrote go to the
// unwritten_messages hooks (offline storage) in their order, then it leaves
// the session table and its resource ends (XMQ subscriptions, the modules'
// session_ended hooks). Later deliveries of messages go straight to those
// hooks. Messages an old connection never wrote go there too once it closed,
// unless the outbox keeps them as unacknowledged.
//
// Shared by the session table, the router's callers and its connection's
// handler. Runs on the worker of the connection it was last attached to;
// deliver(), close_with() and is_encrypted() are safe from any thread, the
// rest is for that worker only.
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "conf/config.hpp"
#include "server/c2s/csi_buffer.hpp"
#include "server/c2s/sm_protocol.hpp"
#include "server/c2s/stream_connection.hpp"
#include "server/core/services.hpp"
#include "server/router/client_session.hpp"
#include "server/router/session_manager.hpp"
#include "xmpp/element.hpp"
#include "xmpp/jid.hpp"

namespace server {

class StreamManagement;

class BoundSession final : public ClientSession, public std::enable_shared_from_this<BoundSession> {
public:
    // `full`: the bound JID. Attached to `connection` from the start, on its worker.
    BoundSession(Services& services, std::shared_ptr<const conf::Config> config, xmpp::Jid full,
                 StreamConnection& connection);
    ~BoundSession() override;

    const xmpp::Jid& jid() const { return jid_; }

    // ClientSession, from any thread.
    using ClientSession::deliver;
    void deliver(std::string xml, Undelivered fallback) override;
    // Attached: the stream ends with this error. Detached: the session ends.
    void close_with(xmpp::StreamError condition, std::string text) override;
    bool is_encrypted() const override { return encrypted_.load(std::memory_order_relaxed); }

    // Enters the session table, unless the account is at its limit of
    // resources (RFC 6120 §7.6.2.1). A session of the same full JID it
    // replaces ends its resource now, before this bind is answered (its XMQ
    // subscriptions and presence must not pass to this one, and its own end,
    // later, must not undo what this one does meanwhile), then is closed
    // with <conflict/>.
    BindResult enter_session_table();

    // A stanza from the client on `from`; ignored unless `from` is the
    // attached connection.
    asio::awaitable<void> handle_inbound(StreamConnection& from, xmpp::Element&& stanza);
    // `connection` closed. The attached one: the session ends. One it was
    // detached from: the messages it never wrote go to offline storage,
    // unless the outbox keeps them as unacknowledged.
    void connection_closed(StreamConnection& connection);

    // ---- stream management (XEP-0198) hooks
    // Stanzas from the client handled, and stanzas written whole to it: the
    // outbound sequence number of the last one (a resent stanza keeps its
    // number). Both wrap at 2^32, as XEP-0198's counters do.
    std::uint32_t stanzas_handled() const { return handled_; }
    std::uint32_t stanzas_written() const;
    // From now on every stanza taken stays in the outbox until acknowledged.
    void keep_unacknowledged() { keep_unacknowledged_ = true; }
    // The client handled the stanzas up to sequence number `h`: they leave
    // the outbox. False (nothing changes) when `h` is ahead of what was written.
    bool acknowledge(std::uint32_t h);
    // Stanzas in the outbox.
    std::size_t held() const { return outbox_.size() - outbox_head_; }
    bool attached() const { return connection_ != nullptr; }
    // Leaves the connection, which closes at once; the session stays bound
    // and keeps what it is sent in its outbox.
    void detach();
    // Detaches from any connection and attaches to `connection`, writing the
    // outbox to it in order. Called on `connection`'s worker, one attach at a
    // time; when the session runs on another worker it moves there first
    // (deliveries keep their order across the move). `connection`'s handler
    // hands its stanzas to handle_inbound() and its close to
    // connection_closed(). False when the session has ended: nothing to resume.
    asio::awaitable<bool> attach(StreamConnection& connection);

    // ---- stream management (XEP-0198), driven by C2sNegotiation
    bool stream_management_enabled() const { return sm_ != nullptr; }
    // <enable/>: counting starts over and every stanza from now on stays
    // until acknowledged; `resume`: the session may be resumed, within the
    // client's `max` bounded by the server's. Returns the <enabled/> answer.
    std::string enable_stream_management(StreamManagement& sm, bool resume, std::optional<std::uint32_t> max);
    // Stanzas written whole since <enabled/>: what the client may acknowledge.
    std::uint32_t stream_management_sent() const;
    // The client's <a h/>. too_high changes nothing but the session can no
    // longer be resumed (its stream ends with an error).
    sm::AckCheck acknowledge_from_client(std::uint32_t h);
    enum class ResumeOutcome { resumed, ended, too_high };
    // <resume h/> on `connection`, for this session (claimed in its table):
    // attaches as attach() does, drops what `h` acknowledges, sends
    // <resumed/> then the rest of the outbox. ended: nothing to resume.
    // too_high: `h` is above what was sent; the session ends.
    asio::awaitable<ResumeOutcome> resume(StreamConnection& connection, std::uint32_t h);

private:
    struct Outbound {
        std::uint32_t sequence;
        std::string xml;
        bool keep;
    };
    struct Delivery {
        std::string xml;
        bool keep;
    };
    struct CloseRequest {
        xmpp::StreamError condition;
        std::string text;
    };
    using InboxItem = std::variant<Delivery, CloseRequest>;

    // Adds to the inbox and makes sure a drain is posted; the caller holds inbox_mutex_.
    void enqueue(InboxItem item);
    void drain_inbox();
    // A delivery, on the session's worker: past the CSI buffer, then write().
    void take(std::string xml, bool keep);
    // A stanza taken: its sequence number, to the connection or the outbox.
    void write(std::string xml, bool keep);
    // <active/> or <inactive/> (XEP-0352) from the client.
    void client_state(const xmpp::Element& nonza);
    void close_now(xmpp::StreamError condition, std::string_view text);
    // On the session's worker: deliveries from now on go to `executor`.
    void move_to(asio::any_io_executor executor);
    // Detaches and moves to `connection`'s worker (on the session's own).
    asio::awaitable<void> come_to(StreamConnection& connection);
    // Stream management: a lost connection; false when the session cannot hibernate.
    bool hibernate();
    std::uint32_t unacknowledged_taken() const { return taken_ - sm_base_ - sm_acked_; }
    // Asks for an ack when the policy says so, or arms the timer that will.
    void request_ack_if_due();
    void arm_timer(std::chrono::steady_clock::duration after);
    void timer_fired(std::uint32_t generation);
    void forget_resumption();
    void adopt(StreamConnection& connection);
    void outbox_overflowed();
    // The end of the session: `unwritten` (kept stanzas never written) and
    // the outbox's to offline storage, then out of the session table.
    void end(std::vector<std::string> unwritten);
    // Messages taken for this session's user and never written, in order:
    // to the unwritten_messages hooks (offline storage).
    void hand_over(std::vector<std::string> messages);
    std::vector<std::string> kept_in_outbox() const;
    void clear_outbox();
    void handle_stanza(xmpp::Element&& stanza);
    void send(const xmpp::Element& stanza);

    Services& services_;
    std::shared_ptr<const conf::Config> config_;
    const xmpp::Jid jid_;
    const std::uint64_t id_;  // the id of the stream it was bound on, for log lines
    std::atomic<bool> encrypted_;

    std::mutex inbox_mutex_;
    asio::any_io_executor executor_;  // written on the session's worker under inbox_mutex_
    std::vector<InboxItem> inbox_;
    bool draining_ = false;  // drain_inbox() runs: deliveries queue behind its batch

    // Null while detached. Not owned: a connection lives until it closed
    // (its coroutines hold it), and its handler calls connection_closed()
    // then, so the session never outlives the pointer's use (no cycle
    // through the connection's handler, which holds this session).
    StreamConnection* connection_;
    // From outbox_head_ on (a vector, not a deque: libstdc++'s allocates
    // even when empty, and most sessions never hold anything).
    std::vector<Outbound> outbox_;
    std::size_t outbox_head_ = 0;
    std::size_t outbox_bytes_ = 0;
    bool keep_unacknowledged_ = false;
    std::optional<CsiBuffer> csi_;  // when the csi module is on
    bool ended_ = false;
    std::uint32_t handled_ = 0;
    std::uint32_t taken_ = 0;            // sequence number of the last stanza taken
    std::uint32_t written_ = 0;          // of the last written on earlier connections
    std::uint32_t connection_base_ = 0;  // of the stanza before the first handed to connection_
    std::uint32_t connection_written_at_attach_ = 0;

    // Stream management, from <enable/> on. Not owned: made by the module
    // at start-up, it outlives the workers that run sessions.
    StreamManagement* sm_ = nullptr;
    std::string resumption_id_;  // empty: not resumable
    std::chrono::seconds resume_timeout_{0};
    std::uint32_t sm_base_ = 0;   // sequence number of the last stanza taken before <enabled/>
    std::uint32_t sm_acked_ = 0;  // the client's last h
    std::uint32_t timer_generation_ = 0;
    bool ack_requested_ = false;  // an <r/> is out, no <a/> since
    // Attached: when to ask for an ack. Hibernated: the end of the
    // resumption time. On the session's worker; made only when needed.
    std::unique_ptr<asio::steady_timer> timer_;
};

}  // namespace server
