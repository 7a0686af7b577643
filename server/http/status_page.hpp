// The /status dashboard's static files (HTML, JS, CSS and the uPlot charting
// library), embedded in the binary at build time from server/http/status/ by
// embed_assets.py. The page polls /status/data.json (metrics::status_json).
// Immutable data; callable from any thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace server::http {

struct StaticResource {
    std::string_view path;  // "/status", "/status/status.js", ...
    std::string_view content_type;
    std::string_view body;
};

// The embedded file served at `path`, if any.
std::optional<StaticResource> status_resource(std::string_view path);

namespace detail {
extern const StaticResource kStatusFiles[];
extern const std::size_t kStatusFileCount;
}  // namespace detail

}  // namespace server::http
