// AllowList: who may publish to or subscribe on one queue (docs/xmq.md §1), from
// the JID patterns of its `publish` / `subscribe` configuration:
//   "*@domain"     any user JID (one with a localpart) at that domain;
//   "user@domain"  that bare JID, whatever its resource;
//   "domain"       any JID whose domain is that (the domain itself included).
// An empty list admits the users of the route's parent host only. Matching is
// O(1): one hash look-up per pattern kind. Patterns are normalised like JIDs;
// one that cannot be normalised is kept lower-cased and simply never matches
// a normalised JID. Immutable after construction; any thread may read it.
#pragma once

#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "xmpp/jid.hpp"

namespace xmq {

class AllowList {
public:
    AllowList() = default;
    AllowList(const std::vector<std::string>& patterns, std::string parent_host);

    bool allows(const xmpp::Jid& who) const;
    bool restricted() const { return !empty_; }  // false: parent-host users only

private:
    bool empty_ = true;
    std::string parent_host_;
    std::unordered_set<std::string> users_at_;  // "*@domain" → domain
    std::unordered_set<std::string> bare_;      // "user@domain"
    std::unordered_set<std::string> domains_;   // "domain"
};

}  // namespace xmq
