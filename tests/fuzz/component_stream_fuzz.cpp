// libFuzzer target: a stream on the component listener (XEP-0114) fed
// arbitrary bytes over an in-memory transport. The first byte chooses
// whether the harness first opens the stream for bot.localhost and proves
// its secret (the digest covers a random stream id, which no input could
// guess): odd, the input is what a connected component sends (stanzas
// routed to local users, queues, the server, other domains); even, the
// input is the whole stream from its header on (handshake, refusals). The
// rest is cut into reads at each 0xff byte, as in c2s_preauth_fuzz. After
// the input the component hangs up; it must then be gone from the table.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "session_harness.hpp"
#include "xmpp/component.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static fuzz::SessionHarness h;
    if (size == 0) return 0;
    std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
    auto pipe = h.connect_component();
    if (data[0] & 1) {
        const std::string header = h.say(*pipe, fuzz::kOpenComponentStream);
        const auto at = header.find(" id='");
        if (at == std::string::npos) std::abort();
        const auto end = header.find('\'', at + 5);
        const std::string id = header.substr(at + 5, end - at - 5);
        h.expect(*pipe, "<handshake>" + xmpp::component::handshake_digest(id, fuzz::kComponentSecret) + "</handshake>",
                 "<handshake/>");
    }
    while (!rest.empty() && !pipe->closed) {
        const std::size_t cut = rest.find('\xff');
        h.say(*pipe, std::string(rest.substr(0, cut)));
        if (cut == std::string_view::npos) break;
        rest.remove_prefix(cut + 1);
    }
    h.hang_up({pipe});
    return 0;
}
