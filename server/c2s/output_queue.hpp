// OutputQueue: the bytes a stream connection has queued for its peer, which
// of them are stanzas, and which of those are messages to hand to offline
// storage should they never be written.
//
// The connection appends stream-level output (headers, features, SASL,
// stream errors) with append() and the bound session's stanzas with
// append_stanza(); its writer takes everything pending at once
// (begin_write), hands it to the transport, and reports how many bytes the
// transport took (end_write). Each stanza is remembered by a 16-byte note of
// where it ends in the stream's output, not by a copy: on the hot path the
// queue costs an append to a reused buffer and a push to a reused vector.
// The notes count the stanzas written whole (stanzas_written(), the
// outbound count of stream management, XEP-0198). A stanza appended with
// keep = true (client_session.hpp: Undelivered::to_offline) is also cut out
// of the buffers when output is abandoned (the peer stopped reading, the
// connection broke), in output order, if the transport did not take it
// whole; one it took whole counts as delivered and is never handed over (no
// duplicates), one it took in part is (the peer cannot have parsed it).
//
// Owned by one connection and used on its worker thread only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace server {

class OutputQueue {
public:
    // Stream-level output: no stanza.
    void append(std::string_view xml);
    // A stanza; `keep`: handed back by take_unwritten() unless written whole.
    void append_stanza(std::string_view xml, bool keep);
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

    // Stanzas the transport took whole so far (wraps at 2^32).
    std::uint32_t stanzas_written() const { return stanzas_written_; }

    // Gives back buffer capacity while the stream is quiet.
    void release_idle_memory();

private:
    struct Note {
        std::uint64_t end;   // offset just past the stanza in the stream's output
        std::uint32_t size;  // its length in bytes
        bool keep;           // handed back unless written whole
    };
    // Moves the kept stanzas that lie in `bytes` (which starts at output
    // offset `start`) and end after `written` into `out`; drops the notes of
    // every stanza in `bytes`.
    void cut_out(const std::string& bytes, std::uint64_t start, std::uint64_t written, std::vector<std::string>& out);

    std::string pending_;
    std::string writing_;
    std::uint64_t queued_ = 0;         // output offset just past pending_
    std::uint64_t writing_start_ = 0;  // output offset of writing_[0]
    std::vector<Note> notes_;  // in output order, from notes_head_ on not written yet
    std::size_t notes_head_ = 0;
    std::uint32_t stanzas_written_ = 0;
    std::vector<std::string> unwritten_;  // cut out of a failed write or abandoned pending output
    std::vector<std::string> abandoned_;
    std::size_t abandoned_bytes_ = 0;
};

}  // namespace server
