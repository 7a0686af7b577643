// Module "register", In-Band Registration (XEP-0077) for authenticated users:
// asked of the server (or of the user's own account: slixmpp sends it without
// 'to'), a get answers <registered/> with the username; a set with the user's
// own username and a new password replaces every stored SCRAM secret, the same
// way `xmqd passwd` does (auth::change_password), and a set with <remove/>
// deletes the account (AccountDeletion). Allowed on encrypted streams whatever
// the hosts' `registration` switch, as ejabberd and Prosody do: that switch is
// about new accounts, which the c2s session creates before authentication
// (c2s_registration.cpp).
#include "auth/account_passwords.hpp"
#include "server/accounts/account_deletion.hpp"
#include "xmpp/in_band_registration.hpp"
#include "server/system/log.hpp"
#include "server/core/metrics.hpp"
#include "server/modules/modules.hpp"
#include "server/router/router.hpp"
#include "server/router/session_manager.hpp"
#include "server/core/storage_executor.hpp"

namespace server::modules {

namespace {

void refuse(Router& router, const xmpp::Element& iq, xmpp::StanzaError condition, std::string text = {}) {
    router.send(xmpp::ibr::error_reply(iq, xmpp::ibr::Refusal{condition, std::move(text)}));
}

// Whose registration the request is about, or a refusal already sent:
// only the requester's own, at its own host or bare JID.
bool own_account(const IqRequest& request, Router& router) {
    if (request.to.domain() != request.from.domain()) {
        refuse(router, request.iq, xmpp::StanzaError::not_allowed, "Accounts of other hosts are not managed here");
        return false;
    }
    if (!request.to.local().empty() && request.to.local() != request.from.local()) {
        // An iq to another user's bare JID: nothing of theirs is offered.
        refuse(router, request.iq, xmpp::StanzaError::service_unavailable);
        return false;
    }
    return true;
}

void get(IqRequest&& request, Router& router) {
    if (!own_account(request, router)) return;
    auto result = make_iq_result(request);
    result.add_child(xmpp::ibr::registered_info(request.from.local()));
    router.send(result);
}

// XEP-0077 §3.2: the result goes first (it is queued on the session before
// the stream error that ends it), then the account is deleted whole, its
// contacts told (AccountDeletion).
void remove_account(Services& services, IqRequest&& request, Router& router) {
    if (xmpp::ibr::query_of(request.iq).element_count() != 1)
        return refuse(router, request.iq, xmpp::StanzaError::bad_request, "<remove/> must be alone in the query");
    router.send(make_iq_result(request));
    const xmpp::Jid bare = request.from.bare();
    XLOG(info) << "account " << bare.full() << " cancelled in-band by " << request.from.full();
    services.account_deletion->remove(bare, [bare](AccountDeletion::Outcome outcome) {
        if (outcome != AccountDeletion::Outcome::deleted) {
            XLOG(warning) << "in-band removal of " << bare.full() << " did not complete";
        }
    });
}

void set(Services& services, IqRequest&& request, Router& router) {
    if (!own_account(request, router)) return;
    const xmpp::Element& query = xmpp::ibr::query_of(request.iq);
    if (xmpp::ibr::wants_removal(query)) return remove_account(services, std::move(request), router);
    auto password = xmpp::ibr::new_password(query, request.from);
    if (!password) return router.send(xmpp::ibr::error_reply(request.iq, password.error()));
    // XEP-0077 §3.3: not-authorized when the channel is not safe enough for
    // a password in the clear.
    if (!services.sessions->is_encrypted(request.from))
        return refuse(router, request.iq, xmpp::StanzaError::not_authorized, "Encrypt the stream first");

    auto change = [&services, &router, request = std::move(request), password = std::move(*password)] {
        const auto iterations = services.current_config()->auth.scram_iterations;
        const auth::StoreStatus status = auth::change_password(*services.accounts, request.from.local(),
                                                               request.from.domain(), password, iterations);
        switch (status) {
        case auth::StoreStatus::ok:
            metrics::password_change();
            XLOG(info) << "password changed for " << request.from.bare_string() << " by " << request.from.full();
            return router.send(make_iq_result(request));
        case auth::StoreStatus::not_found:  // removed while its session lived on
            return refuse(router, request.iq, xmpp::StanzaError::registration_required);
        case auth::StoreStatus::exists:
        case auth::StoreStatus::error:
            break;
        }
        XLOG(warning) << "password change for " << request.from.bare_string() << " failed in storage";
        refuse(router, request.iq, xmpp::StanzaError::internal_server_error);
    };
    services.storage->post(std::move(change));
}

void load_register(ModuleHost& host, Services& services, const conf::ModuleOptions&) {
    host.add_feature(IqTarget::host, std::string(xmpp::ibr::register_ns));
    for (IqTarget target : {IqTarget::host, IqTarget::account}) {
        host.on_iq(target, "get", xmpp::ibr::register_ns, [](IqRequest&& request, Router& router) {
            get(std::move(request), router);
        });
        host.on_iq(target, "set", xmpp::ibr::register_ns, [&services](IqRequest&& request, Router& router) {
            set(services, std::move(request), router);
        });
    }
}

}  // namespace

Module register_module() {
    return {
        .schema = {.name = "register"},
        .protocols = {{"XEP-0077", "In-Band Registration: new accounts (per host), password change, cancellation"}},
        .needs = {Service::accounts, Service::storage, Service::sessions, Service::account_deletion},
        .load = load_register,
    };
}

}  // namespace server::modules
