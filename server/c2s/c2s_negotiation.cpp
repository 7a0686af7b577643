#include "server/c2s/c2s_negotiation.hpp"

#include <random>

#include "server/core/metrics.hpp"
#include "server/core/module_host.hpp"
#include "server/router/connection_registry.hpp"
#include "server/system/log.hpp"
#include "xmpp/in_band_registration.hpp"
#include "xmpp/namespaces.hpp"

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

}  // namespace

C2sNegotiation::C2sNegotiation(Services& services, asio::any_io_executor executor,
                               std::unique_ptr<Transport> transport, bool direct_tls)
    : services_(services),
      config_(services.current_config()),
      direct_tls_(direct_tls),
      unstarted_(std::make_shared<StreamConnection>(std::move(executor), std::move(transport), config_->limits,
                                                    config_->hosts.front().domain)),
      connection_(*unstarted_),
      sm_(services.modules ? services.modules->find_shared<StreamManagement>().get() : nullptr),
      machine_(*config_, sm_ != nullptr) {}

C2sNegotiation::~C2sNegotiation() = default;

void C2sNegotiation::start() {
    if (services_.connections) services_.connections->add(unstarted_);
    metrics::connection_opened(metrics::transport_of(connection_.transport().kind(), direct_tls_));
    connection_.start(shared_from_this(), direct_tls_);
    unstarted_.reset();  // its coroutines hold it now, and it holds this
}

void C2sNegotiation::on_closed() {
    machine_.close();
    if (services_.connections) services_.connections->remove(&connection_);
    metrics::connection_closed(metrics::transport_of(connection_.transport().kind(), direct_tls_));
    if (bound_) bound_->connection_closed(connection_);
    bound_.reset();
}

asio::awaitable<void> C2sNegotiation::on_stream_open(const xmpp::StreamHeader& header) {
    const Transport& transport = connection_.transport();
    const auto verdict = machine_.stream_opened(header, {transport.is_secure(), transport.can_start_tls()});
    if (verdict.kind == Machine::Verdict::Kind::ignore) co_return;
    std::string to;
    if (auto from = xmpp::Jid::parse(header.from)) to = from->full();
    const std::string& host = machine_.host();
    connection_.send_header(host.empty() ? config_->hosts.front().domain : host, to, random_hex(8));
    if (!verdict.allowed()) co_return refuse(verdict);
    send_features();
}

asio::awaitable<void> C2sNegotiation::on_element(xmpp::Element&& element) {
    if (machine_.state() == Machine::State::bound) {
        if (sm_ && sm::is_nonza(element)) co_return co_await stream_management(element);
        co_return co_await bound_->handle_inbound(connection_, std::move(element));
    }
    const auto event = Machine::event_of(element);
    const bool in_exchange = machine_.state() == Machine::State::sasl_exchange;
    const auto verdict = machine_.on(event);
    if (!verdict.allowed()) {
        refuse(verdict);
    } else {
        switch (event) {
        case Machine::Event::starttls:
            co_await start_tls();
            break;
        case Machine::Event::auth:
            co_await sasl_auth(element, in_exchange);
            break;
        case Machine::Event::response:
            co_await sasl_response(element);
            break;
        case Machine::Event::abort:
            sasl_.reset();
            sasl_failure(auth::SaslFailure::aborted);
            break;
        case Machine::Event::registration:
            co_await register_in_band(element);
            break;
        case Machine::Event::bind:
            bind_resource(element);
            break;
        case Machine::Event::stream_management:
            co_await stream_management(element);
            break;
        case Machine::Event::stanza:
            break;  // refused before binding; bound stanzas went to the session above
        }
    }
    if (held_failure_) co_await send_held_failure();
}

void C2sNegotiation::refuse(const Machine::Verdict& verdict) {
    switch (verdict.kind) {
    case Machine::Verdict::Kind::stream_error:
        return connection_.fail(verdict.condition, verdict.text);
    case Machine::Verdict::Kind::sasl_failure:
        return sasl_failure(verdict.failure);
    case Machine::Verdict::Kind::tls_failure:
        connection_.send_raw("<failure xmlns='" + std::string(xmpp::ns::tls) + "'/>");
        return connection_.close();
    case Machine::Verdict::Kind::proceed:
    case Machine::Verdict::Kind::ignore:
        return;
    }
}

