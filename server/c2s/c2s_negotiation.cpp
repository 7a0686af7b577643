// The negotiation half of C2sSession: stream headers, features, STARTTLS,
// SASL and resource binding (RFC 6120 §4–7).
#include <boost/asio/use_awaitable.hpp>
#include <random>

#include "auth/scram.hpp"
#include "server/c2s/auth_failure_delay.hpp"
#include "server/c2s/c2s_session.hpp"
#include "xmpp/in_band_registration.hpp"
#include "server/core/metrics.hpp"
#include "server/system/log.hpp"
#include "server/core/module_host.hpp"
#include "server/router/router.hpp"
#include "server/core/storage_executor.hpp"
#include "server/core/use_tuple.hpp"
#include "xmpp/namespaces.hpp"
#include "xmpp/serializer.hpp"

namespace server {

namespace {

std::string random_hex(std::size_t bytes) {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes * 2);
    for (std::size_t i = 0; i < bytes; ++i) {
        auto b = static_cast<unsigned>(rng() & 0xff);
        out.push_back(digits[b >> 4]);
        out.push_back(digits[b & 15]);
    }
    return out;
}

// RFC 6120 §4.7.5: we speak 1.0; a major version other than 1 is refused.
bool version_supported(std::string_view version) {
    if (version.empty()) return false;  // a pre-XMPP 1.0 stream
    auto dot = version.find('.');
    return version.substr(0, dot) == "1";
}

xmpp::Element sasl_element(std::string_view name) { return xmpp::Element(std::string(name), std::string(xmpp::ns::sasl)); }

}  // namespace

void C2sSession::open_stream(const xmpp::StreamHeader& header) {
    auto host = xmpp::Jid::normalize_domain(header.to);
    const bool first = host_.empty();
    if (host && config_->serves_host(*host) && (first || *host == host_)) host_ = *host;

    std::string to;
    if (auto from = xmpp::Jid::parse(header.from)) to = from->full();
    send_raw(xmpp::stream_header(host_.empty() ? config_->hosts.front().domain : host_, to, random_hex(8)));
    header_sent_ = true;

    if (header.name != "stream" || header.xmlns != xmpp::ns::stream)
        return fail(xmpp::StreamError::invalid_namespace, "The stream element is stream:stream");
    if (header.default_ns != xmpp::ns::client)
        return fail(xmpp::StreamError::invalid_namespace, "This port serves jabber:client streams");
    if (!version_supported(header.version))
        return fail(xmpp::StreamError::unsupported_version, "XMPP 1.0 is required");
    if (header.to.empty()) return fail(xmpp::StreamError::host_unknown, "The stream header needs a 'to'");
    if (!host || !config_->serves_host(*host)) return fail(xmpp::StreamError::host_unknown);
    if (*host != host_) return fail(xmpp::StreamError::host_unknown, "The host changed on stream restart");
    send_features();
}

void C2sSession::send_features() {
    xmpp::Element features("features", std::string(xmpp::ns::stream));
    if (user_) {
        features.add_child(xmpp::Element("bind", std::string(xmpp::ns::bind)));
        xmpp::Element session("session", std::string(xmpp::ns::session));
        session.add_child(xmpp::Element("optional", std::string(xmpp::ns::session)));
        features.add_child(std::move(session));
        if (services_.modules)
            for (const auto& feature : services_.modules->stream_features()) features.add_child(feature);
    } else {
        const bool secure = transport_->is_secure();
        if (!secure && transport_->can_start_tls()) {
            xmpp::Element starttls("starttls", std::string(xmpp::ns::tls));
            if (config_->auth.require_tls) starttls.add_child(xmpp::Element("required", std::string(xmpp::ns::tls)));
            features.add_child(std::move(starttls));
        }
        if (secure || !config_->auth.require_tls) {
            // The negotiation that will run is the one whose mechanisms we offer.
            sasl_ = make_sasl_server();
            xmpp::Element mechanisms("mechanisms", std::string(xmpp::ns::sasl));
            sasl_unused_ = true;
            for (const auto& m : sasl_->mechanisms()) {
                xmpp::Element mechanism("mechanism", std::string(xmpp::ns::sasl));
                mechanism.add_text(m);
                mechanisms.add_child(std::move(mechanism));
            }
            features.add_child(std::move(mechanisms));
            if (config_->registration_open(host_)) features.add_child(xmpp::ibr::stream_feature());
        }
    }
    send(features);  // the serializer writes stream-namespace elements with the stream: prefix
}

