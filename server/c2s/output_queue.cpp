#include "server/c2s/output_queue.hpp"

#include <iterator>

namespace server {

void OutputQueue::append(std::string_view xml, bool keep) {
    pending_.append(xml);
    queued_ += xml.size();
    if (keep) kept_.push_back(Kept{queued_, static_cast<std::uint32_t>(xml.size())});
}

void OutputQueue::abandon(std::string xml) {
    abandoned_bytes_ += xml.size();
    abandoned_.push_back(std::move(xml));
}

void OutputQueue::abandon_pending() {
    const std::uint64_t start = queued_ - pending_.size();
    cut_out(pending_, start, start, unwritten_);
    pending_.clear();
    // The output stream goes on from here with whatever is appended next;
    // the dropped bytes never existed for the peer.
    queued_ = start;
}

const std::string& OutputQueue::begin_write() {
    writing_start_ = queued_ - pending_.size();
    writing_.swap(pending_);
    return writing_;
}

void OutputQueue::end_write(std::size_t n) {
    const std::uint64_t written = writing_start_ + n;
    if (n < writing_.size()) {
        // A failed write: what it did not take whole is cut out before the
        // pending stanzas, which come after it in the output.
        std::vector<std::string> cut;
        cut_out(writing_, writing_start_, written, cut);
        unwritten_.insert(unwritten_.begin(), std::make_move_iterator(cut.begin()),
                          std::make_move_iterator(cut.end()));
    } else {
        while (kept_head_ < kept_.size() && kept_[kept_head_].end <= written) ++kept_head_;
    }
    if (kept_head_ == kept_.size()) {
        kept_.clear();  // keeps its capacity for the next stanzas
        kept_head_ = 0;
    } else if (kept_head_ >= 64 && kept_head_ * 2 >= kept_.size()) {
        // A stream that is never drained (always something pending) would
        // otherwise grow its notes by one per message for as long as it lasts.
        kept_.erase(kept_.begin(), kept_.begin() + static_cast<std::ptrdiff_t>(kept_head_));
        kept_head_ = 0;
    }
    writing_.clear();
}

void OutputQueue::cut_out(const std::string& bytes, std::uint64_t start, std::uint64_t written,
                          std::vector<std::string>& out) {
    const std::uint64_t end = start + bytes.size();
    std::vector<Kept> rest;
    for (std::size_t i = kept_head_; i < kept_.size(); ++i) {
        const Kept& k = kept_[i];
        const std::uint64_t begin = k.end - k.size;
        if (begin < start || k.end > end) {
            rest.push_back(k);  // not in these bytes
        } else if (k.end > written) {
            out.emplace_back(bytes, static_cast<std::size_t>(begin - start), k.size);
        }  // else written whole: delivered
    }
    kept_ = std::move(rest);
    kept_head_ = 0;
}

std::vector<std::string> OutputQueue::take_unwritten() {
    const std::uint64_t start = queued_ - pending_.size();
    cut_out(pending_, start, start, unwritten_);
    pending_.clear();
    queued_ = start;
    std::vector<std::string> out = std::move(unwritten_);
    unwritten_.clear();
    out.insert(out.end(), std::make_move_iterator(abandoned_.begin()), std::make_move_iterator(abandoned_.end()));
    abandoned_.clear();
    abandoned_bytes_ = 0;
    kept_.clear();
    kept_head_ = 0;
    return out;
}

void OutputQueue::release_idle_memory() {
    if (pending_.empty()) std::string().swap(pending_);
    if (writing_.empty()) std::string().swap(writing_);
    if (kept_head_ == kept_.size()) {
        std::vector<Kept>().swap(kept_);
        kept_head_ = 0;
    }
}

}  // namespace server
