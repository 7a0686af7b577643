// The Engine keeps the route table and hands each stanza to its Queue; all
// queue behaviour lives in queue.cpp and subscription_registry.cpp.
#include "xmq/engine.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <stdexcept>

#include "xmq/domain_names.hpp"
#include "xmq/queue.hpp"
#include "xmpp/errors.hpp"

namespace xmq {

namespace {

// The domain part of a JID as written in a 'to' attribute.
std::string_view domain_part(std::string_view jid) {
    jid = jid.substr(0, jid.find('/'));
    auto at = jid.find('@');
    return at == std::string_view::npos ? jid : jid.substr(at + 1);
}

bool is_subdomain_of(std::string_view route, std::string_view host) {
    return route.size() > host.size() + 1 && route.ends_with(host) && route[route.size() - host.size() - 1] == '.';
}

// The sink a dead letter is published with: copies reach consumers, but the
// dead-letter queue's answers (a refusal) have nobody to go to.
class DeadLetterSink final : public Sink {
public:
    explicit DeadLetterSink(Sink& outer) : outer_(outer) {}
    bool deliver(const xmpp::Jid& to, const xmpp::Element& stanza) override { return outer_.deliver(to, stanza); }
    void reply(const xmpp::Element&) override {}

private:
    Sink& outer_;
};

// Before any client is served: no session to deliver to, nobody to answer.
class NoSessionSink final : public Sink {
public:
    bool deliver(const xmpp::Jid&, const xmpp::Element&) override { return false; }
    void reply(const xmpp::Element&) override {}
};

}  // namespace

struct Engine::Impl {
    struct Entry {
        std::shared_ptr<Queue> queue;
        std::string parent_host;
    };

    Impl(Clock c, Journal& j) : clock(std::move(c)), journal(j) {}

    // A snapshot: the queues are then called without the route table's lock.
    std::vector<std::shared_ptr<Queue>> queues() const {
        std::shared_lock lock(mu);
        std::vector<std::shared_ptr<Queue>> out;
        out.reserve(routes.size());
        for (const auto& [route, entry] : routes) out.push_back(entry.queue);
        return out;
    }

    // Publishes what `queue` dead-lettered, once its lock is released. The
    // configuration allows no dead-letter cycle, so this ends.
    void publish_dead_letters(Queue& queue, Sink& sink) {
        for (xmpp::Element& letter : queue.take_dead_letters()) {
            std::shared_ptr<Queue> target = find(letter.attr_or("to"));
            auto publisher = xmpp::Jid::parse(letter.attr_or("from"));
            if (!target || !publisher) continue;  // the route went away in a reload
            DeadLetterSink quiet(sink);
            target->handle(letter, *publisher, quiet, clock(), per_client_limit.load(std::memory_order_relaxed));
            publish_dead_letters(*target, sink);
        }
    }

    Journal& journal_of(const conf::QueueConfig& config) const { return config.durable ? journal : no_journal(); }

    std::shared_ptr<Queue> find(std::string_view domain) const {
        std::shared_lock lock(mu);
        auto it = routes.find(domain);
        if (it == routes.end()) {
            bool has_upper = std::any_of(domain.begin(), domain.end(), [](unsigned char ch) { return std::isupper(ch); });
            if (!has_upper) return nullptr;
            it = routes.find(ascii_lower(domain));
            if (it == routes.end()) return nullptr;
        }
        return it->second.queue;
    }

