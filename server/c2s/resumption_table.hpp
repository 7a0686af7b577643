// ResumptionTable: the stream-management sessions that may be resumed
// (XEP-0198 §5), by resumption id, and the rules of hibernation: an id is
// bound to its account (another account's <resume/> finds nothing), one
// resumption at a time claims a session, a hibernated session expires only
// if no resumption claimed it first, and an account keeps at most
// `max_per_account` hibernated sessions (hibernating one more gives back
// the oldest, to be ended). A session is in the table from <enable
// resume='true'/> until it ends, attached or hibernated. After
// stop_hibernating() nothing hibernates any more.
//
// A template over the session type so that the rules are tested without
// sockets; the server uses ResumptionTable<BoundSession>
// (stream_management.hpp). Shared by all workers: one mutex, held for the
// lookup only. Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace server {

// 128 random bits (OpenSSL RAND_bytes), base64url: unguessable.
std::string new_resumption_id();

template <class Session>
class ResumptionTable {
public:
    // `session`, of `account` (bare JID), may be resumed by `id` from now on.
    void add(const std::string& id, std::string account, std::shared_ptr<Session> session) {
        std::lock_guard lock(mutex_);
        entries_[id] = Entry{std::move(account), std::move(session)};
    }

    // The session lost its connection. False when it may not hibernate (the
    // server stops, or it is not in the table): it ends now. Else it waits,
    // and `evicted` receives the account's oldest hibernated sessions beyond
    // `max_per_account`, out of the table, to be ended by the caller.
    bool hibernate(const std::string& id, const Session* session, std::size_t max_per_account,
                   std::vector<std::shared_ptr<Session>>& evicted) {
        std::lock_guard lock(mutex_);
        auto it = entries_.find(id);
        if (stopping_ || it == entries_.end() || it->second.session.get() != session) return false;
        it->second.hibernated = true;
        it->second.order = ++hibernations_;
        for (;;) {
            std::size_t count = 0;
            auto oldest = entries_.end();
            for (auto e = entries_.begin(); e != entries_.end(); ++e) {
                if (!e->second.hibernated || e->second.claimed || e->second.account != it->second.account) continue;
                ++count;
                if (oldest == entries_.end() || e->second.order < oldest->second.order) oldest = e;
            }
            if (count <= max_per_account) break;
            evicted.push_back(std::move(oldest->second.session));
            entries_.erase(oldest);
        }
        if (entries_.count(id)) return true;
        // A limit of none: the session itself was the one too many.
        std::erase_if(evicted, [session](const auto& s) { return s.get() == session; });
        return false;
    }

    // A <resume/> for `id` by `account`: the session, claimed until
    // release(); null when there is none of that account, or another
    // resumption holds it.
    std::shared_ptr<Session> claim(const std::string& id, const std::string& account) {
        std::lock_guard lock(mutex_);
        auto it = entries_.find(id);
        if (it == entries_.end() || it->second.account != account || it->second.claimed) return nullptr;
        it->second.claimed = true;
        it->second.hibernated = false;
        return it->second.session;
    }
    void release(const std::string& id) {
        std::lock_guard lock(mutex_);
        if (auto it = entries_.find(id); it != entries_.end()) it->second.claimed = false;
    }

    // The resumption time of a hibernated session passed: true (and out of
    // the table) unless a resumption claimed it meanwhile.
    bool expire(const std::string& id, const Session* session) {
        std::lock_guard lock(mutex_);
        auto it = entries_.find(id);
        if (it == entries_.end() || it->second.session.get() != session || !it->second.hibernated ||
            it->second.claimed)
            return false;
        entries_.erase(it);
        return true;
    }

    // The session ended.
    void remove(const std::string& id, const Session* session) {
        std::lock_guard lock(mutex_);
        auto it = entries_.find(id);
        if (it != entries_.end() && it->second.session.get() == session) entries_.erase(it);
    }

    // The server stops: nothing hibernates from now on.
    void stop_hibernating() {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    // The hibernated sessions (they stay in the table until they end).
    std::vector<std::shared_ptr<Session>> hibernated_sessions() const {
        std::lock_guard lock(mutex_);
        std::vector<std::shared_ptr<Session>> hibernated;
        for (const auto& [id, entry] : entries_)
            if (entry.hibernated) hibernated.push_back(entry.session);
        return hibernated;
    }

    std::size_t size() const {
        std::lock_guard lock(mutex_);
        return entries_.size();
    }
    std::size_t hibernated() const {
        std::lock_guard lock(mutex_);
        std::size_t n = 0;
        for (const auto& [id, entry] : entries_) n += entry.hibernated ? 1 : 0;
        return n;
    }

private:
    struct Entry {
        std::string account;
        std::shared_ptr<Session> session;
        bool hibernated = false;
        bool claimed = false;
        std::uint64_t order = 0;  // when it last hibernated
    };
    mutable std::mutex mutex_;
    std::unordered_map<std::string, Entry> entries_;
    std::uint64_t hibernations_ = 0;
    bool stopping_ = false;
};

}  // namespace server
