// The version of this build, from the meson project version.
#pragma once

#include <string_view>

namespace server {
inline constexpr std::string_view xmqd_version = XMQD_VERSION;
}
