#include "server/router/iq_requests.hpp"

#include <openssl/rand.h>

#include <vector>

namespace server {

namespace {

std::string random_prefix() {
    unsigned char bytes[8];
    if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("no random bytes for iq ids");
    static constexpr char hex[] = "0123456789abcdef";
    std::string out = "xmqd-";
    for (unsigned char b : bytes) {
        out += hex[b >> 4];
        out += hex[b & 15];
    }
    return out;
}

void finish(std::vector<IqRequests::Answer>& answers) {
    for (auto& answer : answers) answer(nullptr);
}

}  // namespace

IqRequests::IqRequests(std::size_t max_outstanding, std::chrono::seconds timeout)
    : max_outstanding_(max_outstanding), timeout_(timeout), id_prefix_(random_prefix()) {}

void IqRequests::take_expired(Clock::time_point now, std::vector<Answer>& expired) {
    for (auto it = pending_.begin(); it != pending_.end();) {
        if (it->second.deadline <= now) {
            expired.push_back(std::move(it->second.answer));
            it = pending_.erase(it);
        } else {
            ++it;
        }
    }
}

std::optional<xmpp::Element> IqRequests::prepare(xmpp::Element iq, Answer answer, Clock::time_point now) {
    std::vector<Answer> expired;
    bool full = false;
    {
        std::lock_guard lock(mutex_);
        take_expired(now, expired);
        full = pending_.size() >= max_outstanding_;
        if (!full) {
            std::string id = id_prefix_ + '-' + std::to_string(++next_);
            iq.set_attr("id", id);
            pending_.emplace(std::move(id), Pending{std::string(iq.attr_or("to")), now + timeout_, std::move(answer)});
        }
    }
    finish(expired);
    if (full) {
        answer(nullptr);
        return std::nullopt;
    }
    return iq;
}

bool IqRequests::take(const xmpp::Element& reply, const xmpp::Jid& from, Clock::time_point now) {
    const std::string* id = reply.attr("id");
    if (!id || id->compare(0, id_prefix_.size(), id_prefix_) != 0) return false;
    Answer answer;
    std::vector<Answer> expired;
    {
        std::lock_guard lock(mutex_);
        auto it = pending_.find(*id);
        if (it == pending_.end() || it->second.to != from.full()) return false;
        if (it->second.deadline > now)
            answer = std::move(it->second.answer);
        else
            expired.push_back(std::move(it->second.answer));
        pending_.erase(it);
        take_expired(now, expired);
    }
    finish(expired);
    if (answer) answer(&reply);
    return true;
}

void IqRequests::abandon(const xmpp::Jid& full) {
    std::vector<Answer> ended;
    {
        std::lock_guard lock(mutex_);
        const std::string to = full.full();
        for (auto it = pending_.begin(); it != pending_.end();) {
            if (it->second.to == to) {
                ended.push_back(std::move(it->second.answer));
                it = pending_.erase(it);
            } else {
                ++it;
            }
        }
    }
    finish(ended);
}

std::size_t IqRequests::outstanding() const {
    std::lock_guard lock(mutex_);
    return pending_.size();
}

}  // namespace server
