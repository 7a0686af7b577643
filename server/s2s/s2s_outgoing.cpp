#include "server/s2s/s2s_outgoing.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <random>

#include "server/core/metrics.hpp"
#include "server/core/use_tuple.hpp"
#include "server/net/resolver.hpp"
#include "server/net/s2s_targets.hpp"
#include "server/net/tcp_transport.hpp"
#include "server/router/connection_registry.hpp"
#include "server/router/router.hpp"
#include "server/s2s/dialback.hpp"
#include "server/s2s/s2s_manager.hpp"
#include "server/system/log.hpp"
#include "xmpp/namespaces.hpp"
#include "xmpp/serializer.hpp"

namespace server {

namespace {

std::uint32_t random_draw(std::uint32_t bound) {
    thread_local std::mt19937 engine{std::random_device{}()};
    return std::uniform_int_distribution<std::uint32_t>(0, bound)(engine);
}

}  // namespace

S2sOutgoing::S2sOutgoing(S2sManager& manager, Services& services, asio::any_io_executor executor, std::string local,
                         std::string remote)
    : manager_(manager),
      services_(services),
      executor_(executor),
      local_(std::move(local)),
      remote_(std::move(remote)),
      machine_(local_, remote_, services.current_config()->s2s.require_tls),
      deadline_(executor),
      idle_(executor) {}

S2sOutgoing::~S2sOutgoing() = default;

void S2sOutgoing::start() {
    asio::post(executor_, [self = shared_from_this()] {
        self->deadline_.expires_after(self->services_.current_config()->s2s.connect_timeout);
        self->deadline_.async_wait([self](boost::system::error_code ec) {
            if (ec || self->state_ == State::established || self->state_ == State::ended) return;
            self->end(xmpp::StanzaError::remote_server_timeout, "No stream to " + self->remote_ + " in time");
        });
        asio::co_spawn(self->executor_, self->connect(), asio::detached);
    });
}

void S2sOutgoing::enqueue(xmpp::Element stanza) {
    asio::post(executor_, [self = shared_from_this(), stanza = std::move(stanza)]() mutable {
        switch (self->state_) {
        case State::established:
            return self->send_now(stanza);
        case State::ended:
            // After the stream idled out (or gave up): a new one, or the same answer.
            if (self->ended_with_) return self->services_.router->bounce(stanza, *self->ended_with_, self->ended_text_);
            if (auto from = xmpp::Jid::parse(stanza.attr_or("from")))
                if (auto to = xmpp::Jid::parse(stanza.attr_or("to"))) self->manager_.send(stanza, *from, *to);
            return;
        case State::connecting:
        case State::negotiating:
            if (self->queue_.size() >= self->services_.current_config()->s2s.max_queued_stanzas)
                return self->services_.router->bounce(stanza, xmpp::StanzaError::resource_constraint,
                                                      "Too many stanzas wait for " + self->remote_);
            self->queue_.push_back(std::move(stanza));
            return;
        }
    });
}

void S2sOutgoing::verify(std::string stream_id, std::string key, std::function<void(bool)> done) {
    Verify v{std::move(stream_id), std::move(key), std::move(done)};
    asio::post(executor_, [self = shared_from_this(), v = std::move(v)]() mutable {
        if (self->state_ == State::ended) return v.done(false);
        self->unsent_verifies_.push_back(std::move(v));
        self->send_verifies();
    });
}

asio::awaitable<void> S2sOutgoing::connect() {
    auto self = shared_from_this();
    Resolver& resolver = manager_.resolver();
    auto direct = co_await async_srv(resolver, "_xmpps-server._tcp." + remote_, asio::use_awaitable);
    auto starttls = co_await async_srv(resolver, "_xmpp-server._tcp." + remote_, asio::use_awaitable);
    const auto targets = s2s_targets(remote_, direct, starttls, random_draw);
    for (const S2sTarget& target : targets) {
        if (state_ == State::ended) co_return;
        auto endpoints = co_await async_addresses(resolver, target.host, target.port, asio::use_awaitable);
        for (const auto& endpoint : endpoints) {
            if (state_ == State::ended) co_return;
            socket_.emplace(executor_);
            auto [ec] = co_await socket_->async_connect(endpoint, use_tuple);
            if (state_ == State::ended) co_return;
            if (ec) {
                XLOG(debug) << "s2s " << local_ << " -> " << remote_ << ": " << endpoint << ": " << ec.message();
                continue;
            }
            auto transport = std::make_unique<TcpTransport>(std::move(*socket_), manager_.client_tls(), remote_);
            socket_.reset();
            if (target.direct_tls) {
                handshaking_ = transport.get();
                error_code tls_ec = co_await transport->handshake();
                handshaking_ = nullptr;
                if (state_ == State::ended) co_return;
                if (tls_ec) continue;
            }
            XLOG(info) << "s2s " << local_ << " -> " << remote_ << ": connected to " << target.host << " "
                       << endpoint << (target.direct_tls ? " (direct TLS)" : "");
            open(std::move(transport));
            co_return;
        }
    }
    if (state_ != State::ended)
        end(xmpp::StanzaError::remote_server_not_found, "No server of " + remote_ + " could be reached");
}

void S2sOutgoing::open(std::unique_ptr<Transport> transport) {
    auto config = services_.current_config();
    conf::LimitsConfig limits = config->limits;
    limits.preauth_timeout = config->s2s.connect_timeout;
    auto connection = std::make_shared<StreamConnection>(executor_, std::move(transport), limits, local_);
    connection->use_server_namespace();
    connection_ = connection;
    state_ = State::negotiating;
    if (services_.connections) services_.connections->add(connection);
    connection->set_log_jid(remote_);
    connection->send_header(local_, remote_, {});
    connection->start(shared_from_this(), false);
}

asio::awaitable<void> S2sOutgoing::on_stream_open(const xmpp::StreamHeader& header) {
    auto connection = connection_.lock();
    if (!connection) co_return;
    const S2sStep step = machine_.on_header(header);
    if (step.kind == S2sStep::Kind::stream_error) connection->fail(step.error, step.text);
}

asio::awaitable<void> S2sOutgoing::on_element(xmpp::Element&& element) {
    auto connection = connection_.lock();
    if (!connection) co_return;
    if (element.name() == "error" && element.xmlns() == xmpp::ns::stream) {
        XLOG(info).session(connection->id(), remote_) << "s2s: the peer ended the stream: " << xmpp::to_string(element);
        connection->close();
        co_return;
    }
    const S2sStep step = machine_.on_element(element, connection->transport().is_secure());
    switch (step.kind) {
    case S2sStep::Kind::request_tls:
        connection->send_raw("<starttls xmlns='" + std::string(xmpp::ns::tls) + "'/>");
        break;
    case S2sStep::Kind::start_tls: {
        connection->restart();
        const bool secured = co_await connection->start_tls();
        if (secured) connection->send_header(local_, remote_, {});
        break;
    }
    case S2sStep::Kind::send_dialback:
        connection->send_raw(dialback::to_xml(dialback::result_request(
            local_, remote_, dialback::key(manager_.dialback_secret(), remote_, local_, step.id))));
        send_verifies();
        break;
    case S2sStep::Kind::established:
        established();
        break;
    case S2sStep::Kind::rejected:
        end(xmpp::StanzaError::not_authorized, remote_ + " refused our dialback claim for " + local_);
        break;
    case S2sStep::Kind::verify_answered: {
        auto range = sent_verifies_.equal_range(step.id);
        std::vector<std::function<void(bool)>> answered;
        for (auto it = range.first; it != range.second; ++it) answered.push_back(std::move(it->second));
        sent_verifies_.erase(range.first, range.second);
        for (auto& done : answered) done(step.valid && step.remote == remote_ && step.local == local_);
        break;
    }
    case S2sStep::Kind::stream_error:
        connection->fail(step.error, step.text);
        break;
    default:
        break;
    }
}

void S2sOutgoing::send_verifies() {
    auto connection = connection_.lock();
    if (!connection || !machine_.can_verify()) return;
    for (Verify& v : unsent_verifies_) {
        connection->send_raw(dialback::to_xml(dialback::verify_request(local_, remote_, v.id, v.key)));
        sent_verifies_.emplace(v.id, std::move(v.done));
    }
    unsent_verifies_.clear();
}

void S2sOutgoing::established() {
    auto connection = connection_.lock();
    if (!connection) return;
    state_ = State::established;
    last_sent_ = std::chrono::steady_clock::now();
    deadline_.cancel();
    connection->stop_deadline();  // our own idle timer decides (nothing comes back on this stream)
    XLOG(info).session(connection->id(), remote_)
        << "s2s " << local_ << " -> " << remote_ << ": authenticated (dialback); " << queue_.size()
        << " stanzas waited";
    while (!queue_.empty()) {
        send_now(queue_.front());
        queue_.pop_front();
    }
    arm_idle_timer();
}

void S2sOutgoing::send_now(const xmpp::Element& stanza) {
    auto connection = connection_.lock();
    if (!connection || connection->closing()) {
        // Closed under us: the stanza goes on a new stream.
        queue_.push_back(stanza);
        return;
    }
    std::string xml;
    // Without a namespace of its own: the stream's default, jabber:server.
    xmpp::serialize(stanza, xml, xmpp::ns::client);
    connection->send_stanza(xml, false);
    metrics::s2s_stanza_out();
    last_sent_ = std::chrono::steady_clock::now();
}

void S2sOutgoing::arm_idle_timer() {
    const auto idle = services_.current_config()->s2s.idle_timeout;
    idle_.expires_at(last_sent_ + idle);
    idle_.async_wait([self = shared_from_this(), idle](boost::system::error_code ec) {
        if (ec || self->state_ != State::established) return;
        if (std::chrono::steady_clock::now() - self->last_sent_ < idle) return self->arm_idle_timer();
        XLOG(info) << "s2s " << self->local_ << " -> " << self->remote_ << ": idle, closing";
        self->end(std::nullopt, {});
    });
}

void S2sOutgoing::end(std::optional<xmpp::StanzaError> condition, std::string_view text) {
    if (state_ == State::ended) return;
    state_ = State::ended;
    ended_with_ = condition;
    ended_text_ = std::string(text);
    manager_.forget(local_, remote_, this);
    deadline_.cancel();
    idle_.cancel();
    if (condition) {
        metrics::s2s_failure();
        XLOG(info) << "s2s " << local_ << " -> " << remote_ << ": " << text;
    }
    if (socket_) {
        error_code ignored;
        socket_->close(ignored);
    }
    if (handshaking_) handshaking_->close();
    if (auto connection = connection_.lock()) connection->close();
    for (Verify& v : unsent_verifies_) v.done(false);
    unsent_verifies_.clear();
    for (auto& [id, done] : sent_verifies_) done(false);
    sent_verifies_.clear();
    std::deque<xmpp::Element> queued;
    queued.swap(queue_);
    for (const xmpp::Element& stanza : queued) {
        if (condition) {
            services_.router->bounce(stanza, *condition, ended_text_);
        } else if (auto from = xmpp::Jid::parse(stanza.attr_or("from"))) {
            if (auto to = xmpp::Jid::parse(stanza.attr_or("to"))) manager_.send(stanza, *from, *to);
        }
    }
}

void S2sOutgoing::on_closed() {
    if (auto connection = connection_.lock(); connection && services_.connections)
        services_.connections->remove(connection.get());
    if (state_ == State::established) {
        // Closed by the peer or the network once set up: what is left goes on a new stream.
        end(std::nullopt, {});
    } else {
        end(xmpp::StanzaError::remote_server_not_found, "The stream to " + remote_ + " ended");
    }
}

}  // namespace server
