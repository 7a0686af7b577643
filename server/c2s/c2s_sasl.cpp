// The SASL half of C2sNegotiation (RFC 6120 §6): <auth/>, <response/>, the
// account lookup off the worker, and the <failure/> answers, held back by the
// per-IP failure delay.
#include <algorithm>
#include <boost/asio/steady_timer.hpp>

#include "auth/scram.hpp"
#include "server/c2s/auth_failure_delay.hpp"
#include "server/c2s/c2s_negotiation.hpp"
#include "server/core/metrics.hpp"
#include "server/core/storage_executor.hpp"
#include "server/core/use_tuple.hpp"
#include "server/system/log.hpp"
#include "xmpp/namespaces.hpp"
#include "xmpp/serializer.hpp"

namespace server {

namespace {

xmpp::Element sasl_element(std::string_view name) {
    return xmpp::Element(std::string(name), std::string(xmpp::ns::sasl));
}

// RFC 6120 §6.4.2: no text = no message; "=" = an empty one.
std::optional<std::string> message_of(const xmpp::Element& element) {
    const std::string text = element.text();
    if (text.empty() || text == "=") return std::string();
    return auth::base64_decode(text);
}

}  // namespace

std::unique_ptr<auth::SaslServer> C2sNegotiation::make_sasl_server() const {
    const Transport& transport = connection_.transport();
    return std::make_unique<auth::SaslServer>(auth::SaslOptions{machine_.host(), transport.is_secure(),
                                                                config_->auth.allow_plain,
                                                                config_->auth.allow_scram_sha256,
                                                                transport.channel_binding(),
                                                                config_->auth.scram_iterations});
}

asio::awaitable<void> C2sNegotiation::sasl_auth(const xmpp::Element& auth, bool restart) {
    // The features' negotiation serves the first <auth/>; a failed, aborted
    // or restarted exchange gets a fresh one.
    if (!sasl_ || restart) sasl_ = make_sasl_server();
    sasl_mechanism_ = auth.attr_or("mechanism");
    const auto offered = sasl_->mechanisms();
    if (std::find(offered.begin(), offered.end(), sasl_mechanism_) == offered.end()) {
        sasl_.reset();
        co_return sasl_failure(auth::SaslFailure::invalid_mechanism);
    }
    auto initial = message_of(auth);
    if (!initial) {
        sasl_.reset();
        co_return sasl_failure(auth::SaslFailure::incorrect_encoding);
    }
    co_await sasl_run(*initial, true);
}

asio::awaitable<void> C2sNegotiation::sasl_response(const xmpp::Element& response) {
    auto message = message_of(response);
    if (!message) {
        sasl_.reset();
        co_return sasl_failure(auth::SaslFailure::incorrect_encoding);
    }
    co_await sasl_run(*message, false);
}

// g++ 12 inlines asio's coroutine frame allocator (aligned_alloc) into this
// coroutine and then takes the frame's matching operator delete for a
// mismatch: a false positive, which depends on how much it inlines.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
asio::awaitable<void> C2sNegotiation::sasl_run(std::string_view message, bool first) {
    if (!sasl_->has_account_lookup()) {
        // Fetch the account off this thread before the mechanism needs it.
        if (auto name = auth::SaslServer::peek_username(sasl_mechanism_, message)) {
            auth::AccountLookup found;
            if (auto user = xmpp::Jid::normalize_local(*name)) {
                // A named closure: g++ 12 mishandles closure temporaries
                // inside a co_await expression (destroys them twice).
                auto lookup = [accounts = services_.accounts, user = *user, host = machine_.host()] {
                    return accounts->lookup(user, host);
                };
                // What the caller sees when the storage group holding the lookup fails to commit.
                auth::AccountLookup lost{auth::StoreStatus::error, {}};
                found = co_await services_.storage->run(std::move(lookup), std::move(lost));
            }
            if (connection_.closing()) co_return;
            if (found.status == auth::StoreStatus::error) {
                // RFC 6120 §6.5.12: the client retries later, instead of
                // telling its user that the password is wrong.
                XLOG(warning).session(connection_.id()) << "account lookup failed in storage";
                sasl_.reset();
                co_return sasl_failure(auth::SaslFailure::temporary_auth_failure);
            }
            sasl_->set_account(std::move(found.account));
        }
    }
    const std::string owned(message);
    auth::SaslStep step = first ? sasl_->start(sasl_mechanism_, owned) : sasl_->step(owned);
    switch (step.kind) {
    case auth::SaslStep::Kind::challenge: {
        auto challenge = sasl_element("challenge");
        challenge.add_text(step.data.empty() ? "=" : auth::base64_encode(step.data));
        co_return connection_.send(challenge);
    }
    case auth::SaslStep::Kind::failure:
        sasl_.reset();
        co_return sasl_failure(step.failure);
    case auth::SaslStep::Kind::success:
        break;
    }
    auto success = sasl_element("success");
    if (!step.data.empty()) success.add_text(auth::base64_encode(step.data));
    connection_.send(success);
    sasl_.reset();
    machine_.sasl_succeeded(step.user);
    connection_.set_log_jid(machine_.user() + "@" + machine_.host());
    metrics::login();
    XLOG(info).session(connection_.id(), connection_.log_jid())
        << "authenticated with " << sasl_mechanism_ << " from " << connection_.transport().remote_address();
    connection_.restart();
}
#pragma GCC diagnostic pop

void C2sNegotiation::sasl_failure(auth::SaslFailure failure) {
    auto element = sasl_element("failure");
    element.add_child(xmpp::Element(std::string(auth::to_string(failure)), std::string(xmpp::ns::sasl)));
    const bool last = machine_.sasl_failed(failure);
    // Neither an abort nor our own storage failing is a guess at a password.
    if (failure == auth::SaslFailure::aborted || failure == auth::SaslFailure::temporary_auth_failure)
        return connection_.send(element);
    metrics::auth_failure();
    std::chrono::milliseconds delay{0};
    if (services_.auth_failures)
        delay = services_.auth_failures->record_failure(ip_of(connection_.transport().remote_address()),
                                                        config_->auth);
    if (delay.count() > 0) {
        // Answered (and nothing more read) after the delay: send_held_failure().
        std::string xml;
        xmpp::serialize(element, xml);
        held_failure_ = HeldFailure{std::move(xml), last, delay};
        return;
    }
    connection_.send(element);
    if (last) connection_.fail(xmpp::StreamError::not_authorized, "Too many failed authentication attempts");
}

asio::awaitable<void> C2sNegotiation::send_held_failure() {
    HeldFailure held = std::move(*held_failure_);
    held_failure_.reset();
    asio::steady_timer timer(connection_.executor(), held.delay);
    co_await timer.async_wait(use_tuple);
    if (connection_.closing()) co_return;
    connection_.send_raw(held.xml);
    if (held.close) connection_.fail(xmpp::StreamError::not_authorized, "Too many failed authentication attempts");
}

}  // namespace server
