// libFuzzer target: the XEP-0313 archive query a client sends (the form, the
// XEP-0059 set, flip-page; xmpp/mam_query.hpp), read from a <query/> element
// parsed as the store parses stanzas, and XEP-0082 stamps to the
// microsecond. Invariants: a query is either parsed or refused with a
// condition; an accepted one keeps at most kMaxMamIds ids, and a stamp
// written back reads as the same instant.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "xmpp/mam_query.hpp"
#include "xmpp/stored_xml.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    if (auto element = xmpp::parse_stored(text)) {
        auto query = xmpp::parse_mam_query(*element);
        if (query.ok() && query.value().ids.size() > xmpp::kMaxMamIds) std::abort();
    }
    if (auto us = xmpp::parse_xep82_us(text)) {
        if (xmpp::parse_xep82_us(xmpp::xep82_datetime_us(*us)) != us) std::abort();
    }
    return 0;
}
