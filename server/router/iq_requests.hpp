// IqRequests: the iq requests the server itself sends to local sessions (the
// caps module's disco#info to a client, XEP-0115) and the routing of their
// answers back to whoever asked. Each request gets an id no client can guess;
// an answer is taken only from the JID the request went to. A request that
// gets no answer is finished without one when its session ends (the Router
// calls abandon() on unbind) or when its deadline has passed (checked at each
// new request and each answer: no timer); the table holds at most `max_outstanding` requests.
// Owned by the Router; thread-safe (one mutex, never held while an answer
// handler runs).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "xmpp/element.hpp"
#include "xmpp/jid.hpp"

namespace server {

class IqRequests {
public:
    using Clock = std::chrono::steady_clock;
    // The iq result or error that answered; nullptr when none will come (the
    // session ended, the deadline passed, the table was full).
    using Answer = std::function<void(const xmpp::Element* reply)>;

    explicit IqRequests(std::size_t max_outstanding = 4096, std::chrono::seconds timeout = std::chrono::seconds(60));

    // Stamps `iq` (a get or set with its 'to' set to a full JID) with a fresh
    // id and remembers `answer` for it; returns the iq to send, or nullopt
    // when the table is full (`answer` has been called with nullptr).
    std::optional<xmpp::Element> prepare(xmpp::Element iq, Answer answer, Clock::time_point now = Clock::now());

    // A result or error iq from `from` to the server: true when it answered a
    // request of ours (its handler has run).
    bool take(const xmpp::Element& reply, const xmpp::Jid& from, Clock::time_point now = Clock::now());

    // The session `full` is gone: its requests end without an answer.
    void abandon(const xmpp::Jid& full);

    std::size_t outstanding() const;

private:
    struct Pending {
        std::string to;  // the full JID asked
        Clock::time_point deadline;
        Answer answer;
    };
    // Removes the expired requests under the lock; their handlers are run by
    // the caller once it released it.
    void take_expired(Clock::time_point now, std::vector<Answer>& expired);

    const std::size_t max_outstanding_;
    const std::chrono::seconds timeout_;
    mutable std::mutex mutex_;
    std::map<std::string, Pending> pending_;  // by id
    std::string id_prefix_;                   // random per server start
    std::uint64_t next_ = 0;
};

}  // namespace server
