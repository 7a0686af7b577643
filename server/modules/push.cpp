// Module "push", Push Notifications (XEP-0357, urn:xmpp:push:0): a client
// that cannot keep its connection (a phone) registers an app server with
// <enable jid node/> (and its publish-options form, e.g. a secret) on its own
// account; when a message that would wake it arrives while it is away, the
// server publishes a urn:xmpp:push:summary notification to that app server,
// which wakes the device through its platform's push service.
//
// "Away" is either of:
//  - the account has no session at all: the message goes to offline storage
//    (hook undeliverable_message, before the offline module takes it); every
//    registration of the account is notified;
//  - the session that enabled the registration is hibernated by stream
//    management and the message waits in its outbox (hook
//    hibernated_message); that registration is notified.
// Only messages with a body or an encrypted payload wake a device
// (push_protocol.hpp). What a notification tells is `[modules.push]
// summary`: the count only (default), the sender too, or sender and body.
//
// Registrations are the account's user data documents (kind "push"), so
// they survive restarts and go with the account. The notification is an iq
// from the account's bare JID through the Router's request table; an error
// answer (the app server no longer knows the device, or cannot be reached)
// removes that registration, as XEP-0357 §5 allows; no answer leaves it.
#include <memory>

#include "server/core/storage_executor.hpp"
#include "server/modules/modules.hpp"
#include "server/modules/push_protocol.hpp"
#include "server/router/router.hpp"
#include "server/store/storage.hpp"
#include "xmpp/errors.hpp"
#include "server/system/log.hpp"
#include "xmpp/namespaces.hpp"
#include "xmpp/stored_xml.hpp"

namespace server::modules {

namespace {

constexpr const char* kKind = "push";

enum class SummaryDetail { count, sender, body };

struct Push {
    Push(Services& s, store::Storage& stores, const conf::ModuleOptions& options)
        : services(s),
          store(stores.user_data()),
          max_registrations(static_cast<std::size_t>(options.integer("max_registrations"))),
          detail(static_cast<SummaryDetail>(options.integer("summary"))) {}
    Services& services;
    store::UserDataStore& store;
    const std::size_t max_registrations;
    const SummaryDetail detail;
};

void enable(Push& p, IqRequest& request, Router& router, const xmpp::Element& payload) {
    auto registration = push::parse_enable(payload, request.from.resource());
    if (!registration) return router.bounce(request.iq, xmpp::StanzaError::bad_request, registration.error());
    const xmpp::Jid& account = request.to;
    const std::string key = push::document_key(registration->service, registration->node);
    const bool known = p.store.document(account.local(), account.domain(), kKind, key).has_value();
    if (!known && p.store.document_count(account.local(), account.domain(), kKind) >= p.max_registrations)
        return router.bounce(request.iq, xmpp::StanzaError::resource_constraint,
                             "At most " + std::to_string(p.max_registrations) + " push registrations per account");
    if (!p.store.set_document(account.local(), account.domain(), kKind, key, push::to_document(*registration)))
        return router.bounce(request.iq, xmpp::StanzaError::internal_server_error);
    router.send(make_iq_result(request));
}

void disable(Push& p, IqRequest& request, Router& router, const xmpp::Element& payload) {
    auto which = push::parse_disable(payload);
    if (!which) return router.bounce(request.iq, xmpp::StanzaError::bad_request, which.error());
    const xmpp::Jid& account = request.to;
    if (which->node) {
        p.store.remove_document(account.local(), account.domain(), kKind,
                                push::document_key(which->service, *which->node));
    } else {
        for (const auto& [key, xml] : p.store.documents(account.local(), account.domain(), kKind)) {
            auto r = push::from_document(xml);
            if (r && r->service == which->service) p.store.remove_document(account.local(), account.domain(), kKind, key);
        }
    }
    router.send(make_iq_result(request));  // disabling what is not enabled is no error
}

push::Summary summary_of(const Push& p, const xmpp::Element& message) {
    push::Summary s;
    if (p.detail != SummaryDetail::count) s.last_sender = message.attr_or("from");
    if (p.detail == SummaryDetail::body) s.last_body = message.child_text("body", xmpp::ns::client);
    return s;
}

// Storage thread: the registrations of `account` that `resource` enabled (all
// of them when it is empty), each sent a notification.
void notify(const std::shared_ptr<Push>& p, const xmpp::Jid& account, const std::string& resource,
            const push::Summary& summary) {
    Router& router = *p->services.router;
    for (const auto& [key, xml] : p->store.documents(account.local(), account.domain(), kKind)) {
        auto registration = push::from_document(xml);
        if (!registration || (!resource.empty() && registration->resource != resource)) continue;
        std::string doc_key = key;
        router.request_routed(push::notification(account, *registration, summary), account,
                              [p, account, doc_key](const xmpp::Element* reply) {
            if (reply == nullptr || reply->attr_or("type") != "error") return;
            XLOG(info) << "push: the app server refused a notification for " << account.bare_string()
                       << "; its registration is removed";
            p->services.storage->post([p, account, doc_key] {
                p->store.remove_document(account.local(), account.domain(), kKind, doc_key);
            });
        });
    }
}

void post_notify(const std::shared_ptr<Push>& p, const xmpp::Element& message, const xmpp::Jid& account,
                 std::string resource) {
    if (!push::wakes_the_device(message)) return;
    p->services.storage->post([p, account = account.bare(), resource = std::move(resource),
                               summary = summary_of(*p, message)] { notify(p, account, resource, summary); });
}

void load_push(ModuleHost& host, Services& services, const conf::ModuleOptions& options) {
    host.add_feature(IqTarget::account, std::string(xmpp::ns::push));
    auto p = std::make_shared<Push>(services, *services.stores, options);
    host.on_iq(IqTarget::account, "set", xmpp::ns::push, [p](IqRequest&& request, Router& router) {
        // A client registers its own account's pushes, no one else's.
        if (request.to != request.from.bare()) return router.bounce(request.iq, xmpp::StanzaError::forbidden);
        auto work = [p, request = std::move(request), &router]() mutable {
            for (const auto& child : request.iq.children()) {
                if (child.is_text() || child.xmlns() != xmpp::ns::push) continue;
                if (child.name() == "enable") return enable(*p, request, router, child);
                if (child.name() == "disable") return disable(*p, request, router, child);
            }
            router.bounce(request.iq, xmpp::StanzaError::bad_request, "Expected <enable/> or <disable/>");
        };
        p->services.storage->post(std::move(work));
    });
    host.hooks().undeliverable_message.push_back([p](xmpp::Element& message, const xmpp::Jid& bare) {
        post_notify(p, message, bare, {});
        return false;  // offline storage keeps it all the same
    });
    host.hooks().hibernated_message.push_back([p](const std::string& xml, const xmpp::Jid& full) {
        if (auto message = xmpp::parse_stored(xml)) post_notify(p, *message, full, full.resource());
    });
}

}  // namespace

Module push_module() {
    return {
        .schema = {.name = "push",
                   .options = {{"max_registrations", 20, 1, 1000},
                               {"summary", 0, 0, 2, {"count", "sender", "body"}}}},
        .protocols = {{"XEP-0357", "Push Notifications"}},
        .needs = {Service::stores, Service::storage},
        .load = load_push,
    };
}

}  // namespace server::modules
