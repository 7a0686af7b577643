// ClientSession: what the router and the session table need from a bound
// client session, whatever its transport. Every method is safe to call from
// any thread: the session hops onto its own worker to act.
#pragma once

#include <string>
#include <string_view>

#include "xmpp/errors.hpp"
#include "xmpp/jid.hpp"

namespace server {

class ClientSession {
public:
    virtual ~ClientSession() = default;
    // Queues serialized stanza XML for the peer.
    virtual void deliver(std::string xml) = 0;
    // Ends the stream with this stream error (e.g. conflict, system-shutdown).
    virtual void close_with(xmpp::StreamError condition, std::string text) = 0;
};

}  // namespace server
