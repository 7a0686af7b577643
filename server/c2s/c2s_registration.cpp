// The in-band registration part of C2sNegotiation (XEP-0077 §3.1.1): before
// authentication, on a host whose `registration` switch is on and over a
// stream as encrypted as SASL needs, a client asks for the fields (iq get)
// and creates an account (iq set), then authenticates with it as usual,
// on this stream or another. Password changes and everything after
// authentication are the register module's (modules/register.cpp).
#include "auth/account_passwords.hpp"
#include "server/c2s/auth_failure_delay.hpp"
#include "server/c2s/c2s_negotiation.hpp"
#include "xmpp/in_band_registration.hpp"
#include "server/system/log.hpp"
#include "server/core/metrics.hpp"
#include "server/c2s/registration_limit.hpp"
#include "server/core/storage_executor.hpp"
#include "xmpp/namespaces.hpp"

namespace server {

asio::awaitable<void> C2sNegotiation::register_in_band(const xmpp::Element& iq) {
    const std::string& host = machine_.host();
    auto refuse = [&](xmpp::StanzaError condition, std::string text, std::optional<xmpp::ErrorType> type = {}) {
        metrics::registration_refused();
        connection_.send(xmpp::ibr::error_reply(iq, xmpp::ibr::Refusal{condition, std::move(text), type}));
    };
    if (!iq.attr("id")) co_return refuse(xmpp::StanzaError::bad_request, "An iq needs an id");
    if (const std::string* to = iq.attr("to")) {
        auto domain = xmpp::Jid::normalize_domain(*to);
        if (!domain || *domain != host) co_return refuse(xmpp::StanzaError::service_unavailable, {});
    }
    // XEP-0077 §3.1: a host without in-band registration answers
    // <service-unavailable/> (and does not offer the stream feature).
    if (!config_->registration_open(host))
        co_return refuse(xmpp::StanzaError::service_unavailable, "In-band registration is disabled");
    // The password travels in the clear inside the stream: only where SASL
    // PLAIN could run too (XEP-0077 §3.3's condition for an unsafe channel).
    if (!connection_.transport().is_secure() && config_->auth.require_tls)
        co_return refuse(xmpp::StanzaError::not_authorized, "Encrypt the stream (STARTTLS) first");

    const xmpp::Element& query = xmpp::ibr::query_of(iq);
    if (iq.attr_or("type") == "get") {
        xmpp::Element result("iq", std::string(xmpp::ns::client));
        result.set_attr("type", "result");
        result.set_attr("id", *iq.attr("id"));
        result.add_child(xmpp::ibr::registration_form());
        co_return connection_.send(result);
    }
    // XEP-0077 §3.2: a remove from an entity without an account (no 'from').
    if (xmpp::ibr::wants_removal(query))
        co_return refuse(xmpp::StanzaError::unexpected_request, "Authenticate to cancel a registration");
    auto account = xmpp::ibr::new_account(query);
    if (!account) co_return refuse(account.error().condition, account.error().text, account.error().type);

    const std::string ip = ip_of(connection_.transport().remote_address());
    std::optional<RegistrationLimit::Clock::time_point> slot = RegistrationLimit::Clock::now();
    if (services_.registration_limit)
        slot = services_.registration_limit->acquire(ip, config_->auth.registration_interval);
    if (!slot) {
        XLOG(info).session(connection_.id()) << "refused registration of " << account->user << "@" << host
                                              << " from " << ip << ": too soon after the last one from there";
        // ejabberd answers this with <resource-constraint/> too; XEP-0077's
        // <not-acceptable/> (§3.1.1, for too many attempts on one stream) is
        // of type 'modify', which tells the client to change its data, when
        // only waiting helps: RFC 6120 §8.3.3.18's condition, type 'wait'.
        co_return refuse(xmpp::StanzaError::resource_constraint,
                         "Too many registrations from your address; try again later", xmpp::ErrorType::wait);
    }

    // PBKDF2 and the insert run on the storage thread. A named closure: g++ 12
    // mishandles closure temporaries inside a co_await expression.
    auto create = [accounts = services_.accounts, user = account->user, host = host,
                   password = std::move(account->password), iterations = config_->auth.scram_iterations] {
        return auth::create_account(*accounts, user, host, password, iterations);
    };
    const auth::StoreStatus status = co_await services_.storage->run(std::move(create), auth::StoreStatus::error);
    if (status != auth::StoreStatus::ok && services_.registration_limit)
        services_.registration_limit->release(ip, *slot);
    if (connection_.closing()) co_return;
    switch (status) {
    case auth::StoreStatus::ok: {
        metrics::registration();
        XLOG(info).session(connection_.id()) << "registered " << account->user << "@" << host << " from " << ip;
        xmpp::Element result("iq", std::string(xmpp::ns::client));
        result.set_attr("type", "result");
        result.set_attr("id", *iq.attr("id"));
        co_return connection_.send(result);
    }
    case auth::StoreStatus::exists:
        co_return refuse(xmpp::StanzaError::conflict, "That username is taken");
    case auth::StoreStatus::not_found:
    case auth::StoreStatus::error:
        break;
    }
    XLOG(warning).session(connection_.id()) << "registration of " << account->user << "@" << host
                                             << " failed in storage";
    refuse(xmpp::StanzaError::internal_server_error, {});
}

}  // namespace server
