#include "server/s2s/s2s_incoming.hpp"

#include <boost/asio/post.hpp>

#include "server/core/metrics.hpp"
#include "server/router/connection_registry.hpp"
#include "server/router/remote_servers.hpp"
#include "server/router/router.hpp"
#include "server/s2s/dialback.hpp"
#include "server/s2s/s2s_manager.hpp"
#include "server/system/log.hpp"
#include "xmpp/namespaces.hpp"
#include "xmpp/serializer.hpp"

namespace server {

namespace {

conf::LimitsConfig s2s_limits(const conf::Config& config) {
    conf::LimitsConfig limits = config.limits;
    limits.idle_timeout = config.s2s.idle_timeout;
    return limits;
}

}  // namespace

S2sIncoming::S2sIncoming(Services& services, S2sManager& manager, asio::any_io_executor executor,
                         std::unique_ptr<Transport> transport)
    : services_(services),
      manager_(manager),
      config_(services.current_config()),
      unstarted_(std::make_shared<StreamConnection>(std::move(executor), std::move(transport), s2s_limits(*config_),
                                                    config_->hosts.front().domain)),
      connection_(*unstarted_),
      alive_(unstarted_),
      machine_(config_->s2s.require_tls,
               [&services, config = config_](std::string_view domain) {
                   return is_local_domain(services, *config, domain);
               }) {
    connection_.use_server_namespace();
}

S2sIncoming::~S2sIncoming() = default;

void S2sIncoming::start() {
    if (services_.connections) services_.connections->add(unstarted_);
    connection_.start(shared_from_this(), false);
    unstarted_.reset();
}

void S2sIncoming::on_closed() {
    if (services_.connections) services_.connections->remove(&connection_);
}

asio::awaitable<void> S2sIncoming::on_stream_open(const xmpp::StreamHeader& header) {
    const bool secure = connection_.transport().is_secure();
    const S2sStep step = machine_.on_header(header, secure);
    stream_id_ = dialback::random_hex_id();
    auto from = xmpp::Jid::normalize_domain(header.from);
    connection_.send_header(step.kind == S2sStep::Kind::send_features ? step.local : config_->hosts.front().domain,
                            from.value_or(""), stream_id_.empty() ? "error" : stream_id_);
    if (stream_id_.empty()) co_return connection_.fail(xmpp::StreamError::internal_server_error, "No randomness");
    if (step.kind == S2sStep::Kind::stream_error) co_return connection_.fail(step.error, step.text);
    send_features(secure);
}

void S2sIncoming::send_features(bool secure) {
    std::string features = "<stream:features>";
    if (!secure) {
        features += "<starttls xmlns='" + std::string(xmpp::ns::tls) + "'>";
        if (config_->s2s.require_tls) features += "<required/>";
        features += "</starttls>";
    }
    if (secure || !config_->s2s.require_tls)
        features += "<dialback xmlns='" + std::string(xmpp::ns::dialback_feature) + "'><errors/></dialback>";
    features += "</stream:features>";
    connection_.send_raw(features);
}

asio::awaitable<void> S2sIncoming::on_element(xmpp::Element&& element) {
    if (element.name() == "error" && element.xmlns() == xmpp::ns::stream) {
        XLOG(info).session(connection_.id(), connection_.log_jid())
            << "s2s: the peer ended the stream: " << xmpp::to_string(element);
        connection_.close();
        co_return;
    }
    const S2sStep step = machine_.on_element(element, connection_.transport().is_secure());
    switch (step.kind) {
    case S2sStep::Kind::proceed_tls: {
        connection_.send_raw("<proceed xmlns='" + std::string(xmpp::ns::tls) + "'/>");
        co_await connection_.flush();
        if (connection_.closing()) co_return;
        connection_.restart();
        co_await connection_.start_tls();
        break;
    }
    case S2sStep::Kind::verify_claim:
        claim(step);
        break;
    case S2sStep::Kind::claim_accepted:
        connection_.send_raw(dialback::to_xml(dialback::result_answer(step.local, step.remote, true)));
        break;
    case S2sStep::Kind::answer_verify: {
        // XEP-0220 §2.4: the receiving server (`remote`) asks us, the
        // authoritative server of `local`, about the key we sent it.
        const bool valid =
            dialback::key_matches(step.key, manager_.dialback_secret(), step.remote, step.local, step.id);
        connection_.send_raw(dialback::to_xml(dialback::verify_answer(step.local, step.remote, step.id, valid)));
        break;
    }
    case S2sStep::Kind::stanza: {
        auto from = xmpp::Jid::parse(element.attr_or("from"));
        auto to = xmpp::Jid::parse(element.attr_or("to"));
        metrics::s2s_stanza_in();
        if (from && to) services_.router->route(std::move(element), *from, &*to);
        break;
    }
    case S2sStep::Kind::stream_error:
        connection_.fail(step.error, step.text);
        break;
    default:
        break;
    }
}

void S2sIncoming::claim(const S2sStep& step) {
    XLOG(debug).session(connection_.id()) << "s2s: " << step.remote << " claims a stream to " << step.local;
    manager_.verify(step.local, step.remote, stream_id_, step.key,
                    [self = shared_from_this(), executor = connection_.executor(), local = step.local,
                     remote = step.remote](bool valid) {
                        asio::post(executor, [self, local, remote, valid] {
                            self->claim_decided(local, remote, valid);
                        });
                    });
}

void S2sIncoming::claim_decided(const std::string& local, const std::string& remote, bool valid) {
    auto connection = alive_.lock();
    if (!connection || connection->closing()) return;
    machine_.claim_decided(local, remote, valid);
    connection->send_raw(dialback::to_xml(dialback::result_answer(local, remote, valid)));
    XLOG(info).session(connection->id(), remote)
        << "s2s " << remote << " -> " << local << ": dialback " << (valid ? "valid" : "invalid") << " from "
        << connection->transport().remote_address();
    if (valid && !idle_timeout_started_) {
        idle_timeout_started_ = true;
        connection->set_log_jid(remote);
        connection->start_idle_timeout();
    }
}

}  // namespace server
