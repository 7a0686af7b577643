// Module "private", Private XML Storage (XEP-0049): an account keeps XML
// documents, one per namespace, that only it can read (bookmarks, client
// settings). The query carries exactly one child; its namespace must not be
// jabber:client, jabber:server or jabber:iq:private (<not-acceptable/>). A get
// for a namespace never stored returns the empty element sent. Bounded:
// documents per account and bytes per document ([modules.private]). Served on
// the account's own bare JID, and advertised in the disco#info of both the
// server and the account: clients look in either.
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

constexpr std::string_view private_ns = xmpp::ns::private_xml;

struct PrivateXml {
    PrivateXml(Services& s, const Hooks& h, store::Storage& stores, const conf::ModuleOptions& options)
        : services(s),
          hooks(h),
          store(stores.user_data()),
          max_document_bytes(options.integer("max_document_bytes")),
          max_documents(options.integer("max_documents")) {}
    Services& services;
    const Hooks& hooks;
    store::UserDataStore& store;
    const std::size_t max_document_bytes;
    const std::size_t max_documents;
};

// The one child of the query, or null when the request is malformed.
const xmpp::Element* document_of(const xmpp::Element& iq) {
    const xmpp::Element* query = iq.child("query", private_ns);
    if (!query || query->element_count() != 1) return nullptr;
    for (const auto& child : query->children())
        if (!child.is_text()) return &child;
    return nullptr;
}

void handle(PrivateXml& p, IqRequest& request, Router& router, bool is_set) {
    const xmpp::Element* doc = document_of(request.iq);
    if (!doc) return router.bounce(request.iq, xmpp::StanzaError::bad_request, "One child element expected");
    const std::string& ns = doc->xmlns();
    if (ns.empty() || ns == xmpp::ns::client || ns == xmpp::ns::server || ns == private_ns)
        return router.bounce(request.iq, xmpp::StanzaError::not_acceptable);
    const xmpp::Jid& owner = request.to;
    auto result = make_iq_result(request);
    auto& query = result.add_child(xmpp::Element("query", std::string(private_ns)));
    if (is_set) {
        const std::string xml = xmpp::to_string(*doc);
        if (xml.size() > p.max_document_bytes)
            return router.bounce(request.iq, xmpp::StanzaError::not_acceptable, "The document is too large");
        const bool known = p.store.document(owner.local(), owner.domain(), "private", ns).has_value();
        if (!known && p.store.document_count(owner.local(), owner.domain(), "private") >= p.max_documents)
            return router.bounce(request.iq, xmpp::StanzaError::resource_constraint, "Too many documents");
        if (!p.store.set_document(owner.local(), owner.domain(), "private", ns, xml))
            return router.bounce(request.iq, xmpp::StanzaError::internal_server_error);
        result.clear_children();
        // The hooks first: what they queue (the bookmarks conversion) comes
        // before anything the client sends once it has the result.
        for (const auto& hook : p.hooks.private_stored) hook(owner, *doc);
        return router.send(result);
    }
    auto stored = p.store.document(owner.local(), owner.domain(), "private", ns);
    std::optional<xmpp::Element> element = stored ? xmpp::parse_stored(*stored) : std::nullopt;
    query.add_child(element ? std::move(*element) : xmpp::Element(doc->name(), ns));
    router.send(result);
}

void load_private(ModuleHost& host, Services& services, const conf::ModuleOptions& options) {
    host.add_feature(IqTarget::host, std::string(private_ns));
    host.add_feature(IqTarget::account, std::string(private_ns));
    auto p = std::make_shared<PrivateXml>(services, host.hooks(), *services.stores, options);
    for (const char* type : {"get", "set"}) {
        const bool is_set = std::string_view(type) == "set";
        host.on_iq(IqTarget::account, type, private_ns, [p, is_set](IqRequest&& request, Router& router) {
            if (request.to != request.from.bare()) return router.bounce(request.iq, xmpp::StanzaError::forbidden);
            auto work = [p, is_set, request = std::move(request), &router]() mutable {
                handle(*p, request, router, is_set);
            };
            p->services.storage->post(std::move(work));
        });
    }
}

}  // namespace

Module private_module() {
    return {
        .schema = {.name = "private",
                   .options = {{"max_document_bytes", 64 * 1024, 1024, 16 * 1024 * 1024},
                               {"max_documents", 100, 1, 100000}}},
        .protocols = {{"XEP-0049", "Private XML Storage"}},
        .needs = {Service::stores, Service::storage},
        .load = load_private,
    };
}

}  // namespace server::modules