std::unique_ptr<auth::SaslServer> C2sSession::make_sasl_server() const {
    return std::make_unique<auth::SaslServer>(auth::SaslOptions{host_, transport_->is_secure(),
                                                                config_->auth.allow_plain,
                                                                config_->auth.allow_scram_sha256,
                                                                transport_->channel_binding(),
                                                                config_->auth.scram_iterations});
}

void C2sSession::restart_stream() {
    // RFC 6120 §5.4.3.3, §6.4.6: the peer opens a new stream; anything it
    // sent after the stanza that triggered the restart is void.
    events_.clear();
    parser_.reset();
    header_sent_ = false;
}

asio::awaitable<void> C2sSession::negotiate(xmpp::Element&& stanza) {
    const std::string& name = stanza.name();
    const std::string& ns = stanza.xmlns();
    if (!user_) {
        if (ns == xmpp::ns::tls && name == "starttls") co_return co_await start_tls();
        if (ns == xmpp::ns::sasl && name == "auth") co_return co_await sasl_auth(stanza);
        if (ns == xmpp::ns::sasl && name == "response") co_return co_await sasl_response(stanza);
        if (ns == xmpp::ns::sasl && name == "abort") {
            sasl_.reset();
            co_return sasl_failure(auth::SaslFailure::aborted);
        }
        if (xmpp::ibr::is_registration_request(stanza)) co_return co_await register_in_band(stanza);
        co_return fail(xmpp::StreamError::not_authorized, "Authenticate first");
    }
    if (ns == xmpp::ns::client && name == "iq" && stanza.attr_or("type") == "set" &&
        stanza.child("bind", xmpp::ns::bind))
        co_return bind_resource(stanza);
    fail(xmpp::StreamError::not_authorized, "Bind a resource first");
}

asio::awaitable<void> C2sSession::start_tls() {
    if (!transport_->can_start_tls()) {
        send_raw("<failure xmlns='" + std::string(xmpp::ns::tls) + "'/>");
        close_stream();
        co_return;
    }
    send_raw("<proceed xmlns='" + std::string(xmpp::ns::tls) + "'/>");
    co_await flush();
    if (closing_) co_return;
    restart_stream();
    if (error_code ec = co_await transport_->handshake()) {
        XLOG(debug).session(id_) << "STARTTLS handshake failed: " << ec.message();
        closing_ = true;
        transport_->close();
    }
}

asio::awaitable<void> C2sSession::sasl_auth(const xmpp::Element& auth) {
    const bool secure = transport_->is_secure();
    if (!secure && config_->auth.require_tls) co_return sasl_failure(auth::SaslFailure::encryption_required);
    if (!sasl_ || !sasl_unused_)
        sasl_ = make_sasl_server();
    sasl_unused_ = false;
    sasl_mechanism_ = auth.attr_or("mechanism");
    const auto offered = sasl_->mechanisms();
    if (std::find(offered.begin(), offered.end(), sasl_mechanism_) == offered.end()) {
        sasl_.reset();
        co_return sasl_failure(auth::SaslFailure::invalid_mechanism);
    }
    // RFC 6120 §6.4.2: no text = no initial response; "=" = an empty one.
    const std::string text = auth.text();
    std::string initial;
    if (!text.empty() && text != "=") {
        auto decoded = auth::base64_decode(text);
        if (!decoded) {
            sasl_.reset();
            co_return sasl_failure(auth::SaslFailure::incorrect_encoding);
        }
        initial = std::move(*decoded);
    }
    co_await sasl_run(initial, true);
}

asio::awaitable<void> C2sSession::sasl_response(const xmpp::Element& response) {
    if (!sasl_) co_return fail(xmpp::StreamError::not_authorized, "No authentication in progress");
    const std::string text = response.text();
    std::string message;
    if (!text.empty() && text != "=") {
        auto decoded = auth::base64_decode(text);
        if (!decoded) {
            sasl_.reset();
            co_return sasl_failure(auth::SaslFailure::incorrect_encoding);
        }
        message = std::move(*decoded);
    }
    co_await sasl_run(message, false);
}

