// ClientSession: what the router and the session table need from a bound
// client session, whatever its transport. Every method is safe to call from
// any thread: the session hops onto its own worker to act.
#pragma once

#include <string>
#include <string_view>

#include "xmpp/errors.hpp"
#include "xmpp/jid.hpp"

namespace server {

// What becomes of a stanza the session took but could not write to its peer
// (the peer stopped reading and overflowed the output queue, the connection
// broke, or the stream was closing).
enum class Undelivered {
    drop,        // presence, iq, errors, headlines: nothing to keep
    to_offline,  // a chat or normal message: handed to the undeliverable_message
                 // hooks (offline storage), which apply their own rules
};

class ClientSession {
public:
    virtual ~ClientSession() = default;
    // Queues serialized stanza XML for the peer.
    virtual void deliver(std::string xml, Undelivered fallback) = 0;
    void deliver(std::string xml) { deliver(std::move(xml), Undelivered::drop); }
    // Ends the stream with this stream error (e.g. conflict, system-shutdown).
    virtual void close_with(xmpp::StreamError condition, std::string text) = 0;
    // Whether the stream runs encrypted (set when bound).
    virtual bool is_encrypted() const = 0;
};

}  // namespace server