    Clock clock;
    Journal& journal;
    mutable std::shared_mutex mu;
    std::map<std::string, Entry, std::less<>> routes;
    unsigned sweep_seconds = 10;
    std::atomic<bool> awaits_answers{false};
    std::atomic<std::size_t> per_client_limit{kDefaultMaxSubscriptionsPerClient};
};

Engine::Engine(const conf::XmqConfig& config, std::vector<std::string> hosts, Clock clock, Journal& journal)
    : impl_(std::make_unique<Impl>(std::move(clock), journal)) {
    reconfigure(config, std::move(hosts));
}

Engine::~Engine() = default;

void Engine::reconfigure(const conf::XmqConfig& config, std::vector<std::string> hosts) {
    for (std::string& host : hosts) host = normalize_domain_name(host);

    struct Planned {
        conf::QueueConfig config;
        std::string parent_host;
    };
    std::vector<Planned> planned;
    planned.reserve(config.queues.size());
    for (const conf::QueueConfig& queue : config.queues) {
        Planned p{queue, {}};
        p.config.route = normalize_domain_name(queue.route);
        for (const std::string& host : hosts)
            if (is_subdomain_of(p.config.route, host) && host.size() > p.parent_host.size()) p.parent_host = host;
        if (p.parent_host.empty())
            throw std::invalid_argument("xmq route '" + queue.route + "' is not a subdomain of a served host");
        for (const Planned& other : planned)
            if (other.config.route == p.config.route)
                throw std::invalid_argument("xmq route '" + queue.route + "' is configured twice");
        planned.push_back(std::move(p));
    }

    unsigned sweep_seconds = config.check_expires_time;
    bool awaits_answers = false;
    for (const Planned& p : planned) {
        if (p.config.delivery == conf::DeliveryMode::acked) {
            sweep_seconds = std::min(sweep_seconds, p.config.ack_timeout);
            awaits_answers |= p.config.type == conf::QueueType::any;
        }
        if (p.config.hold > 0) sweep_seconds = std::min(sweep_seconds, p.config.hold_ttl);
    }

    const TimePoint now = impl_->clock();
    std::unique_lock lock(impl_->mu);
    std::map<std::string, Impl::Entry, std::less<>> next;
    for (Planned& p : planned) {
        auto old = impl_->routes.find(p.config.route);
        std::shared_ptr<Queue> queue;
        if (old != impl_->routes.end()) {
            queue = old->second.queue;  // what it holds and has in flight stays
            queue->configure(p.config, p.parent_host, config.max_load, now, impl_->journal_of(p.config));
        } else {
            queue = std::make_shared<Queue>(p.config, p.parent_host, config.max_load, impl_->journal_of(p.config));
        }
        std::string route = p.config.route;
        next.emplace(std::move(route), Impl::Entry{std::move(queue), std::move(p.parent_host)});
    }
    impl_->routes.swap(next);
    impl_->sweep_seconds = sweep_seconds;
    impl_->awaits_answers.store(awaits_answers, std::memory_order_relaxed);
}

std::optional<RestoreReport> Engine::restore(std::string_view route, RestoredQueue state) {
    std::shared_ptr<Queue> queue = impl_->find(route);
    if (!queue) return std::nullopt;
    RestoreReport report = queue->restore(std::move(state), impl_->clock());
    // Nobody is connected yet: dead letters wait in their queue's hold, or go.
    NoSessionSink nobody;
    impl_->publish_dead_letters(*queue, nobody);
    return report;
}

bool Engine::is_route(std::string_view domain) const { return impl_->find(domain) != nullptr; }

std::vector<std::string> Engine::routes() const {
    std::shared_lock lock(impl_->mu);
    std::vector<std::string> out;
    out.reserve(impl_->routes.size());
    for (const auto& [route, entry] : impl_->routes) out.push_back(route);
    return out;
}

std::vector<std::string> Engine::routes_of_host(std::string_view host) const {
    std::string normalized = normalize_domain_name(host);
    std::shared_lock lock(impl_->mu);
    std::vector<std::string> out;
    for (const auto& [route, entry] : impl_->routes)
        if (entry.parent_host == normalized) out.push_back(route);
    return out;
}

void Engine::handle(const xmpp::Element& stanza, const xmpp::Jid& from, Sink& sink) {
    std::shared_ptr<Queue> queue = impl_->find(domain_part(stanza.attr_or("to")));
    if (!queue) {
        // The router sends only route stanzas here; answer a stray request anyway.
        if (stanza.name() != "presence" && xmpp::is_error_reply_allowed(stanza) &&
            !(stanza.name() == "iq" && stanza.attr_or("type") == "error"))
            sink.reply(xmpp::make_error_reply(stanza, xmpp::StanzaError::item_not_found, "Not an XMQ queue"));
        return;
    }
    queue->handle(stanza, from, sink, impl_->clock(), impl_->per_client_limit.load(std::memory_order_relaxed));
    impl_->publish_dead_letters(*queue, sink);
}

void Engine::session_ended(const xmpp::Jid& full, Sink& sink) {
    std::string key = full.full();
    for (const std::shared_ptr<Queue>& queue : impl_->queues()) {
        queue->session_ended(key, sink, impl_->clock());
        impl_->publish_dead_letters(*queue, sink);
    }
}

void Engine::account_removed(const xmpp::Jid& bare, Sink& sink) {
    for (const std::shared_ptr<Queue>& queue : impl_->queues()) {
        queue->account_removed(bare, sink, impl_->clock());
        impl_->publish_dead_letters(*queue, sink);
    }
}

std::size_t Engine::sweep(Sink& sink) {
    auto now = impl_->clock();
    std::size_t removed = 0;
    for (const std::shared_ptr<Queue>& queue : impl_->queues()) {
        removed += queue->sweep(now, sink);
        impl_->publish_dead_letters(*queue, sink);
    }
    return removed;
}

std::chrono::seconds Engine::sweep_interval() const {
    std::shared_lock lock(impl_->mu);
    return std::chrono::seconds(std::max(1U, impl_->sweep_seconds));
}

bool Engine::awaits_answers() const { return impl_->awaits_answers.load(std::memory_order_relaxed); }

bool Engine::consumer_answer(const xmpp::Element& iq, const xmpp::Jid& from, const xmpp::Jid& to, Sink& sink) {
    const std::string from_full = from.full();
    const std::string to_full = to.full();
    for (const std::shared_ptr<Queue>& queue : impl_->queues()) {
        if (!queue->settles_by_answer()) continue;
        switch (queue->consumer_answer(iq, from_full, to_full, sink, impl_->clock())) {
            case Queue::Answer::not_ours: continue;
            case Queue::Answer::settles: return false;
            case Queue::Answer::late: return true;
        }
    }
    return false;
}

std::vector<QueueStats> Engine::stats() const {
    auto now = impl_->clock();
    std::shared_lock lock(impl_->mu);
    std::vector<QueueStats> out;
    out.reserve(impl_->routes.size());
    for (const auto& [route, entry] : impl_->routes) out.push_back(entry.queue->stats(now));
    return out;
}

void Engine::set_max_subscriptions_per_client(std::size_t limit) {
    impl_->per_client_limit.store(limit, std::memory_order_relaxed);
}

std::size_t Engine::eligible_consumers(std::string_view route, std::string_view topic) const {
    std::shared_ptr<Queue> queue = impl_->find(route);
    return queue ? queue->eligible(topic, impl_->clock()) : 0;
}

}  // namespace xmq
