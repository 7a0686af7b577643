// libFuzzer target: a whole c2s stream before authentication, fed arbitrary
// client bytes over an in-memory (pretend-encrypted) transport: stream
// header, features, SASL (PLAIN logs in with a seed's credentials), binding.
// The input is cut into reads at each 0xff byte (not valid UTF-8, so the
// split points never carry XML), giving the session several wake-ups.
// After the input the client hangs up; every session must then be gone.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "session_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static fuzz::SessionHarness h;
    auto pipe = h.connect();
    std::string_view rest(reinterpret_cast<const char*>(data), size);
    while (!rest.empty() && !pipe->closed) {
        const std::size_t cut = rest.find('\xff');
        h.say(*pipe, std::string(rest.substr(0, cut)));
        if (cut == std::string_view::npos) break;
        rest.remove_prefix(cut + 1);
    }
    h.hang_up({pipe});
    return 0;
}
