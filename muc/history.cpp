#include "muc/history.hpp"

#include <algorithm>

namespace muc {

void History::add(HistoryEntry entry) {
    if (max_ == 0) return;
    entries_.push_back(std::move(entry));
    while (entries_.size() > max_) entries_.pop_front();
}

void History::set_max(std::size_t max) {
    max_ = max;
    while (entries_.size() > max_) entries_.pop_front();
}

std::vector<const HistoryEntry*> History::select(const HistoryRequest& request, std::int64_t now,
                                                 std::size_t limit) const {
    std::size_t count = std::min(limit, request.max_stanzas.value_or(limit));
    std::vector<const HistoryEntry*> out;
    std::size_t chars = 0;
    for (auto it = entries_.rbegin(); it != entries_.rend() && out.size() < count; ++it) {
        if (request.seconds && it->stamp < now - *request.seconds) break;
        if (request.since && it->stamp < *request.since) break;
        if (request.max_chars) {
            if (chars + it->chars > *request.max_chars) break;
            chars += it->chars;
        }
        out.push_back(&*it);
    }
    std::reverse(out.begin(), out.end());
    return out;
}

}  // namespace muc
