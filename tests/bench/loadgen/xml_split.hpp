// Splits the bytes of an XMPP stream into top-level elements for the load
// generator, counting nesting so that a <message> inside a <forwarded> (MAM
// results, carbons) does not end the outer <message>. Skips the XML
// declaration and the <stream:stream> header; reports the stream's close as an
// element named "/stream:stream". Not a validating parser: it trusts that the
// server escapes '<' and '>' in text and attribute values (all three do).
// Pure code, no state beyond the arguments: any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace loadgen {

struct SplitElement {
    std::size_t begin = 0;  // offset of the element's '<'
    std::size_t end = 0;    // one past its last '>'
    std::string_view name;  // qualified name as written ("message", "stream:features")
};

// The first complete top-level element at or after `from` in `buf`, with
// `consumed` set to where scanning may resume next time (past any skipped
// declaration or stream header); false when `buf` holds no complete element yet
// (then `consumed` says how much of `buf` is whitespace or skipped headers).
bool next_element(std::string_view buf, SplitElement& out, std::size_t& consumed);

// The value of attribute `name` in the start tag of `element` ("" when absent).
std::string attribute(std::string_view element, std::string_view name);

}  // namespace loadgen
