// S2sOutgoing: our stream to another server for one pair of domains (one of
// ours, the remote one), RFC 6120 with Server Dialback (XEP-0220). It
// resolves the remote domain (SRV _xmpps-server and _xmpp-server, then its
// addresses; server/net/resolver.hpp), connects to the candidates in order
// (direct TLS for _xmpps-server ones), opens the stream, does STARTTLS when
// offered (required unless s2s.require_tls is off), and claims our domain
// with a dialback key. Stanzas queued meanwhile go out in order once the
// peer accepted the claim; if it refuses they bounce with not-authorized, if
// no candidate answers with remote-server-not-found, and if it is not set
// up within s2s.connect_timeout with remote-server-timeout. Once set up it
// closes after s2s.idle_timeout without a stanza sent. It also carries the
// <db:verify/> questions of our incoming streams to the remote domain.
//
// Made and held by the S2sManager until it ends (forget()); runs on one
// worker. enqueue() and verify() may be called from any thread. Holds its
// StreamConnection weakly (the connection holds it while open: no cycle).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "server/c2s/stream_connection.hpp"
#include "server/core/services.hpp"
#include "server/s2s/s2s_negotiation_machine.hpp"
#include "xmpp/errors.hpp"

namespace server {

class S2sManager;

class S2sOutgoing final : public StreamConnection::Handler, public std::enable_shared_from_this<S2sOutgoing> {
public:
    S2sOutgoing(S2sManager& manager, Services& services, asio::any_io_executor executor, std::string local,
                std::string remote);
    ~S2sOutgoing() override;

    // Resolves and connects; arms the set-up deadline.
    void start();
    // A stanza (jabber:client) from `local` to `remote`, in order.
    void enqueue(xmpp::Element stanza);
    // Asks the remote (authoritative) server about a key of a stream it opened to us.
    void verify(std::string stream_id, std::string key, std::function<void(bool)> done);

private:
    enum class State { connecting, negotiating, established, ended };
    struct Verify {
        std::string id;
        std::string key;
        std::function<void(bool)> done;
    };

    // StreamConnection::Handler.
    asio::awaitable<void> on_stream_open(const xmpp::StreamHeader& header) override;
    asio::awaitable<void> on_element(xmpp::Element&& element) override;
    void on_closed() override;

    asio::awaitable<void> connect();
    void open(std::unique_ptr<Transport> transport);
    void send_now(const xmpp::Element& stanza);
    void send_verifies();
    void established();
    // Ends the attempt or the stream: queued stanzas bounce with `condition`
    // (none: sent again through the manager, for a stream that merely idled out).
    void end(std::optional<xmpp::StanzaError> condition, std::string_view text);
    void arm_idle_timer();

    S2sManager& manager_;
    Services& services_;
    asio::any_io_executor executor_;
    std::string local_;
    std::string remote_;
    S2sOutgoingMachine machine_;
    State state_ = State::connecting;
    std::deque<xmpp::Element> queue_;
    std::vector<Verify> unsent_verifies_;
    std::multimap<std::string, std::function<void(bool)>> sent_verifies_;  // by stream id
    std::optional<asio::ip::tcp::socket> socket_;  // while connecting
    Transport* handshaking_ = nullptr;             // during a direct TLS handshake
    std::weak_ptr<StreamConnection> connection_;
    asio::steady_timer deadline_;
    asio::steady_timer idle_;
    std::chrono::steady_clock::time_point last_sent_;
    std::optional<xmpp::StanzaError> ended_with_;
    std::string ended_text_;
};

}  // namespace server