void C2sNegotiation::send_features() {
    const Machine::Features& offer = machine_.features();
    xmpp::Element features("features", std::string(xmpp::ns::stream));
    if (offer.bind) {
        features.add_child(xmpp::Element("bind", std::string(xmpp::ns::bind)));
        xmpp::Element session("session", std::string(xmpp::ns::session));
        session.add_child(xmpp::Element("optional", std::string(xmpp::ns::session)));
        features.add_child(std::move(session));
        if (services_.modules)
            for (const auto& feature : services_.modules->stream_features()) features.add_child(feature);
    }
    if (offer.starttls) {
        xmpp::Element starttls("starttls", std::string(xmpp::ns::tls));
        if (offer.tls_required) starttls.add_child(xmpp::Element("required", std::string(xmpp::ns::tls)));
        features.add_child(std::move(starttls));
    }
    if (offer.mechanisms) {
        // The negotiation that will run is the one whose mechanisms we offer.
        sasl_ = make_sasl_server();
        xmpp::Element mechanisms("mechanisms", std::string(xmpp::ns::sasl));
        for (const auto& m : sasl_->mechanisms()) {
            xmpp::Element mechanism("mechanism", std::string(xmpp::ns::sasl));
            mechanism.add_text(m);
            mechanisms.add_child(std::move(mechanism));
        }
        features.add_child(std::move(mechanisms));
    }
    if (offer.registration) features.add_child(xmpp::ibr::stream_feature());
    connection_.send(features);  // the serializer writes stream-namespace elements with the stream: prefix
}

asio::awaitable<void> C2sNegotiation::start_tls() {
    connection_.send_raw("<proceed xmlns='" + std::string(xmpp::ns::tls) + "'/>");
    co_await connection_.flush();
    if (connection_.closing()) co_return;
    connection_.restart();
    // Awaited apart from the test: g++ 12 miscompiles a co_await in a condition.
    const bool secured = co_await connection_.start_tls();
    if (secured)
        machine_.tls_established();
    else
        machine_.close();
}

void C2sNegotiation::bind_resource(const xmpp::Element& iq) {
    const std::string& user = machine_.user();
    const std::string& host = machine_.host();
    const xmpp::Element* bind = iq.child("bind", xmpp::ns::bind);
    std::string requested = bind->child_text("resource", xmpp::ns::bind);
    std::optional<xmpp::Jid> full;
    if (requested.empty()) {
        full = xmpp::Jid::from_parts(user, host, "xmqd-" + random_hex(6));
    } else {
        full = xmpp::Jid::from_parts(user, host, requested);
        if (!full)
            return connection_.send(xmpp::make_error_reply(iq, xmpp::StanzaError::bad_request, "Invalid resource"));
    }
    if (!full) {
        machine_.close();
        return connection_.fail(xmpp::StreamError::internal_server_error, "Cannot form the session JID");
    }
    // RFC 6120 §7.6.2.1: an account at its limit of connected resources gets
    // <resource-constraint/> (type wait); replacing one of its own resources
    // does not add one. The stream stays open: the client may retry later.
    auto session = std::make_shared<BoundSession>(services_, config_, *full, connection_);
    auto admitted = session->enter_session_table();
    if (!admitted.bound) {
        XLOG(info).session(connection_.id(), connection_.log_jid())
            << "refused bind of " << full->full() << ": " << admitted.resources << " resources already bound";
        return connection_.send(xmpp::make_error_reply(iq, xmpp::StanzaError::resource_constraint,
                                                        "Too many sessions of this account"));
    }
    bound_ = std::move(session);
    machine_.bound();
    connection_.set_log_jid(full->full());
    connection_.start_idle_timeout();

    xmpp::Element result("iq", std::string(xmpp::ns::client));
    result.set_attr("type", "result");
    if (auto id = iq.attr("id")) result.set_attr("id", *id);
    xmpp::Element bound("bind", std::string(xmpp::ns::bind));
    xmpp::Element jid("jid", std::string(xmpp::ns::bind));
    jid.add_text(full->full());
    bound.add_child(std::move(jid));
    result.add_child(std::move(bound));
    connection_.send(result);
    XLOG(info).session(connection_.id(), full->full()) << "bound";
}

}  // namespace server
