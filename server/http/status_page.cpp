#include "server/http/status_page.hpp"

namespace server::http {

std::optional<StaticResource> status_resource(std::string_view path) {
    if (path == "/status/") path = "/status";
    for (std::size_t i = 0; i < detail::kStatusFileCount; ++i)
        if (detail::kStatusFiles[i].path == path) return detail::kStatusFiles[i];
    return std::nullopt;
}

}  // namespace server::http
