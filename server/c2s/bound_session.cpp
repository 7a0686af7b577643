#include "server/c2s/bound_session.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <utility>

#include "server/c2s/bound_stanza.hpp"
#include "server/c2s/stream_management.hpp"
#include "server/core/metrics.hpp"
#include "server/core/module_host.hpp"
#include "server/core/storage_executor.hpp"
#include "server/router/router.hpp"
#include "server/system/log.hpp"
#include "xmpp/namespaces.hpp"
#include "xmpp/serializer.hpp"
#include "xmpp/stored_xml.hpp"
#include "xmq/engine.hpp"

namespace server {

namespace {

bool running_in(const asio::any_io_executor& executor) {
    const auto* io = executor.target<asio::io_context::executor_type>();
    return io && io->running_in_this_thread();
}

// Whether sequence number `a` comes after `b`, across the 2^32 wrap.
bool after(std::uint32_t a, std::uint32_t b) { return static_cast<std::int32_t>(a - b) > 0; }

// The end of a bound resource for the rest of the server: its XMQ
// subscriptions go, then the modules' session_ended hooks run.
void end_resource(Services& services, const xmpp::Jid& full) {
    if (services.router) services.router->queue_session_ended(full);
    if (services.modules)
        for (const auto& hook : services.modules->hooks().session_ended) hook(full);
}

}  // namespace

BoundSession::BoundSession(Services& services, std::shared_ptr<const conf::Config> config, xmpp::Jid full,
                           StreamConnection& connection)
    : services_(services),
      config_(std::move(config)),
      jid_(std::move(full)),
      id_(connection.id()),
      encrypted_(connection.transport().is_secure()),
      executor_(connection.executor()),
      connection_(&connection),
      connection_written_at_attach_(connection_->stanzas_written()) {
    if (services_.modules && services_.modules->session_settings().csi_max_held > 0)
        csi_.emplace(services_.modules->session_settings().csi_max_held);
}

BoundSession::~BoundSession() = default;

BindResult BoundSession::enter_session_table() {
    auto admitted = services_.router->bind(jid_, shared_from_this(), config_->limits.max_sessions_per_account);
    if (admitted.bound && admitted.replaced) {
        end_resource(services_, jid_);
        admitted.replaced->close_with(xmpp::StreamError::conflict, "Replaced by new connection");
    }
    return admitted;
}

// ---- deliveries --------------------------------------------------------

void BoundSession::deliver(std::string xml, Undelivered fallback) {
    const bool keep = fallback == Undelivered::to_offline;
    {
        std::lock_guard lock(inbox_mutex_);
        if (!inbox_.empty() || draining_ || !running_in(executor_)) return enqueue(Delivery{std::move(xml), keep});
    }
    take(std::move(xml), keep);
}

void BoundSession::close_with(xmpp::StreamError condition, std::string text) {
    std::lock_guard lock(inbox_mutex_);
    enqueue(CloseRequest{condition, std::move(text)});
}

void BoundSession::enqueue(InboxItem item) {
    inbox_.push_back(std::move(item));
    if (inbox_.size() == 1 && !draining_)
        asio::post(executor_, [self = shared_from_this()] { self->drain_inbox(); });
}

void BoundSession::drain_inbox() {
    std::vector<InboxItem> batch;
    for (;;) {
        {
            std::lock_guard lock(inbox_mutex_);
            if (!running_in(executor_)) return;  // the session moved: drained where it went
            if (inbox_.empty()) {
                draining_ = false;
                return;
            }
            batch.swap(inbox_);
            draining_ = true;
        }
        for (InboxItem& item : batch) {
            if (auto* delivery = std::get_if<Delivery>(&item)) {
                take(std::move(delivery->xml), delivery->keep);
            } else {
                auto& request = std::get<CloseRequest>(item);
                close_now(request.condition, request.text);
            }
        }
        batch.clear();
    }
}

void BoundSession::take(std::string xml, bool keep) {
    if (ended_) {
        if (keep) hand_over({std::move(xml)});
        return;
    }
    if (csi_ && csi_->inactive()) {
        const auto stanza = xmpp::parse_stored(xml);
        for (auto& out : csi_->offer(stanza ? &*stanza : nullptr, std::move(xml), keep))
            write(std::move(out.xml), out.keep);
        return;
    }
    write(std::move(xml), keep);
}

void BoundSession::write(std::string xml, bool keep) {
    const std::uint32_t sequence = ++taken_;
    if (connection_) {
        connection_->send_stanza(xml, keep);
        if (!keep_unacknowledged_) return;
    } else if (keep) {
        for (const auto& hook : services_.modules->hooks().hibernated_message) hook(xml, jid_);
    }
    outbox_bytes_ += xml.size();
    outbox_.push_back(Outbound{sequence, std::move(xml), keep});
    if (outbox_bytes_ > config_->limits.max_output_bytes) return outbox_overflowed();
    if (connection_ && sm_) request_ack_if_due();
}

void BoundSession::send(const xmpp::Element& stanza) {
    std::string xml;
    xmpp::serialize(stanza, xml);
    take(std::move(xml), false);
}

void BoundSession::outbox_overflowed() {
    if (connection_) return connection_->fail(xmpp::StreamError::policy_violation, "Output queue limit reached");
    XLOG(info).session(id_, jid_.full()) << "detached session ended: its outbox is full";
    end({});
}

void BoundSession::close_now(xmpp::StreamError condition, std::string_view text) {
    if (ended_) return;
    if (connection_) return connection_->fail(condition, text);
    XLOG(info).session(id_, jid_.full()) << "detached session ended: " << xmpp::to_string(condition);
    end({});
}

// ---- inbound -----------------------------------------------------------

asio::awaitable<void> BoundSession::handle_inbound(StreamConnection& from, xmpp::Element&& stanza) {
    if (&from != connection_) co_return;  // detached from it
    StorageExecutor::take_posted_mark();
    handle_stanza(std::move(stanza));
    // Storage work this stanza started (a message archived or stored offline,
    // a subscription recorded) is committed before anything more goes out on
    // this stream, so no later answer or <a/> acknowledges it too early. For
    // writes alone, the next stanza is read meanwhile (a client's writes share
    // commits); work that may deliver (the offline flush after presence) is
    // done before it, so an answer to the next stanza follows its deliveries.
    const auto posted = StorageExecutor::take_posted_mark();
    if (posted == StorageExecutor::Posted::nothing || !services_.storage) co_return;
    if (posted == StorageExecutor::Posted::grouped) {
        hold_output_until_committed(from);
        co_return;
    }
    co_await services_.storage->fence();
}

namespace {
asio::awaitable<void> release_after_commit(StorageExecutor& storage, std::shared_ptr<StreamConnection> held) {
    co_await storage.fence();
    held->release_output();
}
}  // namespace

void BoundSession::hold_output_until_committed(StreamConnection& connection) {
    connection.hold_output();
    asio::co_spawn(
        connection.executor(),
        [storage = services_.storage, held = connection.shared_from_this()] {
            return release_after_commit(*storage, held);
        },
        asio::detached);
}

void BoundSession::handle_stanza(xmpp::Element&& stanza) {
    if (csi_ && stanza.xmlns() == xmpp::ns::csi) return client_state(stanza);  // a nonza: not counted
    metrics::stanza_in(stanza.name());
    const auto is_queue_route = [xmq = services_.xmq](std::string_view domain) {
        return xmq && xmq->is_route(domain);
    };
    BoundStanzaVerdict verdict = check_bound_stanza(stanza, jid_, is_queue_route);
    if (verdict.kind == BoundStanzaVerdict::Kind::stream_error)
        return connection_->fail(verdict.stream_error, verdict.text);
    ++handled_;
    switch (verdict.kind) {
    case BoundStanzaVerdict::Kind::route:
        services_.router->route(std::move(stanza), jid_, verdict.to ? &*verdict.to : nullptr);
        break;
    case BoundStanzaVerdict::Kind::reply:
        send(verdict.reply);
        break;
    case BoundStanzaVerdict::Kind::drop:
    case BoundStanzaVerdict::Kind::stream_error:
        break;
    }
}

void BoundSession::client_state(const xmpp::Element& nonza) {
    if (nonza.name() == "inactive") return csi_->set_inactive();
    if (nonza.name() != "active")
        return connection_->fail(xmpp::StreamError::unsupported_stanza_type, "Unknown element " + nonza.name());
    for (auto& out : csi_->set_active()) write(std::move(out.xml), out.keep);
}

// ---- stream management hooks --------------------------------------------

std::uint32_t BoundSession::stanzas_written() const {
    if (!connection_) return written_;
    const std::uint32_t here = connection_base_ + (connection_->stanzas_written() - connection_written_at_attach_);
    return after(here, written_) ? here : written_;
}

bool BoundSession::acknowledge(std::uint32_t h) {
    if (after(h, stanzas_written())) return false;
    while (outbox_head_ < outbox_.size() && !after(outbox_[outbox_head_].sequence, h)) {
        outbox_bytes_ -= outbox_[outbox_head_].xml.size();
        std::string().swap(outbox_[outbox_head_++].xml);
    }
    if (outbox_head_ == outbox_.size()) {
        clear_outbox();
    } else if (outbox_head_ >= 64 && outbox_head_ * 2 >= outbox_.size()) {
        outbox_.erase(outbox_.begin(), outbox_.begin() + static_cast<std::ptrdiff_t>(outbox_head_));
        outbox_head_ = 0;
    }
    return true;
}

void BoundSession::detach() {
    if (!connection_) return;
    written_ = stanzas_written();
    XLOG(info).session(id_, jid_.full()) << "detached from stream " << connection_->id();
    StreamConnection* connection = std::exchange(connection_, nullptr);
    connection->abort();  // its end, later, finds the session detached
}

asio::awaitable<void> BoundSession::come_to(StreamConnection& connection) {
    asio::any_io_executor home;
    {
        std::lock_guard lock(inbox_mutex_);
        home = executor_;
    }
    // Leave the old connection (and drop the timer, which lives on this
    // worker) and move on the session's own worker, then take the new one
    // where it runs. A named closure: g++ 12 mishandles closure temporaries
    // inside a co_await expression.
    auto move = [self = shared_from_this(), target = connection.executor()]() -> asio::awaitable<void> {
        self->detach();
        ++self->timer_generation_;
        self->timer_.reset();
        self->move_to(target);
        co_return;
    };
    if (running_in(home))
        co_await move();
    else
        co_await asio::co_spawn(home, std::move(move), asio::use_awaitable);
}

asio::awaitable<bool> BoundSession::attach(StreamConnection& connection) {
    co_await come_to(connection);
    if (ended_) co_return false;
    adopt(connection);
    co_return true;
}

void BoundSession::move_to(asio::any_io_executor executor) {
    std::lock_guard lock(inbox_mutex_);
    executor_ = std::move(executor);
    if (!inbox_.empty() && !draining_)
        asio::post(executor_, [self = shared_from_this()] { self->drain_inbox(); });
}

void BoundSession::adopt(StreamConnection& connection) {
    connection_ = &connection;
    encrypted_ = connection_->transport().is_secure();
    connection_->set_log_jid(jid_.full());
    connection_->start_idle_timeout();
    connection_written_at_attach_ = connection_->stanzas_written();
    connection_base_ = held() == 0 ? taken_ : outbox_[outbox_head_].sequence - 1;
    XLOG(info).session(id_, jid_.full()) << "attached to stream " << connection_->id() << " with " << held()
                                         << " stanzas held";
    for (std::size_t i = outbox_head_; i < outbox_.size(); ++i)
        connection_->send_stanza(outbox_[i].xml, outbox_[i].keep);
    if (!keep_unacknowledged_) clear_outbox();
    // A resumed stream starts active (XEP-0352: the state is not restored
    // on resumption): what waited goes now.
    if (csi_ && csi_->inactive())
        for (auto& out : csi_->set_active()) write(std::move(out.xml), out.keep);
}

// ---- the end -------------------------------------------------------------

void BoundSession::connection_closed(StreamConnection& connection) {
    std::vector<std::string> unwritten = connection.take_unwritten();
    if (&connection != connection_) {
        if (!keep_unacknowledged_) hand_over(std::move(unwritten));
        return;
    }
    written_ = stanzas_written();
    connection_ = nullptr;
    ++timer_generation_;
    timer_.reset();
    // A lost connection (not a closed stream): the session may wait for
    // resumption. What the connection never wrote is in its outbox too.
    if (!connection.ended_in_order() && hibernate()) return;
    end(std::move(unwritten));
}

std::vector<std::string> BoundSession::kept_in_outbox() const {
    std::vector<std::string> kept;
    for (std::size_t i = outbox_head_; i < outbox_.size(); ++i)
        if (outbox_[i].keep) kept.push_back(outbox_[i].xml);
    return kept;
}

void BoundSession::clear_outbox() {
    outbox_.clear();
    outbox_head_ = 0;
    outbox_bytes_ = 0;
}

void BoundSession::end(std::vector<std::string> unwritten) {
    if (ended_) return;
    ended_ = true;
    ++timer_generation_;
    timer_.reset();
    forget_resumption();
    if (keep_unacknowledged_) {
        unwritten = kept_in_outbox();  // every kept stanza not acknowledged, the unwritten ones too
    } else {
        for (std::string& held : kept_in_outbox()) unwritten.push_back(std::move(held));
    }
    clear_outbox();
    if (csi_) csi_->drop_held();  // presence and chat states: transient
    hand_over(std::move(unwritten));
    // A session replaced by a new login of the same resource was ended by
    // its successor's bind (enter_session_table() there).
    if (services_.router->unbind(jid_, this)) end_resource(services_, jid_);
    XLOG(info).session(id_, jid_.full()) << "ended";
}

void BoundSession::hand_over(std::vector<std::string> messages) {
    if (messages.empty() || !services_.modules) return;
    XLOG(info).session(id_, jid_.full()) << messages.size() << " unwritten messages handed to offline storage";
    for (const auto& hook : services_.modules->hooks().unwritten_messages) hook(messages, jid_.bare());
}

// ---- stream management (XEP-0198) ---------------------------------------

std::string BoundSession::enable_stream_management(StreamManagement& sm, bool resume,
                                                   std::optional<std::uint32_t> max) {
    sm_ = &sm;
    keep_unacknowledged();
    handled_ = 0;
    sm_base_ = taken_;
    sm_acked_ = 0;
    if (resume) {
        resumption_id_ = new_resumption_id();
        resume_timeout_ = sm::resume_timeout(max, sm.settings.max_resume);
        sm.resumable.add(resumption_id_, jid_.bare_string(), shared_from_this());
    }
    XLOG(debug).session(id_, jid_.full()) << "stream management enabled" << (resume ? " with resumption" : "");
    return sm::enabled(resumption_id_, resume_timeout_);
}

std::uint32_t BoundSession::stream_management_sent() const {
    const std::uint32_t written = stanzas_written();
    // Stanzas taken before <enabled/> and still being written are not the client's to count.
    return after(sm_base_, written) ? 0 : written - sm_base_;
}

sm::AckCheck BoundSession::acknowledge_from_client(std::uint32_t h) {
    const auto check = sm::check_ack(sm_acked_, h, stream_management_sent());
    if (check == sm::AckCheck::too_high) {
        forget_resumption();
        return check;
    }
    if (check == sm::AckCheck::ok) {
        acknowledge(sm_base_ + h);
        sm_acked_ = h;
        ack_requested_ = false;
        if (connection_ && unacknowledged_taken() > 0) request_ack_if_due();
    }
    return check;
}

asio::awaitable<BoundSession::ResumeOutcome> BoundSession::resume(StreamConnection& connection, std::uint32_t h) {
    co_await come_to(connection);
    if (ended_) co_return ResumeOutcome::ended;
    if (sm::check_ack(sm_acked_, h, stream_management_sent()) == sm::AckCheck::too_high) {
        XLOG(info).session(id_, jid_.full()) << "resumption refused: h " << h << " above the "
                                             << stream_management_sent() << " stanzas sent";
        const std::uint32_t sent = stream_management_sent();
        end({});
        connection.send_raw(sm::handled_count_too_high(h, sent));
        connection.close();
        co_return ResumeOutcome::too_high;
    }
    acknowledge_from_client(h);
    ack_requested_ = false;
    connection.send_raw(sm::resumed(resumption_id_, handled_));
    adopt(connection);
    if (unacknowledged_taken() > 0) request_ack_if_due();
    co_return ResumeOutcome::resumed;
}

bool BoundSession::hibernate() {
    if (!sm_ || resumption_id_.empty()) return false;
    std::vector<std::shared_ptr<BoundSession>> evicted;
    if (!sm_->resumable.hibernate(resumption_id_, this, sm_->settings.max_hibernated_per_account, evicted))
        return false;
    for (const auto& other : evicted)
        other->close_with(xmpp::StreamError::resource_constraint, "Too many hibernated sessions of this account");
    arm_timer(resume_timeout_);
    XLOG(info).session(id_, jid_.full()) << "hibernated for at most " << resume_timeout_.count() << " s with "
                                         << held() << " stanzas unacknowledged";
    return true;
}

void BoundSession::request_ack_if_due() {
    const std::uint32_t unacked = unacknowledged_taken();
    if (ack_requested_ || unacked == 0) return;
    if (sm_->settings.ack_requests.request_now(unacked, ack_requested_)) {
        ack_requested_ = true;
        ++timer_generation_;
        timer_.reset();
        connection_->send_raw(sm::request());
    } else if (!timer_) {
        arm_timer(sm_->settings.ack_requests.after);
    }
}

void BoundSession::arm_timer(std::chrono::steady_clock::duration after) {
    if (!timer_) timer_ = std::make_unique<asio::steady_timer>(executor_);
    timer_->expires_after(after);
    timer_->async_wait([self = shared_from_this(), generation = ++timer_generation_](const error_code& ec) {
        if (!ec) self->timer_fired(generation);
    });
}

void BoundSession::timer_fired(std::uint32_t generation) {
    if (generation != timer_generation_ || ended_) return;
    timer_.reset();
    if (connection_) {
        // Unacknowledged output for a while: ask for an ack now.
        if (ack_requested_ || unacknowledged_taken() == 0) return;
        ack_requested_ = true;
        connection_->send_raw(sm::request());
        return;
    }
    if (!sm_->resumable.expire(resumption_id_, this)) return;  // a resumption claimed it meanwhile
    XLOG(info).session(id_, jid_.full()) << "resumption time passed: " << held() << " stanzas unacknowledged";
    end({});
}

void BoundSession::forget_resumption() {
    if (!sm_ || resumption_id_.empty()) return;
    sm_->resumable.remove(resumption_id_, this);
    resumption_id_.clear();
}

}  // namespace server
