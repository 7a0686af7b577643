// ModuleHost: where feature modules (server/modules/) register what they
// handle, so that adding a XEP means adding a module file, not editing the
// router or the session. A module (module.hpp; loaded by the
// ModuleRegistry) registers iq handlers keyed by (target, iq type, payload
// namespace), hooks, stream features, and the disco identities and features
// it adds. Filled once at start-up, read-only afterwards: reads are safe
// from any thread.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <typeindex>
#include <vector>

#include "server/core/delivery_filter.hpp"
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

// A service with a domain of its own under a host (group chat on
// conference.HOST; later upload, proxies): the Router hands it every stanza
// addressed to that domain or to a JID under it, as the sender's session
// sent it ('from' stamped), on the sender's worker. It answers through
// the router, now or later.
using DomainHandler =
    std::function<void(xmpp::Element&& stanza, const xmpp::Jid& from, const xmpp::Jid& to, Router& router)>;

struct ServiceDomain {
    std::string domain;  // "conference.example.org"
    std::string host;    // the served host whose disco#items lists it
    std::string name;    // its name in those items ("Chat rooms")
    DomainHandler handler;
};

struct DiscoIdentity {
    std::string category;
    std::string type;
    std::string name;
};

// Hooks: the points of a stanza's travel, beyond iq handlers, where modules
// act. Each kind is a list the modules register into at start-up; the Router
// and the session call them, in registration order, on the thread at hand
// (a worker), so a hook that needs storage posts its work to the storage
// executor. A hook returning true has taken the stanza: the caller stops.
struct Hooks {
    // Every stanza on its way to a local session, and every stanza routed to
    // a local account before the server answers for it (delivery_filter.hpp).
    // Blocking (XEP-0191) lives here.
    std::vector<DeliveryFilter> delivery_filter;
    // Presence without 'to' from a bound session, after the session table
    // recorded it (availability, priority, last available presence).
    // `was_available`: whether the resource was available before it (false
    // for initial presence). A resource that ends while available is shown
    // here as its unavailable presence (RFC 6121 §4.5.2), then its end.
    std::vector<std::function<void(const xmpp::Element& presence, const xmpp::Jid& from, bool was_available)>>
        own_presence;
    // Presence from a bound session to a JID of a host we serve (local part
    // set): subscriptions, directed presence; available or unavailable
    // presence from one to a connected external component's JID (directed);
    // and any presence from one to a remote server's JID (federation), before
    // it leaves: subscriptions update the sender's roster first (RFC 6121 §3).
    std::vector<std::function<bool(xmpp::Element& presence, const xmpp::Jid& from, const xmpp::Jid& to)>>
        outbound_presence;
    // Presence of a subscription type or a probe that a remote server sent
    // for a local account (`to`, local part set) from one of its JIDs
    // (RFC 6121 §3, §4.3): true when taken (the module answers and forwards).
    std::vector<std::function<bool(xmpp::Element& presence, const xmpp::Jid& from, const xmpp::Jid& to)>>
        remote_presence;
    // A message to a local account (local part set), once, as the Router
    // routes it: after the delivery filters admitted it, before it reaches a
    // session, offline storage or an error reply. `from` is the sender as
    // the stanza says; `to` the recipient as addressed (bare or full). A hook
    // may change the message (the archive stamps its stanza-id, XEP-0359)
    // and send stanzas of its own (carbon copies, XEP-0280); true stops it.
    std::vector<std::function<bool(xmpp::Element& message, const xmpp::Jid& from, const xmpp::Jid& to)>>
        routed_message;
    // A bound session ended (closed, lost, replaced).
    std::vector<std::function<void(const xmpp::Jid& full)>> session_ended;
    // A message for a local account that has no resource to take it (RFC
    // 6121 §8.5.2.2): offline storage, or the error for a missing account.
    std::vector<std::function<bool(xmpp::Element& message, const xmpp::Jid& bare)>> undeliverable_message;
    // A message (one offline storage would keep) reached a session that is
    // hibernated by stream management (XEP-0198): it waits in the session's
    // outbox for the client to resume. Serialized; on the session's worker.
    // Push notifications (XEP-0357) wake the device here.
    std::vector<std::function<void(const std::string& message, const xmpp::Jid& full)>> hibernated_message;
    // Messages a session of `bare` took and could not write (the peer
    // stopped reading, the connection broke), serialized, in their order:
    // offline storage keeps those it would have kept for an offline user.
    std::vector<std::function<void(const std::vector<std::string>& messages, const xmpp::Jid& bare)>>
        unwritten_messages;
    // An account is being deleted (server/accounts/account_deletion.hpp). Called on
    // the storage thread, after its sessions ended and before its rows go:
    // modules tell others what they must learn (the IM module cancels the
    // account's presence subscriptions).
    std::vector<std::function<void(const xmpp::Jid& bare)>> account_removing;
    // The account's rows are gone (storage thread): modules forget what they
    // keep in memory about it.
    std::vector<std::function<void(const xmpp::Jid& bare)>> account_removed;
    // An account stored a document in its private XML storage (XEP-0049) or
    // its vCard (XEP-0054): on the storage thread, after the write, with what
    // was stored. Modules that keep another view of the same data follow it
    // (bookmarks: XEP-0402 items; pep_vcard_conversion: XEP-0084 avatar).
    std::vector<std::function<void(const xmpp::Jid& bare, const xmpp::Element& document)>> private_stored;
    std::vector<std::function<void(const xmpp::Jid& bare, const xmpp::Element& vcard)>> vcard_stored;
    // A local resource's entity capabilities (XEP-0115) became known: its
    // available presence named a ver already verified, or the server's
    // disco#info query verified the ver (then for every resource announcing
    // it). Called by the caps module, on a worker, at each available presence
    // whose caps are known (an update too: a hook keeps what it needs to tell
    // them apart). The PEP module sends such a resource the last published
    // items its caps ask for (XEP-0163 §6.2).
    std::vector<std::function<void(const xmpp::Jid& full)>> caps_resolved;
    // Every module has loaded (start-up, once): for what depends on what all
    // of them registered (the caps module hashes the server's disco#info).
    std::vector<std::function<void()>> modules_loaded;
};

