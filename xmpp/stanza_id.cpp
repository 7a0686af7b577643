#include "xmpp/stanza_id.hpp"

#include <openssl/rand.h>

#include <stdexcept>

namespace xmpp {

std::string new_stanza_id() {
    static constexpr char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char raw[12];
    if (RAND_bytes(raw, sizeof raw) != 1) throw std::runtime_error("RAND_bytes failed");
    std::string out;
    out.reserve(16);
    for (std::size_t i = 0; i < sizeof raw; i += 3) {
        const unsigned v = (raw[i] << 16) | (raw[i + 1] << 8) | raw[i + 2];
        for (int shift = 18; shift >= 0; shift -= 6) out.push_back(digits[(v >> shift) & 63]);
    }
    return out;
}

}  // namespace xmpp
