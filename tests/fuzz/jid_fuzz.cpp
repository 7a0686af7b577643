// libFuzzer target: JID parsing and the per-part normalisers (RFC 7622 via
// libidn). Invariant: a parsed JID's text parses again to the same JID
// (normalisation is idempotent), and its parts are within 1023 bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "xmpp/jid.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    if (auto jid = xmpp::Jid::parse(text)) {
        if (jid->local().size() > 1023 || jid->domain().size() > 1023 || jid->resource().size() > 1023)
            std::abort();
        auto again = xmpp::Jid::parse(jid->full());
        if (!again || *again != *jid) std::abort();
        auto bare = xmpp::Jid::parse(jid->bare_string());
        if (!bare || *bare != jid->bare()) std::abort();
        (void)jid->with_resource(text);
    }
    (void)xmpp::Jid::normalize_local(text);
    (void)xmpp::Jid::normalize_domain(text);
    (void)xmpp::Jid::normalize_resource(text);
    return 0;
}
