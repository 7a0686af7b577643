// libFuzzer target: the TOML configuration loader on arbitrary text, with the
// server's own module catalog. It must return either a Config or errors
// (each with a message), never crash or throw; a loaded Config always has a
// host and a listener.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "conf/config.hpp"
#include "server/modules/modules.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto result = conf::load_config_string(text, "fuzz.toml", server::modules::builtin_modules().catalog());
    if (result) {
        if (result->hosts.empty() || result->listeners.empty()) std::abort();
    } else {
        if (result.error().empty()) std::abort();
        for (const conf::ConfigError& e : result.error())
            if (e.message.empty() || e.to_string().empty()) std::abort();
    }
    return 0;
}
