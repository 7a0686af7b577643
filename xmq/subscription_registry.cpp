#include "xmq/subscription_registry.hpp"

#include <algorithm>

namespace xmq {

SubscriptionRegistry::SubscriptionRegistry(conf::Balance balance, unsigned max_load)
    : balance_(balance), max_load_(max_load) {}

SubscriptionRegistry::~SubscriptionRegistry() = default;

void SubscriptionRegistry::make_ready(Subscription& s) {
    if (s.ready || s.away || s.load > max_load_) return;
    s.rank = balance_ == conf::Balance::least_load ? s.load : 0;
    s.topic->ready.insert(ReadyKey{s.rank, s.turn, &s});
    s.ready = true;
}

void SubscriptionRegistry::unready(Subscription& s) {
    if (!s.ready) return;
    s.topic->ready.erase(ReadyKey{s.rank, s.turn, &s});
    s.ready = false;
}

void SubscriptionRegistry::set_expiry(Subscription& s, TimePoint expiry) {
    if (s.durable) {
        s.expiry = expiry;  // kept for when it stops being durable; not in the expiry index
        return;
    }
    auto node = expiry_.extract(ExpiryKey{s.expiry, s.seq, &s});
    s.expiry = expiry;
    if (node) {
        node.value().expiry = expiry;
        expiry_.insert(std::move(node));
    } else {
        expiry_.insert(ExpiryKey{expiry, s.seq, &s});
    }
}

void SubscriptionRegistry::set_durable(Subscription& s, bool durable) {
    if (s.durable == durable) return;
    if (durable) {
        expiry_.erase(ExpiryKey{s.expiry, s.seq, &s});
        ++durable_count_;
    } else {
        expiry_.insert(ExpiryKey{s.expiry, s.seq, &s});
        --durable_count_;
    }
    s.durable = durable;
}

void SubscriptionRegistry::detach(Subscription& s) {
    ended_.push_back(EndedSubscription{s.client->full, s.topic->name, s.durable});
    unready(s);
    if (s.away) s.topic->away.erase(&s);
    if (s.durable) --durable_count_;
    expiry_.erase(ExpiryKey{s.expiry, s.seq, &s});
    if (--s.topic->subscriptions == 0) topics_.erase(topics_.find(std::string_view(s.topic->name)));
    s.topic = nullptr;
    --size_;
}

SubscriptionRegistry::Topic* SubscriptionRegistry::find_topic(std::string_view name) {
    auto it = topics_.find(name);
    return it == topics_.end() ? nullptr : &it->second;
}

void SubscriptionRegistry::set_policy(conf::Balance balance, unsigned max_load) {
    if (balance == balance_ && max_load == max_load_) return;
    balance_ = balance;
    max_load_ = max_load;
    for (auto& [name, topic] : topics_) topic.ready.clear();
    for (auto& [full, client] : clients_) {
        for (auto& [name, sub] : client.subs) {
            sub->ready = false;
            make_ready(*sub);
        }
    }
}

SubscriptionRegistry::Outcome SubscriptionRegistry::subscribe(const xmpp::Jid& who, std::string_view topic,
                                                              std::chrono::seconds ttl, unsigned load,
                                                              TimePoint now, std::size_t per_client_limit,
                                                              bool durable) {
    remove_expired(now);
    std::string full = who.full();
    auto cit = clients_.find(full);
    if (cit != clients_.end()) {
        auto sit = cit->second.subs.find(topic);
        if (sit != cit->second.subs.end()) {
            Subscription& s = *sit->second;
            unready(s);
            if (s.away) {
                s.topic->away.erase(&s);
                s.away = false;
            }
            s.ttl = ttl;
            s.load = load;
            set_expiry(s, now + ttl);
            set_durable(s, durable);
            make_ready(s);
            return Outcome::replaced;
        }
        if (cit->second.subs.size() >= per_client_limit) return Outcome::limit_reached;
    } else {
        if (per_client_limit == 0) return Outcome::limit_reached;
        cit = clients_.emplace(full, Client{}).first;
        cit->second.jid = who;
        cit->second.full = std::move(full);
    }

    Client& client = cit->second;
    auto tit = topics_.find(topic);
    if (tit == topics_.end()) {
        tit = topics_.emplace(std::string(topic), Topic{}).first;
        tit->second.name = std::string(topic);
    }
    auto sub = std::make_unique<Subscription>();
    Subscription& s = *sub;
    s.client = &client;
    s.topic = &tit->second;
    s.ttl = ttl;
    s.load = load;
    s.expiry = now + ttl;
    s.seq = ++next_seq_;
    s.turn = ++next_turn_;  // a newcomer joins the rotation at its end
    client.subs.emplace(std::string(topic), std::move(sub));
    ++s.topic->subscriptions;
    ++size_;
    if (durable) {
        s.durable = true;
        ++durable_count_;
    } else {
        expiry_.insert(ExpiryKey{s.expiry, s.seq, &s});
    }
    make_ready(s);
    return Outcome::created;
}

bool SubscriptionRegistry::unsubscribe(std::string_view who_full, std::string_view topic, TimePoint now) {
    remove_expired(now);
    auto cit = clients_.find(who_full);
    if (cit == clients_.end()) return false;
    auto sit = cit->second.subs.find(topic);
    if (sit == cit->second.subs.end()) return false;
    erase_subscription(*sit->second);
    return true;
}

void SubscriptionRegistry::erase_subscription(Subscription& s) {
    Client& client = *s.client;
    auto sit = client.subs.find(s.topic->name);
    detach(s);
    client.subs.erase(sit);  // destroys s
    if (client.subs.empty()) clients_.erase(clients_.find(std::string_view(client.full)));
}

std::size_t SubscriptionRegistry::client_left(std::string_view full) {
    auto cit = clients_.find(full);
    if (cit == clients_.end()) return 0;
    if (durable_count_ == 0) return erase_client(full);
    std::vector<Subscription*> doomed;
    for (auto& [name, sub] : cit->second.subs) {
        Subscription& s = *sub;
        if (!s.durable) {
            doomed.push_back(&s);
        } else if (!s.away) {
            unready(s);
            s.away = true;
            s.topic->away.insert(&s);
        }
    }
    for (Subscription* s : doomed) erase_subscription(*s);  // may erase the client last
    return doomed.size();
}

std::size_t SubscriptionRegistry::erase_client(std::string_view full) {
    auto cit = clients_.find(full);
    if (cit == clients_.end()) return 0;
    std::size_t n = cit->second.subs.size();
    for (auto& [name, sub] : cit->second.subs) detach(*sub);
    clients_.erase(cit);
    return n;
}

std::size_t SubscriptionRegistry::unsubscribe_all(std::string_view who_full) { return erase_client(who_full); }

std::size_t SubscriptionRegistry::renew(std::string_view who_full, TimePoint now, std::optional<unsigned> load) {
    remove_expired(now);  // an expired subscription is gone: presence does not revive it
    auto cit = clients_.find(who_full);
    if (cit == clients_.end()) return 0;
    for (auto& [name, sub] : cit->second.subs) {
        Subscription& s = *sub;
        set_expiry(s, now + s.ttl);
        if (load && *load != s.load) {
            unready(s);
            s.load = *load;
            make_ready(s);
        }
    }
    return cit->second.subs.size();
}

std::size_t SubscriptionRegistry::remove_clients_if(const std::function<bool(const xmpp::Jid&)>& reject) {
    std::vector<std::string> doomed;
    for (const auto& [full, client] : clients_)
        if (reject(client.jid)) doomed.push_back(full);
    std::size_t n = 0;
    for (const std::string& full : doomed) n += erase_client(full);
    return n;
}

std::size_t SubscriptionRegistry::remove_expired(TimePoint now) {
    std::size_t n = 0;
    while (!expiry_.empty() && expiry_.begin()->expiry <= now) {
        erase_subscription(*expiry_.begin()->sub);
        ++n;
    }
    expired_total_ += n;
    return n;
}

SubscriptionRegistry::Dispatch SubscriptionRegistry::deliver_one(std::string_view topic_name, TimePoint now,
                                                                 DeliverFn deliver) {
    return deliver_one_if(topic_name, now, [](const std::string&, std::size_t) { return true; }, deliver);
}

SubscriptionRegistry::Dispatch SubscriptionRegistry::deliver_all(std::string_view topic_name, TimePoint now,
                                                                 DeliverFn deliver) {
    remove_expired(now);
    Dispatch result;
    Topic* topic = find_topic(topic_name);
    if (topic == nullptr) return result;
    std::vector<std::string> gone;
    for (const ReadyKey& key : topic->ready) {
        const Client& client = *key.sub->client;
        if (deliver(client.jid, client.full))
            ++result.delivered;
        else
            gone.push_back(client.full);
    }
    for (const std::string& full : gone) client_left(full);
    result.gone = gone.size();
    return result;
}

SubscriptionRegistry::Dispatch SubscriptionRegistry::deliver_one_if(
    std::string_view topic_name, TimePoint now, FunctionRef<bool(const std::string& full, std::size_t in_flight)> accept,
    DeliverFn deliver) {
    remove_expired(now);
    Dispatch result;
    // Each failed attempt removes that consumer, so this ends within the
    // topic's eligible count, amortised against the subscriptions removed.
    for (;;) {
        Topic* topic = find_topic(topic_name);
        if (topic == nullptr) return result;
        auto it = topic->ready.begin();
        while (it != topic->ready.end() && !accept(it->sub->client->full, it->sub->client->in_flight)) ++it;
        if (it == topic->ready.end()) return result;
        Subscription& s = *it->sub;
        if (deliver(s.client->jid, s.client->full)) {
            auto node = topic->ready.extract(it);
            s.turn = ++next_turn_;
            node.value().turn = s.turn;
            topic->ready.insert(std::move(node));
            result.delivered = 1;
            return result;
        }
        ++result.gone;
        std::string full = s.client->full;
        client_left(full);
    }
}

void SubscriptionRegistry::for_each_subscriber(
    std::string_view topic_name, TimePoint now,
    FunctionRef<void(const xmpp::Jid&, const std::string&, bool away)> visit) {
    remove_expired(now);
    Topic* topic = find_topic(topic_name);
    if (topic == nullptr) return;
    for (const ReadyKey& key : topic->ready) visit(key.sub->client->jid, key.sub->client->full, false);
    for (const Subscription* s : topic->away) visit(s->client->jid, s->client->full, true);
}

void SubscriptionRegistry::add_in_flight(std::string_view full, std::ptrdiff_t delta) {
    auto cit = clients_.find(full);
    if (cit == clients_.end()) return;
    std::size_t& count = cit->second.in_flight;
    count = delta < 0 && static_cast<std::size_t>(-delta) > count ? 0 : count + delta;
}

void SubscriptionRegistry::set_in_flight(std::string_view full, std::size_t count) {
    auto cit = clients_.find(full);
    if (cit != clients_.end()) cit->second.in_flight = count;
}

std::size_t SubscriptionRegistry::in_flight(std::string_view full) const {
    auto cit = clients_.find(full);
    return cit == clients_.end() ? 0 : cit->second.in_flight;
}

bool SubscriptionRegistry::subscribed(std::string_view who_full, std::string_view topic) const {
    auto cit = clients_.find(who_full);
    return cit != clients_.end() && cit->second.subs.find(topic) != cit->second.subs.end();
}

bool SubscriptionRegistry::present(std::string_view who_full, std::string_view topic) const {
    auto cit = clients_.find(who_full);
    if (cit == clients_.end()) return false;
    auto sit = cit->second.subs.find(topic);
    return sit != cit->second.subs.end() && !sit->second->away;
}

std::vector<std::pair<std::string, std::string>> SubscriptionRegistry::durable_subscriptions() const {
    std::vector<std::pair<std::string, std::string>> out;
    if (durable_count_ == 0) return out;
    for (const auto& [full, client] : clients_)
        for (const auto& [topic, sub] : client.subs)
            if (sub->durable) out.emplace_back(full, topic);
    return out;
}

bool SubscriptionRegistry::durable(std::string_view who_full, std::string_view topic) const {
    auto cit = clients_.find(who_full);
    if (cit == clients_.end()) return false;
    auto sit = cit->second.subs.find(topic);
    return sit != cit->second.subs.end() && sit->second->durable;
}

std::size_t SubscriptionRegistry::eligible(std::string_view topic_name, TimePoint now) {
    remove_expired(now);
    Topic* topic = find_topic(topic_name);
    return topic == nullptr ? 0 : topic->ready.size();
}

bool SubscriptionRegistry::has_topic(std::string_view topic_name, TimePoint now) {
    remove_expired(now);
    return find_topic(topic_name) != nullptr;
}

std::vector<TopicInfo> SubscriptionRegistry::topics(TimePoint now, std::size_t max) {
    remove_expired(now);
    std::vector<const Topic*> all;
    all.reserve(topics_.size());
    for (const auto& [name, topic] : topics_) all.push_back(&topic);
    std::size_t n = std::min(max, all.size());
    std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n), all.end(),
                      [](const Topic* a, const Topic* b) { return a->name < b->name; });
    std::vector<TopicInfo> out;
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) out.push_back(TopicInfo{all[i]->name, all[i]->ready.size(), std::nullopt});
    return out;
}

std::size_t SubscriptionRegistry::live(TimePoint now) const {
    std::size_t expired = 0;
    for (auto it = expiry_.begin(); it != expiry_.end() && it->expiry <= now; ++it) ++expired;
    return size_ - expired;
}

}  // namespace xmq
