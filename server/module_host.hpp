// ModuleHost: where feature modules (server/modules/) register what they
// handle, so that adding a XEP means adding a module file, not editing the
// router or the session. A module registers iq handlers keyed by (target,
// iq type, payload namespace), the disco identities and features it adds,
// and the protocols it implements (for `xmqd version --features` and the
// README table). Filled once at start-up, read-only afterwards: reads are
// safe from any thread.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "xmpp/element.hpp"
#include "xmpp/jid.hpp"

namespace server {

class Router;

// Who an iq is addressed to: the server's domain, or a local account's bare
// JID (which the server answers on the account's behalf, RFC 6121 §8.5.1).
enum class IqTarget { host, account };

struct IqRequest {
    xmpp::Element iq;  // 'from' stamped with the requester's full JID
    xmpp::Jid from;
    xmpp::Jid to;      // the host, or the account's bare JID
};

// Answers through router.send(), now or later (from any thread).
using IqHandler = std::function<void(IqRequest&& request, Router& router)>;

struct DiscoIdentity {
    std::string category;
    std::string type;
    std::string name;
};

struct Protocol {
    std::string spec;     // "XEP-0199", "RFC 6120"
    std::string title;    // "XMPP Ping"
    std::string module;   // the module that implements it
};

class ModuleHost {
public:
    void on_iq(IqTarget target, std::string_view type, std::string_view xmlns, IqHandler handler);
    const IqHandler* find_iq(IqTarget target, std::string_view type, std::string_view xmlns) const;

    void add_feature(IqTarget target, std::string var);
    void add_identity(IqTarget target, DiscoIdentity identity);
    void declare_protocol(Protocol protocol);

    const std::vector<std::string>& features(IqTarget target) const;
    const std::vector<DiscoIdentity>& identities(IqTarget target) const;
    const std::vector<Protocol>& protocols() const { return protocols_; }

private:
    using Key = std::tuple<IqTarget, std::string, std::string>;
    std::map<Key, IqHandler, std::less<>> iq_handlers_;
    std::map<IqTarget, std::vector<std::string>> features_;
    std::map<IqTarget, std::vector<DiscoIdentity>> identities_;
    std::vector<Protocol> protocols_;
};

// <iq type='result' id=... from=request.to to=request.from/>, to be filled.
xmpp::Element make_iq_result(const IqRequest& request);

}  // namespace server
