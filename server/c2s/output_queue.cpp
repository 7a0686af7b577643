#include "server/c2s/output_queue.hpp"

#include <iterator>

namespace server {

void OutputQueue::append(std::string_view xml) {
    pending_.append(xml);
    queued_ += xml.size();
}

void OutputQueue::append_stanza(std::string_view xml, bool keep) {
    append(xml);
    notes_.push_back(Note{queued_, static_cast<std::uint32_t>(xml.size()), keep});
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
        while (notes_head_ < notes_.size() && notes_[notes_head_].end <= written) {
            ++notes_head_;
            ++stanzas_written_;
        }
    }
    if (notes_head_ == notes_.size()) {
        notes_.clear();  // keeps its capacity for the next stanzas
        notes_head_ = 0;
    } else if (notes_head_ >= 64 && notes_head_ * 2 >= notes_.size()) {
        // A stream that is never drained (always something pending) would
        // otherwise grow its notes by one per stanza for as long as it lasts.
        notes_.erase(notes_.begin(), notes_.begin() + static_cast<std::ptrdiff_t>(notes_head_));
        notes_head_ = 0;
    }
    writing_.clear();
}

void OutputQueue::cut_out(const std::string& bytes, std::uint64_t start, std::uint64_t written,
                          std::vector<std::string>& out) {
    const std::uint64_t end = start + bytes.size();
    std::vector<Note> rest;
    for (std::size_t i = notes_head_; i < notes_.size(); ++i) {
        const Note& n = notes_[i];
        const std::uint64_t begin = n.end - n.size;
        if (begin < start || n.end > end) {
            rest.push_back(n);  // not in these bytes
        } else if (n.end <= written) {
            ++stanzas_written_;  // written whole: delivered
        } else if (n.keep) {
            out.emplace_back(bytes, static_cast<std::size_t>(begin - start), n.size);
        }
    }
    notes_ = std::move(rest);
    notes_head_ = 0;
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
    notes_.clear();
    notes_head_ = 0;
    return out;
}

void OutputQueue::release_idle_memory() {
    if (pending_.empty()) std::string().swap(pending_);
    if (writing_.empty()) std::string().swap(writing_);
    if (notes_head_ == notes_.size()) {
        std::vector<Note>().swap(notes_);
        notes_head_ = 0;
    }
}

}  // namespace server