// What modules set at start-up for every bound client session (the c2s
// session reads it when it binds).
struct SessionSettings {
    // Client State Indication (XEP-0352, module csi): how many stanzas a
    // session holds while its client says it is inactive; 0: CSI is off
    // (no <csi/> stream feature, and <inactive/> is an unknown element).
    std::size_t csi_max_held = 0;
};

class ModuleHost {
public:
    SessionSettings& session_settings() { return session_settings_; }
    const SessionSettings& session_settings() const { return session_settings_; }

    Hooks& hooks() { return hooks_; }
    const Hooks& hooks() const { return hooks_; }

    // Stream features offered after authentication (e.g. roster versioning).
    void add_stream_feature(xmpp::Element feature) { stream_features_.push_back(std::move(feature)); }
    const std::vector<xmpp::Element>& stream_features() const { return stream_features_; }

    void on_iq(IqTarget target, std::string_view type, std::string_view xmlns, IqHandler handler);
    const IqHandler* find_iq(IqTarget target, std::string_view type, std::string_view xmlns) const;

    void add_feature(IqTarget target, std::string var);
    void add_identity(IqTarget target, DiscoIdentity identity);
    // A XEP-0128 extended information form (<x xmlns='jabber:x:data'
    // type='result'/> with a hidden FORM_TYPE) in the target's disco#info:
    // the XEP-0157 contact addresses of the server.
    void add_info_form(IqTarget target, xmpp::Element form) { info_forms_[target].push_back(std::move(form)); }

    // A disco node whose disco#info is the target's own (the XEP-0115 node
    // NODE#VER of the server's caps).
    void add_info_node(IqTarget target, std::string node) { info_nodes_[target].push_back(std::move(node)); }
    bool is_info_node(IqTarget target, std::string_view node) const;

    // Start-up only; a domain registered twice, or equal to a served host,
    // is a bug of the module (std::logic_error).
    void add_service_domain(ServiceDomain service);
    const ServiceDomain* find_service_domain(std::string_view domain) const;
    // The service domains under `host`, in registration order (its disco#items).
    std::vector<const ServiceDomain*> service_domains_of(std::string_view host) const;

    const std::vector<std::string>& features(IqTarget target) const;
    const std::vector<DiscoIdentity>& identities(IqTarget target) const;

    // State that several modules share (roster and presence keep one
    // roster store and one presence registry): made by `make` for the first
    // module that asks, the same object for the others. Start-up only.
    template <class T, class Make>
    std::shared_ptr<T> shared(Make make) {
        auto& slot = shared_[std::type_index(typeid(T))];
        if (!slot) slot = make();
        return std::static_pointer_cast<T>(slot);
    }

    // The state of type T a module made with shared(), or null when no
    // running module made one (the c2s finds stream management this way).
    template <class T>
    std::shared_ptr<T> find_shared() const {
        auto it = shared_.find(std::type_index(typeid(T)));
        return it == shared_.end() ? nullptr : std::static_pointer_cast<T>(it->second);
    }

    // The disco#info <query/> of a target: its identities (a name only where
    // one is set), every feature registered for it and its extended forms.
    xmpp::Element disco_info(IqTarget target) const;

private:
    using Key = std::tuple<IqTarget, std::string, std::string>;
    std::map<Key, IqHandler, std::less<>> iq_handlers_;
    std::map<IqTarget, std::vector<std::string>> features_;
    std::map<IqTarget, std::vector<DiscoIdentity>> identities_;
    std::map<IqTarget, std::vector<std::string>> info_nodes_;
    std::map<IqTarget, std::vector<xmpp::Element>> info_forms_;
    std::map<std::type_index, std::shared_ptr<void>> shared_;
    std::vector<ServiceDomain> service_domains_;
    Hooks hooks_;
    SessionSettings session_settings_;
    std::vector<xmpp::Element> stream_features_;
};

// <iq type='result' id=... from=request.to to=request.from/>, to be filled.
xmpp::Element make_iq_result(const IqRequest& request);

}  // namespace server
