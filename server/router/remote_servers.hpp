// RemoteServers: what the Router needs of federation (server/s2s/): a way
// to hand a stanza to another server. The Router, the Delivery and
// Router::send take it for every domain that is not ours (is_remote_domain)
// when federation is on (Services::remote set); without it such domains are
// answered remote-server-not-found. Implemented by S2sManager; any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "server/core/services.hpp"
#include "xmpp/element.hpp"
#include "xmpp/jid.hpp"

namespace server {

class RemoteServers {
public:
    virtual ~RemoteServers() = default;
    // Queues `stanza` (in jabber:client; `from` a JID of a domain of ours,
    // `to` one of a remote domain) on the stream from `from`'s domain to
    // `to`'s, set up if need be. What cannot be delivered comes back as an
    // error through Router::bounce (remote-server-not-found,
    // remote-server-timeout, not-authorized).
    virtual void send(const xmpp::Element& stanza, const xmpp::Jid& from, const xmpp::Jid& to) = 0;
    // The remote domains with an outgoing stream (set up or being set up), sorted.
    virtual std::vector<std::string> remote_domains() const = 0;
};

// Whether `domain` (normalised) is one of ours: a served host, a module's
// service domain (conference.HOST), a configured component or an XMQ route.
bool is_local_domain(const Services& services, const conf::Config& config, std::string_view domain);

// Whether a stanza to `domain` goes to another server: federation is on and
// the domain is not ours.
inline bool is_remote_domain(const Services& services, const conf::Config& config, std::string_view domain) {
    return services.remote != nullptr && !is_local_domain(services, config, domain);
}

}  // namespace server
