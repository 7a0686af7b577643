// libFuzzer target: a whole c2s stream after authentication and binding.
// juliet@localhost/balcony (the fuzzed stream) and romeo@localhost/garden
// are bound; the input is juliet's raw bytes after her bind, cut into reads
// at each 0xff byte. Stanzas reach the real router, modules and XMQ engine.
// Both clients then hang up; every session must then be gone.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "session_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static fuzz::SessionHarness h;
    auto romeo = h.login("romeo", "juli3t", "garden");
    auto juliet = h.login("juliet", "r0meo", "balcony");
    std::string_view rest(reinterpret_cast<const char*>(data), size);
    while (!rest.empty() && !juliet->closed) {
        const std::size_t cut = rest.find('\xff');
        h.say(*juliet, std::string(rest.substr(0, cut)));
        if (cut == std::string_view::npos) break;
        rest.remove_prefix(cut + 1);
    }
    h.hang_up({juliet, romeo});
    return 0;
}
