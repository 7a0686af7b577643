// Module "carbons", Message Carbons (XEP-0280, urn:xmpp:carbons:2): each
// resource of an account may ask, with an iq set <enable/> (and stop with
// <disable/>) to its own bare JID, for copies of the account's chat: a
// message the account receives reaches its carbons-enabled resources that
// the original does not reach (a message to the bare JID goes to the
// resources of highest priority, RFC 6121 §8.5.2.1.1: those get no copy), and
// a message one resource sends reaches the account's other carbons-enabled
// resources, whether the sender enabled carbons or not. Which messages are
// copied is xmpp/carbons.hpp (§6; <private xmlns='urn:xmpp:carbons:2'/> and
// the XEP-0334 hint <no-copy/> keep a message from being copied), and the
// delivered original loses its <private/> (§9).
//
// The copies are made on the routed_message hook (every message between
// local accounts, once, before it is delivered; the archive, when loaded
// before this module, has stamped its stanza-id already) and go through the
// Delivery (kind `carbon`: filtered like every delivery, never kept offline).
// Which resources enabled carbons is per session, in memory, forgotten when
// the session ends. Advertised on the server and on the account (disco#info).
#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <shared_mutex>
#include <string>
#include <vector>

#include "server/modules/modules.hpp"
#include "server/router/router.hpp"
#include "xmpp/carbons.hpp"
#include "xmpp/namespaces.hpp"

namespace server::modules {

namespace {

using xmpp::carbons::Direction;

struct Carbons {
    explicit Carbons(Services& s) : services(s) {}
    Services& services;

    mutable std::shared_mutex mutex;
    std::map<std::string, std::set<std::string>> enabled;  // account bare JID -> resources

    void set(const xmpp::Jid& full, bool on) {
        std::unique_lock lock(mutex);
        if (on) return void(enabled[full.bare_string()].insert(full.resource()));
        auto it = enabled.find(full.bare_string());
        if (it == enabled.end()) return;
        it->second.erase(full.resource());
        if (it->second.empty()) enabled.erase(it);
    }
    std::vector<std::string> resources_of(const xmpp::Jid& account) const {
        std::shared_lock lock(mutex);
        auto it = enabled.find(account.bare_string());
        if (it == enabled.end()) return {};
        return {it->second.begin(), it->second.end()};
    }
    void forget(const xmpp::Jid& account) {
        std::unique_lock lock(mutex);
        enabled.erase(account.bare_string());
    }
};

void handle_set(Carbons& c, IqRequest& request, Router& router) {
    // §4.1, §5.1: a resource switches its own carbons, no one else's.
    if (request.to != request.from.bare()) return router.bounce(request.iq, xmpp::StanzaError::not_allowed);
    const bool enable = request.iq.child("enable", xmpp::ns::carbons) != nullptr;
    if (!enable && !request.iq.child("disable", xmpp::ns::carbons))
        return router.bounce(request.iq, xmpp::StanzaError::bad_request, "Expected <enable/> or <disable/>");
    c.set(request.from, enable);  // again and again is no error (§10.1)
    router.send(make_iq_result(request));
}

// Each of `resources` (`account`'s carbons-enabled ones) but `skip`, sent a copy.
void copy_to(Carbons& c, const xmpp::Element& message, Direction direction, const xmpp::Jid& account,
             const std::vector<std::string>& resources, const std::vector<std::string>& skip) {
    Delivery& delivery = c.services.router->delivery();
    const xmpp::Jid bare = account.bare();
    for (const auto& resource : resources) {
        if (std::find(skip.begin(), skip.end(), resource) != skip.end()) continue;
        auto full = bare.with_resource(resource);
        if (!full) continue;
        delivery.to_resource(xmpp::carbons::wrap(message, direction, bare, *full), bare, *full,
                             DeliveryKind::carbon);
    }
}

// The routed_message hook: the copies, then <private/> off the original.
bool on_routed(Carbons& c, xmpp::Element& message, const xmpp::Jid& from, const xmpp::Jid& to) {
    const bool from_local = !from.local().empty() && !from.is_bare() &&
                            c.services.current_config()->serves_host(from.domain());
    const bool same_account = from.bare() == to.bare();
    const auto senders = from_local && xmpp::carbons::eligible(message, Direction::sent)
                             ? c.resources_of(from)
                             : std::vector<std::string>{};
    const auto receivers = !same_account && xmpp::carbons::eligible(message, Direction::received)
                               ? c.resources_of(to)
                               : std::vector<std::string>{};
    // Most messages reach no carbons-enabled resource: the session table is
    // not asked who gets the original then.
    if (!senders.empty() || !receivers.empty()) {
        // Who gets the original gets no copy (§7); within one account the
        // sender's other resources get the <sent/> copy only.
        const std::vector<std::string> recipients = c.services.router->delivery().message_recipients(message, to);
        std::vector<std::string> skip{from.resource()};
        if (same_account) skip.insert(skip.end(), recipients.begin(), recipients.end());
        copy_to(c, message, Direction::sent, from, senders, skip);
        copy_to(c, message, Direction::received, to, receivers, recipients);
    }
    xmpp::carbons::strip_private(message);
    return false;
}

void load_carbons(ModuleHost& host, Services& services, const conf::ModuleOptions&) {
    host.add_feature(IqTarget::host, std::string(xmpp::ns::carbons));
    host.add_feature(IqTarget::account, std::string(xmpp::ns::carbons));
    auto c = std::make_shared<Carbons>(services);
    host.on_iq(IqTarget::account, "set", xmpp::ns::carbons,
               [c](IqRequest&& request, Router& router) { handle_set(*c, request, router); });
    host.hooks().routed_message.push_back(
        [c](xmpp::Element& message, const xmpp::Jid& from, const xmpp::Jid& to) {
            return on_routed(*c, message, from, to);
        });
    host.hooks().session_ended.push_back([c](const xmpp::Jid& full) { c->set(full, false); });
    host.hooks().account_removed.push_back([c](const xmpp::Jid& bare) { c->forget(bare); });
}

}  // namespace

Module carbons_module() {
    return {
        .schema = {.name = "carbons"},
        .protocols = {{"XEP-0280", "Message Carbons (urn:xmpp:carbons:2)"},
                      {"XEP-0334", "Message Processing Hints: no-copy (carbons)"}},
        .needs = {Service::router, Service::sessions},
        .load = load_carbons,
    };
}

}  // namespace server::modules
