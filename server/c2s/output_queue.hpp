// OutputQueue: the bytes a c2s session has queued for its peer, and which of
// them are messages to hand to offline storage should they never be written.
//
// The session appends serialized stanzas; its writer takes everything pending
// at once (begin_write), hands it to the transport, and reports how many
// bytes the transport took (end_write). A stanza appended with keep = true
// (client_session.hpp: Undelivered::to_offline) is remembered by a 16-byte
// note of where it ends in the stream's output, not by a copy: on the hot
// path the queue costs an append to a reused buffer and a push to a reused
// vector. Only when output is abandoned (the peer stopped reading, the
// connection broke) are the kept stanzas not fully written cut out of the
// buffers, in output order; a stanza the transport took whole counts as
// delivered and is never handed over (no duplicates), one it took in part is
// (the peer cannot have parsed it).
//
// Owned by one session and used on its worker thread only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace server {

class OutputQueue {
public:
    void append(std::string_view xml, bool keep);
    // A kept stanza that will not be queued (the stream is closing): handed
    // over after everything queued before it.
    void abandon(std::string xml);
    // Drops what is pending (never written), keeping its kept stanzas for
    // take_unwritten(), ahead of anything abandoned later.
    void abandon_pending();

    std::size_t pending_size() const { return pending_.size(); }
    std::size_t abandoned_size() const { return abandoned_bytes_; }
    bool has_pending() const { return !pending_.empty(); }
    // A write is in flight (begin_write without end_write yet).
    bool writing() const { return !writing_.empty(); }
    // Nothing pending and nothing being written.
    bool idle() const { return pending_.empty() && writing_.empty(); }

    // The writer: the pending bytes become the buffer to write (valid until end_write).
    const std::string& begin_write();
    // The transport took `n` bytes of that buffer (all of it unless it failed).
    void end_write(std::size_t n);

    // The kept stanzas not fully written, in output order: those of a write
    // that failed part-way, then those pending, then the abandoned ones.
    // Empties the queue.
    std::vector<std::string> take_unwritten();

    // Gives back buffer capacity while the stream is quiet.
    void release_idle_memory();

private:
    struct Kept {
        std::uint64_t end;   // offset just past the stanza in the stream's output
        std::uint32_t size;  // its length in bytes
    };
    // Moves the kept stanzas that lie in `bytes` (which starts at output
    // offset `start`) and end after `written` into `out`; drops their notes.
    void cut_out(const std::string& bytes, std::uint64_t start, std::uint64_t written, std::vector<std::string>& out);

    std::string pending_;
    std::string writing_;
    std::uint64_t queued_ = 0;         // output offset just past pending_
    std::uint64_t writing_start_ = 0;  // output offset of writing_[0]
    std::vector<Kept> kept_;           // notes in output order, from kept_head_ on still live
    std::size_t kept_head_ = 0;
    std::vector<std::string> unwritten_;  // cut out of a failed write or abandoned pending output
    std::vector<std::string> abandoned_;
    std::size_t abandoned_bytes_ = 0;
};

}  // namespace server
