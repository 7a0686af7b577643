// C2sNegotiation: what runs on a client-to-server connection. It answers
// each stream header with its features, and runs STARTTLS, SASL (with the
// per-IP failure delay, auth_failure_delay.hpp), in-band registration
// (XEP-0077, c2s_registration.cpp) and resource binding, in the order
// C2sNegotiationMachine allows; then it hands every stanza of the stream to
// the BoundSession its bind made. SASL is in c2s_sasl.cpp. When the
// stream_management module is on, it answers the XEP-0198 nonzas
// (c2s_stream_management.cpp): <enable/>, <r/> and <a/> for its session,
// and <resume/> instead of a bind, which attaches a hibernated session.
//
// Made per accepted connection (accept.cpp, or an upgrade to WebSocket), it
// makes its StreamConnection and is that connection's Handler: once
// started, the connection holds it until it closed. It keeps the connection in the
// ConnectionRegistry meanwhile. Runs on the connection's worker;
// close_with() may be called from any thread.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "auth/sasl_server.hpp"
#include "server/c2s/bound_session.hpp"
#include "server/c2s/c2s_negotiation_machine.hpp"
#include "server/c2s/stream_management.hpp"
#include "server/c2s/stream_connection.hpp"
#include "server/core/services.hpp"
#include "server/net/transport.hpp"

namespace server {

class C2sNegotiation final : public StreamConnection::Handler,
                             public std::enable_shared_from_this<C2sNegotiation> {
public:
    // `direct_tls`: the transport must complete a TLS handshake before XMPP.
    C2sNegotiation(Services& services, asio::any_io_executor executor, std::unique_ptr<Transport> transport,
                   bool direct_tls);
    ~C2sNegotiation() override;

    void start();
    // Ends the stream with this stream error.
    void close_with(xmpp::StreamError condition, std::string text) { connection_.close_with(condition, text); }

private:
    using Machine = C2sNegotiationMachine;

    // StreamConnection::Handler.
    asio::awaitable<void> on_stream_open(const xmpp::StreamHeader& header) override;
    asio::awaitable<void> on_element(xmpp::Element&& element) override;
    void on_closed() override;

    // Answers what the machine refused.
    void refuse(const Machine::Verdict& verdict);
    void send_features();
    asio::awaitable<void> start_tls();
    void bind_resource(const xmpp::Element& iq);
    // XEP-0198 (c2s_stream_management.cpp).
    asio::awaitable<void> stream_management(const xmpp::Element& nonza);
    asio::awaitable<void> resume(std::string previd, std::uint32_t h);
    // XEP-0077 before authentication (c2s_registration.cpp).
    asio::awaitable<void> register_in_band(const xmpp::Element& iq);

    // SASL (c2s_sasl.cpp). `restart`: an <auth/> during an exchange, which starts over.
    asio::awaitable<void> sasl_auth(const xmpp::Element& auth, bool restart);
    asio::awaitable<void> sasl_response(const xmpp::Element& response);
    asio::awaitable<void> sasl_run(std::string_view message, bool first);
    void sasl_failure(auth::SaslFailure failure);
    // Sends a <failure/> held back by the per-IP failure delay, once it passed.
    asio::awaitable<void> send_held_failure();
    std::unique_ptr<auth::SaslServer> make_sasl_server() const;

    Services& services_;
    std::shared_ptr<const conf::Config> config_;
    bool direct_tls_;
    // Made here and held until start() hands it to its coroutines; from then
    // on the connection holds this negotiation (as its Handler) until it
    // closed, so the negotiation refers to it without owning it (no cycle).
    std::shared_ptr<StreamConnection> unstarted_;
    StreamConnection& connection_;
    StreamManagement* sm_;  // null: the module is off; else made at start-up, outlives the connection
    Machine machine_;

    // The SASL negotiation of the features just sent (whose mechanisms were
    // offered), or the exchange in progress.
    std::unique_ptr<auth::SaslServer> sasl_;
    std::string sasl_mechanism_;
    struct HeldFailure {
        std::string xml;
        bool close = false;  // max_failures reached: the stream ends after it
        std::chrono::milliseconds delay{0};
    };
    std::optional<HeldFailure> held_failure_;

    std::shared_ptr<BoundSession> bound_;  // once the machine is bound
};

}  // namespace server
