// S2sIncoming: what runs on a connection of an s2s listener: another
// server's stream to us (RFC 6120, XEP-0220). It answers the peer's header
// with ours (jabber:server, a fresh stream id) and its features (STARTTLS,
// required unless s2s.require_tls is off; dialback once secure), then acts
// on the pure S2sIncomingMachine's steps: a <db:result/> claim is verified
// with the claimed domain's authoritative server (S2sManager::verify) and
// answered valid or invalid; a <db:verify/> question about one of our own
// keys is answered from the dialback secret; the stanzas of an accepted
// domain go to the Router as the stanzas of local senders do, renamed into
// jabber:client. Limits are those of c2s (parser limits, the inbound shaper
// and the per-IP count of the LimitedTransport, limits.preauth_timeout until
// a claim is accepted, then s2s.idle_timeout without input).
//
// Made per accepted connection (accept.cpp); the connection holds it until
// it closed. Runs on the connection's worker; close_with() from any thread.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <memory>
#include <string>

#include "server/c2s/stream_connection.hpp"
#include "server/core/services.hpp"
#include "server/net/transport.hpp"
#include "server/s2s/s2s_negotiation_machine.hpp"

namespace server {

class S2sManager;

class S2sIncoming final : public StreamConnection::Handler, public std::enable_shared_from_this<S2sIncoming> {
public:
    S2sIncoming(Services& services, S2sManager& manager, asio::any_io_executor executor,
                std::unique_ptr<Transport> transport);
    ~S2sIncoming() override;

    void start();
    void close_with(xmpp::StreamError condition, std::string text) { connection_.close_with(condition, text); }

private:
    // StreamConnection::Handler.
    asio::awaitable<void> on_stream_open(const xmpp::StreamHeader& header) override;
    asio::awaitable<void> on_element(xmpp::Element&& element) override;
    void on_closed() override;

    void send_features(bool secure);
    void claim(const S2sStep& step);
    void claim_decided(const std::string& local, const std::string& remote, bool valid);

    Services& services_;
    S2sManager& manager_;
    std::shared_ptr<const conf::Config> config_;
    std::shared_ptr<StreamConnection> unstarted_;  // until start()
    StreamConnection& connection_;
    std::weak_ptr<StreamConnection> alive_;  // for answers that come after the close
    S2sIncomingMachine machine_;
    std::string stream_id_;
    bool idle_timeout_started_ = false;
};

}  // namespace server
