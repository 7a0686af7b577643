// libFuzzer target: what a client hands the caps module (XEP-0115): the <c/>
// of its presence and its disco#info answer (xmpp/caps.hpp), read from an
// element parsed as the store parses stanzas. Invariants: an accepted result
// keeps within the bounds, hashes to the same ver once rebuilt from its
// value, and a parsed <c/> survives its own serialisation.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "xmpp/caps.hpp"
#include "xmpp/stored_xml.hpp"

namespace caps = xmpp::caps;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto element = xmpp::parse_stored(text);
    if (!element) return 0;
    if (auto c = caps::parse(*element)) {
        xmpp::Element presence("presence", "jabber:client");
        presence.add_child(caps::to_element(*c));
        if (caps::parse(presence) != c) std::abort();
    }
    const xmpp::Element* query = element->name() == "query" ? &*element : element->child("query");
    if (!query) return 0;
    auto info = caps::parse_disco_info(*query);
    if (!info.ok()) return 0;
    if (info->identities.size() > caps::max_identities || info->features.size() > caps::max_features ||
        info->forms.size() > caps::max_forms)
        std::abort();
    auto again = caps::parse_disco_info(caps::to_element(*info));
    if (!again.ok() || caps::ver(*again, "sha-1") != caps::ver(*info, "sha-1")) std::abort();
    return 0;
}
