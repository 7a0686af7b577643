// Module "vcard", vcard-temp (XEP-0054): an account stores its own vCard (a
// set to its own bare JID, or without 'to') and anyone may read an account's
// vCard. An account without a vCard reads back an empty one when it asks for
// its own, and <item-not-found/> when someone else asks; a JID that is no
// account of ours gets <service-unavailable/>. Stored as the XML the client
// sent, up to [modules.vcard] max_bytes (photos belong in XEP-0084, not here).
#include <memory>

#include "server/modules/modules.hpp"
#include "xmpp/stored_xml.hpp"
#include "server/router/router.hpp"
#include "server/core/storage_executor.hpp"
#include "server/store/storage.hpp"
#include "xmpp/namespaces.hpp"
#include "xmpp/serializer.hpp"

namespace server::modules {

namespace {

constexpr std::string_view vcard_ns = xmpp::ns::vcard;

struct VCards {
    VCards(Services& s, const Hooks& h, store::Storage& stores, std::size_t max)
        : services(s), hooks(h), store(stores.user_data()), max_bytes(max) {}
    Services& services;
    const Hooks& hooks;
    store::UserDataStore& store;
    const std::size_t max_bytes;
};

void get(VCards& v, IqRequest& request, Router& router) {
    const xmpp::Jid& owner = request.to;
    if (!v.services.accounts->find(owner.local(), owner.domain()))
        return router.bounce(request.iq, xmpp::StanzaError::service_unavailable);
    auto result = make_iq_result(request);
    auto stored = v.store.document(owner.local(), owner.domain(), "vcard", "");
    std::optional<xmpp::Element> card = stored ? xmpp::parse_stored(*stored) : std::nullopt;
    if (!card) {
        if (request.from.bare() != owner) return router.bounce(request.iq, xmpp::StanzaError::item_not_found);
        card = xmpp::Element("vCard", std::string(vcard_ns));
    }
    result.add_child(std::move(*card));
    router.send(result);
}

void set(VCards& v, IqRequest& request, Router& router) {
    const xmpp::Jid& owner = request.to;
    const xmpp::Element* card = request.iq.child("vCard", vcard_ns);
    if (!card) return router.bounce(request.iq, xmpp::StanzaError::bad_request);
    const std::string xml = xmpp::to_string(*card);
    if (xml.size() > v.max_bytes)
        return router.bounce(request.iq, xmpp::StanzaError::not_acceptable, "The vCard is too large");
    if (!v.store.set_document(owner.local(), owner.domain(), "vcard", "", xml))
        return router.bounce(request.iq, xmpp::StanzaError::internal_server_error);
    // The hooks first: what they queue comes before the client's next request.
    for (const auto& hook : v.hooks.vcard_stored) hook(owner, *card);
    router.send(make_iq_result(request));
}

void load_vcard(ModuleHost& host, Services& services, const conf::ModuleOptions& options) {
    host.add_feature(IqTarget::host, std::string(vcard_ns));
    host.add_feature(IqTarget::account, std::string(vcard_ns));
    auto v = std::make_shared<VCards>(services, host.hooks(), *services.stores, options.integer("max_bytes"));
    host.on_iq(IqTarget::account, "get", vcard_ns, [v](IqRequest&& request, Router& router) {
        auto work = [v, request = std::move(request), &router]() mutable { get(*v, request, router); };
        v->services.storage->post(std::move(work));
    });
    host.on_iq(IqTarget::account, "set", vcard_ns, [v](IqRequest&& request, Router& router) {
        if (request.to != request.from.bare()) return router.bounce(request.iq, xmpp::StanzaError::forbidden);
        auto work = [v, request = std::move(request), &router]() mutable { set(*v, request, router); };
        v->services.storage->post(std::move(work));
    });
}

}  // namespace

Module vcard_module() {
    return {
        .schema = {.name = "vcard", .options = {{"max_bytes", 64 * 1024, 1024, 16 * 1024 * 1024}}},
        .protocols = {{"XEP-0054", "vcard-temp"}},
        .needs = {Service::stores, Service::storage, Service::accounts},
        .load = load_vcard,
    };
}

}  // namespace server::modules