asio::awaitable<void> C2sSession::sasl_run(std::string_view message, bool first) {
    if (!sasl_->has_account_lookup()) {
        // Fetch the account off this thread before the mechanism needs it.
        if (auto name = auth::SaslServer::peek_username(sasl_mechanism_, message)) {
            std::optional<auth::Account> account;
            if (auto user = xmpp::Jid::normalize_local(*name)) {
                // A named closure: g++ 12 mishandles closure temporaries
                // inside a co_await expression (destroys them twice).
                auto lookup = [accounts = services_.accounts, user = *user, host = host_] {
                    return accounts->find(user, host);
                };
                account = co_await services_.storage->run(std::move(lookup));
            }
            if (closing_) co_return;
            sasl_->set_account(std::move(account));
        }
    }
    const std::string owned(message);
    auth::SaslStep step = first ? sasl_->start(sasl_mechanism_, owned) : sasl_->step(owned);
    switch (step.kind) {
    case auth::SaslStep::Kind::challenge: {
        auto challenge = sasl_element("challenge");
        challenge.add_text(step.data.empty() ? "=" : auth::base64_encode(step.data));
        co_return send(challenge);
    }
    case auth::SaslStep::Kind::failure:
        sasl_.reset();
        co_return sasl_failure(step.failure);
    case auth::SaslStep::Kind::success:
        break;
    }
    auto success = sasl_element("success");
    if (!step.data.empty()) success.add_text(auth::base64_encode(step.data));
    send(success);
    sasl_.reset();
    user_ = step.user;
    metrics::login();
    XLOG(info).session(id_, log_jid()) << "authenticated with " << sasl_mechanism_ << " from "
                                       << transport_->remote_address();
    restart_stream();
}

void C2sSession::sasl_failure(auth::SaslFailure failure) {
    auto element = sasl_element("failure");
    element.add_child(xmpp::Element(std::string(auth::to_string(failure)), std::string(xmpp::ns::sasl)));
    if (failure == auth::SaslFailure::aborted) return send(element);
    metrics::auth_failure();
    const bool too_many = ++auth_failures_ >= config_->auth.max_failures;
    std::chrono::milliseconds delay{0};
    if (services_.auth_failures)
        delay = services_.auth_failures->record_failure(ip_of(transport_->remote_address()), config_->auth);
    if (delay.count() > 0) {
        // Answered (and nothing more read) after the delay: send_held_failure().
        std::string xml;
        xmpp::serialize(element, xml);
        held_failure_ = HeldFailure{std::move(xml), too_many, delay};
        return;
    }
    send(element);
    if (too_many) fail(xmpp::StreamError::not_authorized, "Too many failed authentication attempts");
}

asio::awaitable<void> C2sSession::send_held_failure() {
    HeldFailure held = std::move(*held_failure_);
    held_failure_.reset();
    asio::steady_timer timer(executor_, held.delay);
    co_await timer.async_wait(use_tuple);
    if (closing_) co_return;
    send_raw(held.xml);
    if (held.close) fail(xmpp::StreamError::not_authorized, "Too many failed authentication attempts");
}

void C2sSession::bind_resource(const xmpp::Element& iq) {
    const xmpp::Element* bind = iq.child("bind", xmpp::ns::bind);
    std::string requested = bind->child_text("resource", xmpp::ns::bind);
    std::optional<xmpp::Jid> full;
    if (requested.empty()) {
        full = xmpp::Jid::from_parts(*user_, host_, "xmqd-" + random_hex(6));
    } else {
        full = xmpp::Jid::from_parts(*user_, host_, requested);
        if (!full) {
            send(xmpp::make_error_reply(iq, xmpp::StanzaError::bad_request, "Invalid resource"));
            return;
        }
    }
    if (!full) return fail(xmpp::StreamError::internal_server_error, "Cannot form the session JID");
    // RFC 6120 §7.6.2.1: an account at its limit of connected resources gets
    // <resource-constraint/> (type wait); replacing one of its own resources
    // does not add one. The stream stays open: the client may retry later.
    encrypted_ = transport_->is_secure();  // before bind() publishes the session to other threads
    auto admitted = services_.router->bind(*full, shared_from_this(), config_->limits.max_sessions_per_account);
    if (!admitted.bound) {
        XLOG(info).session(id_, log_jid()) << "refused bind of " << full->full() << ": " << admitted.resources
                                           << " resources already bound";
        send(xmpp::make_error_reply(iq, xmpp::StanzaError::resource_constraint,
                                    "Too many sessions of this account"));
        return;
    }
    jid_ = std::move(full);
    if (admitted.replaced) {
        // The old session's resource ends now, before this bind is answered:
        // its XMQ subscriptions and presence must not pass to this session,
        // and its own end, later, must not undo what this one does meanwhile.
        resource_ended(*jid_);
        admitted.replaced->close_with(xmpp::StreamError::conflict, "Replaced by new connection");
    }

    xmpp::Element result("iq", std::string(xmpp::ns::client));
    result.set_attr("type", "result");
    if (auto id = iq.attr("id")) result.set_attr("id", *id);
    xmpp::Element bound("bind", std::string(xmpp::ns::bind));
    xmpp::Element jid("jid", std::string(xmpp::ns::bind));
    jid.add_text(jid_->full());
    bound.add_child(std::move(jid));
    result.add_child(std::move(bound));
    send(result);
    XLOG(info).session(id_, jid_->full()) << "bound";
}

}  // namespace server
