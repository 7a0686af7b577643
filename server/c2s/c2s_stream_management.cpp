// C2sNegotiation: the stream-management nonzas (XEP-0198) of a client
// stream, after authentication, with the stream_management module on.
#include "server/c2s/c2s_negotiation.hpp"
#include "server/system/log.hpp"

namespace server {

asio::awaitable<void> C2sNegotiation::stream_management(const xmpp::Element& element) {
    const sm::Nonza nonza = sm::parse(element);
    if (nonza.kind == sm::Nonza::Kind::unknown) {
        machine_.close();
        co_return connection_.fail(xmpp::StreamError::bad_format, "Malformed or unknown stream management element");
    }
    const bool enabled = bound_ && bound_->stream_management_enabled();
    switch (nonza.kind) {
    case sm::Nonza::Kind::enable:
        // §3: once per stream, and only for a bound resource.
        if (!bound_ || enabled) co_return connection_.send_raw(sm::failed(xmpp::StanzaError::unexpected_request));
        co_return connection_.send_raw(bound_->enable_stream_management(*sm_, nonza.resume, nonza.max));
    case sm::Nonza::Kind::request:
        // Stanzas before this <r/> were handled, and the storage work they
        // started done (BoundSession's storage fence), before it is read.
        if (!enabled) co_return connection_.send_raw(sm::failed(xmpp::StanzaError::unexpected_request));
        co_return connection_.send_raw(sm::ack(bound_->stanzas_handled()));
    case sm::Nonza::Kind::ack:
        if (!enabled) co_return connection_.send_raw(sm::failed(xmpp::StanzaError::unexpected_request));
        if (bound_->acknowledge_from_client(nonza.h) == sm::AckCheck::too_high) {
            XLOG(info).session(connection_.id(), connection_.log_jid())
                << "stream error: h " << nonza.h << " above the " << bound_->stream_management_sent() << " sent";
            machine_.close();
            connection_.send_raw(sm::handled_count_too_high(nonza.h, bound_->stream_management_sent()));
            connection_.close();
        }
        co_return;
    case sm::Nonza::Kind::resume:
        // §5: instead of a bind; a bound stream has nothing to resume.
        if (bound_) co_return connection_.send_raw(sm::failed(xmpp::StanzaError::unexpected_request));
        co_return co_await resume(nonza.previd, nonza.h);
    case sm::Nonza::Kind::unknown:
        break;
    }
}

asio::awaitable<void> C2sNegotiation::resume(std::string previd, std::uint32_t h) {
    const auto account = xmpp::Jid::from_parts(machine_.user(), machine_.host(), {});
    auto session = account ? sm_->resumable.claim(previd, account->bare_string()) : nullptr;
    if (!session) {
        XLOG(info).session(connection_.id(), connection_.log_jid()) << "resumption refused: unknown id";
        co_return connection_.send_raw(sm::failed(xmpp::StanzaError::item_not_found));
    }
    const auto outcome = co_await session->resume(connection_, h);
    sm_->resumable.release(previd);
    switch (outcome) {
    case BoundSession::ResumeOutcome::ended:
        co_return connection_.send_raw(sm::failed(xmpp::StanzaError::item_not_found));
    case BoundSession::ResumeOutcome::too_high:
        machine_.close();
        co_return;
    case BoundSession::ResumeOutcome::resumed:
        break;
    }
    bound_ = std::move(session);
    machine_.bound();
}

}  // namespace server
