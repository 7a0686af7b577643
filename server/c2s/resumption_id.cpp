#include <openssl/rand.h>

#include <array>
#include <stdexcept>

#include "server/c2s/resumption_table.hpp"

namespace server {

std::string new_resumption_id() {
    std::array<unsigned char, 16> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
        throw std::runtime_error("RAND_bytes failed: no resumption id");
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string id;
    std::uint32_t bits = 0;
    int held = 0;
    for (unsigned char b : bytes) {
        bits = (bits << 8) | b;
        held += 8;
        while (held >= 6) {
            held -= 6;
            id.push_back(alphabet[(bits >> held) & 63]);
        }
    }
    if (held > 0) id.push_back(alphabet[(bits << (6 - held)) & 63]);
    return id;
}

}  // namespace server
