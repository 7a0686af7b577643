// CapsCache: what the server knows of its clients' entity capabilities
// (XEP-0115), shared by every session. Two tables: verified disco#info
// results by hash and ver (bounded, least recently used dropped first), and
// the current caps of each available local resource (set by its available
// presence with <c/>, removed when it goes unavailable or its session ends).
//
// It decides, and the caps module does the I/O: a presence with an unknown
// ver yields the one disco#info query to send (one per ver while it is
// outstanding, at most `max_pending` at once); the answer is cached only when
// it is well-formed and hashes to the ver (§5.4). A resource whose answer was
// wrong, or that did not answer, is not asked again for that ver (the last
// `max_failures` such pairs are remembered); another resource announcing the
// ver is asked instead (§5.4 step 3.9).
//
// The PEP module asks features_of() / wants_notify() when it fans a
// notification out. Thread-safe: one mutex, held only inside each call.
#pragma once

#include <cstddef>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "xmpp/caps.hpp"
#include "xmpp/element.hpp"
#include "xmpp/jid.hpp"

namespace server::modules {

struct CapsLimits {
    std::size_t max_entries = 10000;   // verified results kept
    std::size_t max_pending = 100;     // disco#info queries outstanding
    std::size_t max_failures = 10000;  // (resource, ver) pairs not asked again
};

class CapsCache {
public:
    using Info = std::shared_ptr<const xmpp::caps::DiscoInfo>;

    // Ask `to` for disco#info on node `caps.node + '#' + caps.ver`.
    struct Query {
        xmpp::Jid to;
        xmpp::caps::Caps caps;
    };

    explicit CapsCache(CapsLimits limits = {}) : limits_(limits) {}

    // `full` is available with `caps` (its hash is one xmpp::caps supports):
    // the query to send, if the ver is new and no query for it is out.
    std::optional<Query> available(const xmpp::Jid& full, const xmpp::caps::Caps& caps);

    // `full` went unavailable or its session ended.
    void forget(const xmpp::Jid& full);

    struct Outcome {
        bool cached = false;        // the answer was well-formed and hashed to the ver
        std::optional<Query> next;  // not cached: another resource to ask for the ver
        std::vector<xmpp::Jid> resolved;  // cached: every resource announcing the ver, now known
    };
    // The answer to `query`: the <query/> of its result, or nullptr for an
    // error or no answer.
    Outcome answered(const Query& query, const xmpp::Element* result);

    // The verified disco#info of `full`'s current caps; null when unknown.
    Info features_of(const xmpp::Jid& full);
    // Whether `full`'s caps list NODE+notify (XEP-0163 §4.3.1 filtering).
    bool wants_notify(const xmpp::Jid& full, std::string_view node);

    struct Stats {
        std::size_t entries = 0;    // verified results cached
        std::size_t pending = 0;    // queries outstanding
        std::size_t resources = 0;  // available resources with caps
    };
    Stats stats() const;

private:
    using Key = std::string;  // hash '\n' ver
    static Key key_of(const xmpp::caps::Caps& caps) { return caps.hash + '\n' + caps.ver; }

    struct Entry {
        Info info;
        std::list<Key>::iterator lru;
    };

    Info lookup(const Key& key);  // touches the entry
    void store(const Key& key, Info info);
    void remember_failure(const std::string& full, const Key& key);
    // A resource announcing `key` that was not asked for it yet.
    std::optional<Query> next_holder(const Key& key);

    const CapsLimits limits_;
    mutable std::mutex mutex_;
    std::unordered_map<Key, Entry> entries_;
    std::list<Key> lru_;                                    // most recently used first
    std::map<std::string, xmpp::caps::Caps> current_;       // full JID -> caps
    std::map<Key, std::set<std::string>> holders_;          // key -> full JIDs announcing it
    std::map<Key, std::string> pending_;                    // key -> full JID asked
    std::set<std::pair<std::string, Key>> failed_;          // (full JID, key) not asked again
    std::deque<std::pair<std::string, Key>> failed_order_;  // oldest first
};

}  // namespace server::modules
