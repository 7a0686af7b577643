// OutputQueue: which kept stanzas come back when output is abandoned, and how
// many stanzas were written.
#include <doctest/doctest.h>

#include "server/c2s/output_queue.hpp"

using server::OutputQueue;
using Strings = std::vector<std::string>;

TEST_CASE("output queue: stanzas written whole are never handed back") {
    OutputQueue q;
    q.append_stanza("<m1/>", true);
    q.append_stanza("<p/>", false);
    const std::string& bytes = q.begin_write();
    CHECK(bytes == "<m1/><p/>");
    q.end_write(bytes.size());
    CHECK(q.idle());
    q.append_stanza("<m2/>", true);
    CHECK(q.take_unwritten() == Strings{"<m2/>"});
}

TEST_CASE("output queue: a write that fails part-way hands back what it did not take whole") {
    OutputQueue q;
    q.append_stanza("<m1/>", true);   // 0..5
    q.append_stanza("<x/>", false);   // 5..9
    q.append_stanza("<m2/>", true);   // 9..14
    q.append_stanza("<m3/>", true);   // 14..19
    q.begin_write();
    q.append_stanza("<m4/>", true);   // pending while the write is in flight
    q.append_stanza("<p/>", false);
    q.end_write(11);           // m1 whole, m2 in part
    CHECK(q.take_unwritten() == Strings{"<m2/>", "<m3/>", "<m4/>"});
}

TEST_CASE("output queue: an overflow keeps order across the write in flight, the dropped output and later arrivals") {
    OutputQueue q;
    q.append_stanza("<a/>", true);
    q.begin_write();
    q.append_stanza("<b/>", true);
    q.append_stanza("<c/>", false);
    q.append_stanza("<d/>", true);
    q.abandon_pending();       // the peer stopped reading
    CHECK(!q.has_pending());
    q.append("<error/>");  // the stream error still goes out after the write in flight
    q.abandon("<e/>");
    CHECK(q.abandoned_size() == 4);
    q.end_write(0);            // the write in flight never got through
    CHECK(q.take_unwritten() == Strings{"<a/>", "<b/>", "<d/>", "<e/>"});
}

TEST_CASE("output queue: after an overflow the write in flight may still finish") {
    OutputQueue q;
    q.append_stanza("<a/>", true);
    q.begin_write();
    q.append_stanza("<b/>", true);
    q.abandon_pending();
    q.append("<error/>");
    q.end_write(4);            // <a/> went out
    const std::string& rest = q.begin_write();
    CHECK(rest == "<error/>");
    q.end_write(rest.size());
    CHECK(q.take_unwritten() == Strings{"<b/>"});
}

TEST_CASE("output queue: notes are reused, idle memory given back") {
    OutputQueue q;
    for (int round = 0; round < 3; ++round) {
        q.append_stanza("<m/>", true);
        q.end_write(q.begin_write().size());
    }
    q.release_idle_memory();
    CHECK(q.idle());
    CHECK(q.take_unwritten().empty());
}

TEST_CASE("output queue: a stream never drained still hands back exactly what was not written") {
    server::OutputQueue q;
    q.append_stanza("<m0/>", true);
    for (int i = 1; i <= 500; ++i) {
        const std::size_t n = q.begin_write().size();
        q.append_stanza("<m" + std::to_string(i) + "/>", true);  // arrives while the write is in flight
        q.end_write(n);
    }
    q.begin_write();
    q.end_write(0);  // the last write fails before taking anything
    CHECK(q.take_unwritten() == std::vector<std::string>{"<m500/>"});
}

TEST_CASE("output queue: counts the stanzas written whole, not stream-level output nor a stanza cut short") {
    OutputQueue q;
    q.append("<stream:features/>");
    q.append_stanza("<m1/>", true);   // 18..23
    q.append_stanza("<p/>", false);   // 23..27
    q.end_write(q.begin_write().size());
    CHECK(q.stanzas_written() == 2);
    q.append_stanza("<m2/>", true);   // 27..32
    q.append_stanza("<m3/>", false);  // 32..37
    q.begin_write();
    q.end_write(7);                   // m2 whole, m3 in part
    CHECK(q.stanzas_written() == 3);
    q.append_stanza("<m4/>", false);
    q.abandon_pending();
    CHECK(q.stanzas_written() == 3);
}
