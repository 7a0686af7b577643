// The plain HTTP resources of the HTTP listener: XEP-0156 host-meta,
// Prometheus /metrics and the /status dashboard with its JSON feed.
// /metrics and /status* answer operators only: loopback clients (unless
// http.operator_loopback is false) or an admin of http.admins who
// authenticated with HTTP Basic (the connection decides, see RequestContext);
// anyone else gets 401 (with a challenge) when admins exist, else 403.
// Stateless; callable from any worker.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <string>

#include "server/core/services.hpp"

namespace server::http {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;

struct RequestContext {
    bool tls = false;
    bool operator_allowed = false;  // may read /metrics and /status
};

// The response to a request that is not a WebSocket upgrade.
Response answer(Services& services, const Request& request, const RequestContext& context);

// True for the paths only operators may read.
bool is_operator_path(std::string_view target);

// A complete response with `status` and a short text body.
Response plain_response(boost::beast::http::status status, unsigned version, std::string text);

inline constexpr std::string_view kWebSocketPath = "/xmpp-websocket";
inline constexpr std::string_view kServerName = "xmqd";

}  // namespace server::http
