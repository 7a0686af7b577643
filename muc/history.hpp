// A room's discussion history (XEP-0045 §7.2.13): the last messages with a
// body or a subject, as the room reflected them (from room@service/nick, a
// <delay/> stamp of XEP-0203 from the room), bounded in count; and the part
// of it a joining occupant asked for. Owned by its Room; not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include "muc/join.hpp"
#include "xmpp/element.hpp"

namespace muc {

struct HistoryEntry {
    xmpp::Element message;   // with 'from' and <delay/>, without 'to'
    std::int64_t stamp = 0;  // Unix seconds
    std::size_t chars = 0;   // the size of the XML stanza as sent
};

class History {
public:
    explicit History(std::size_t max) : max_(max) {}

    void add(HistoryEntry entry);
    // Fewer kept from now on; the oldest go first.
    void set_max(std::size_t max);
    std::size_t size() const { return entries_.size(); }

    // Oldest first: the newest entries within `limit` (the room's
    // muc#maxhistoryfetch) and within what `request` asks for; each of
    // maxstanzas, maxchars, seconds and since narrows it (§7.2.13: all that
    // are given apply).
    std::vector<const HistoryEntry*> select(const HistoryRequest& request, std::int64_t now, std::size_t limit) const;

private:
    std::size_t max_;
    std::deque<HistoryEntry> entries_;
};

}  // namespace muc
