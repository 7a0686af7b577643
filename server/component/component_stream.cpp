#include "server/component/component_stream.hpp"

#include <openssl/rand.h>

#include <boost/asio/post.hpp>

#include "server/component/component_handshake.hpp"
#include "server/core/metrics.hpp"
#include "server/router/connection_registry.hpp"
#include "server/router/router.hpp"
#include "server/system/log.hpp"

namespace server {

namespace {

// The stream id the handshake digest covers: 128 random bits, so that a
// digest seen on one stream is worth nothing on another. Empty when the
// system has no randomness to give.
std::string random_stream_id() {
    unsigned char bytes[16];
    if (RAND_bytes(bytes, sizeof bytes) != 1) return {};
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char b : bytes) {
        out.push_back(digits[b >> 4]);
        out.push_back(digits[b & 15]);
    }
    return out;
}

}  // namespace

ComponentStream::ComponentStream(Services& services, asio::any_io_executor executor,
                                 std::unique_ptr<Transport> transport)
    : services_(services),
      config_(services.current_config()),
      unstarted_(std::make_shared<StreamConnection>(std::move(executor), std::move(transport), config_->limits,
                                                    config_->hosts.front().domain)),
      connection_(*unstarted_),
      alive_(unstarted_) {
    connection_.use_component_namespace();
}

ComponentStream::~ComponentStream() = default;

void ComponentStream::start() {
    if (services_.connections) services_.connections->add(unstarted_);
    connection_.start(shared_from_this(), false);
    unstarted_.reset();  // its coroutines hold it now, and it holds this
}

void ComponentStream::on_closed() {
    if (attached_ && services_.components) {
        services_.components->detach(domain_, this);
        XLOG(info).session(connection_.id(), domain_) << "component disconnected";
    }
    attached_ = false;
    if (services_.connections) services_.connections->remove(&connection_);
}

void ComponentStream::deliver(std::string xml) {
    asio::post(connection_.executor(), [self = shared_from_this(), xml = std::move(xml)] {
        if (auto connection = self->alive_.lock()) connection->send_stanza(xml, false);
    });
}

void ComponentStream::refuse(xmpp::StreamError condition, std::string_view text) {
    metrics::component_refused();
    connection_.fail(condition, text);
}

asio::awaitable<void> ComponentStream::on_stream_open(const xmpp::StreamHeader& header) {
    const ComponentOpenVerdict verdict = check_component_header(header, *config_);
    stream_id_ = random_stream_id();
    if (stream_id_.empty()) {
        connection_.send_header(config_->hosts.front().domain, {}, "error");
        co_return refuse(xmpp::StreamError::internal_server_error, "No randomness for a stream id");
    }
    if (!verdict.component) {
        connection_.send_header(config_->hosts.front().domain, {}, stream_id_);
        co_return refuse(verdict.condition, verdict.text);
    }
    domain_ = verdict.component->domain;
    secret_ = verdict.component->secret;
    connection_.set_log_jid(domain_);
    connection_.send_header(domain_, {}, stream_id_);
}

asio::awaitable<void> ComponentStream::on_element(xmpp::Element&& element) {
    if (attached_) {
        stanza(std::move(element));
    } else {
        handshake(element);
    }
    co_return;
}

void ComponentStream::handshake(const xmpp::Element& element) {
    if (domain_.empty() || !check_component_handshake(element, stream_id_, secret_))
        return refuse(xmpp::StreamError::not_authorized, "Handshake failed");
    if (!services_.components || !services_.components->attach(domain_, shared_from_this()))
        return refuse(xmpp::StreamError::conflict, "A component is connected for " + domain_ + " already");
    attached_ = true;
    secret_.clear();
    connection_.send_raw("<handshake/>");
    connection_.stop_deadline();
    XLOG(info).session(connection_.id(), domain_)
        << "component connected from " << connection_.transport().remote_address();
}

void ComponentStream::stanza(xmpp::Element&& element) {
    metrics::component_stanza_in();
    ComponentStanzaVerdict verdict = check_component_stanza(element, domain_);
    switch (verdict.kind) {
    case ComponentStanzaVerdict::Kind::route:
        return services_.router->route(std::move(element), *verdict.from, &*verdict.to);
    case ComponentStanzaVerdict::Kind::reply:
        return connection_.send(verdict.reply);
    case ComponentStanzaVerdict::Kind::drop:
        return;
    case ComponentStanzaVerdict::Kind::stream_error:
        return connection_.fail(verdict.stream_error, verdict.text);
    }
}

}  // namespace server
