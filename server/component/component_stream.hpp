// ComponentStream: what runs on a connection of a component listener (an
// external component, XEP-0114). It answers the component's stream header
// with one of its own (jabber:component:accept, a fresh stream id), checks
// the <handshake/>, attaches the component to the ComponentTable under its
// domain, and from then on hands each stanza it sends, checked
// (component_handshake.hpp), to the Router; what the Router routes to the
// domain comes back through deliver(). Refusals are stream errors:
// host-unknown (no such component), not-authorized (wrong secret, or a
// stanza before the handshake), conflict (the domain is connected already:
// the connected one stays, as in Prosody), invalid-from.
//
// Limits are those of c2s: the stanza size, depth and attribute limits of
// the parser, the inbound shaper and per-IP count of the LimitedTransport
// under it, limits.preauth_timeout until the handshake succeeded. A
// connected component has no idle timeout: it may be quiet for hours.
//
// Made per accepted connection (accept.cpp); the connection holds it (as
// its Handler) until it closed, and the ComponentTable while it is
// attached. Runs on the connection's worker; deliver() and close_with()
// may be called from any thread.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <memory>
#include <string>

#include "server/c2s/stream_connection.hpp"
#include "server/core/services.hpp"
#include "server/net/transport.hpp"
#include "server/router/component_table.hpp"

namespace server {

class ComponentStream final : public StreamConnection::Handler,
                              public ComponentLink,
                              public std::enable_shared_from_this<ComponentStream> {
public:
    ComponentStream(Services& services, asio::any_io_executor executor, std::unique_ptr<Transport> transport);
    ~ComponentStream() override;

    void start();
    // Ends the stream with this stream error.
    void close_with(xmpp::StreamError condition, std::string text) { connection_.close_with(condition, text); }

    // ComponentLink.
    void deliver(std::string xml) override;

private:
    // StreamConnection::Handler.
    asio::awaitable<void> on_stream_open(const xmpp::StreamHeader& header) override;
    asio::awaitable<void> on_element(xmpp::Element&& element) override;
    void on_closed() override;

    void handshake(const xmpp::Element& element);
    void stanza(xmpp::Element&& element);
    void refuse(xmpp::StreamError condition, std::string_view text);

    Services& services_;
    std::shared_ptr<const conf::Config> config_;
    // Held until start() hands it to its coroutines; from then on the
    // connection holds this stream until it closed (no cycle).
    std::shared_ptr<StreamConnection> unstarted_;
    StreamConnection& connection_;
    std::weak_ptr<StreamConnection> alive_;  // for deliver(), which may come after the close
    std::string stream_id_;
    std::string domain_;  // the component's, once its header named a known one
    std::string secret_;
    bool attached_ = false;  // in the ComponentTable
};

}  // namespace server
