#include "server/http/http_routes.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/beast/version.hpp>

#include "server/core/metrics.hpp"
#include "server/core/module_host.hpp"
#include "server/http/status_page.hpp"
#include "server/modules/http_upload_service.hpp"
#include "server/router/component_table.hpp"
#include "server/router/remote_servers.hpp"
#include "server/router/session_manager.hpp"

namespace server::http {

namespace bhttp = boost::beast::http;

namespace {

constexpr std::string_view kWebSocketRel = "urn:xmpp:alt-connections:websocket";

// The Host the client asked for, when it is a plausible host[:port]; else the
// first served domain.
std::string request_host(const Request& req, Services& services) {
    const std::string_view host = req[bhttp::field::host];
    const bool plausible = !host.empty() && host.size() <= 255 &&
                           host.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") ==
                               std::string_view::npos;
    return plausible ? std::string(host) : services.current_config()->hosts.front().domain;
}

Response make(bhttp::status status, unsigned version, std::string_view type, std::string body) {
    Response res{status, version};
    res.set(bhttp::field::server, kServerName);
    res.set(bhttp::field::content_type, type);
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
}

// XEP-0156 §3: host-meta (XRD) and host-meta.json (JRD) name the WebSocket
// endpoint of the listener that was asked, with the scheme it speaks.
Response host_meta(Services& services, const Request& req, const RequestContext& ctx, bool json) {
    const std::string url = std::string(ctx.tls ? "wss://" : "ws://") + request_host(req, services) +
                            std::string(kWebSocketPath);
    std::string body;
    if (json) {
        body = "{\"links\":[{\"rel\":\"" + std::string(kWebSocketRel) + "\",\"href\":\"" + url + "\"}]}\n";
    } else {
        body = "<?xml version='1.0' encoding='utf-8'?>\n"
               "<XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'>\n"
               "  <Link rel='" + std::string(kWebSocketRel) + "' href='" + url + "'/>\n"
               "</XRD>\n";
    }
    auto res = make(bhttp::status::ok, req.version(), json ? "application/json" : "application/xrd+xml",
                    std::move(body));
    // Web clients on other origins read it (XEP-0156 §3.2).
    res.set(bhttp::field::access_control_allow_origin, "*");
    return res;
}

metrics::Gauges gauges(const Services& services) {
    metrics::Gauges g;
    g.sessions_bound = services.sessions ? services.sessions->size() : 0;
    if (services.xmq) g.queues = services.xmq->stats();
    if (services.components) g.components = services.components->domains();
    if (services.remote) g.s2s_domains = services.remote->remote_domains();
    if (auto upload = services.modules ? services.modules->find_shared<upload::UploadService>() : nullptr) {
        const auto usage = upload->files().usage();
        g.upload_files = usage.files;
        g.upload_stored_bytes = usage.bytes;
    }
    return g;
}

}  // namespace

Response plain_response(bhttp::status status, unsigned version, std::string text) {
    return make(status, version, "text/plain; charset=utf-8", std::move(text) + "\n");
}

bool is_operator_path(std::string_view target) {
    const std::string_view path = target.substr(0, target.find('?'));
    return path == "/metrics" || path == "/status" || path.starts_with("/status/");
}

Response answer(Services& services, const Request& req, const RequestContext& ctx) {
    const std::string_view target = req.target();
    const std::string_view path = target.substr(0, target.find('?'));
    const bool head = req.method() == bhttp::verb::head;
    Response res;
    if (req.method() != bhttp::verb::get && !head) {
        res = plain_response(bhttp::status::method_not_allowed, req.version(), "Only GET and HEAD");
        res.set(bhttp::field::allow, "GET, HEAD");
    } else if (path == "/.well-known/host-meta") {
        res = host_meta(services, req, ctx, false);
    } else if (path == "/.well-known/host-meta.json") {
        res = host_meta(services, req, ctx, true);
    } else if (path == kWebSocketPath) {
        res = plain_response(bhttp::status::upgrade_required, req.version(),
                             "XMPP over WebSocket (RFC 7395): upgrade with subprotocol xmpp");
        res.set(bhttp::field::upgrade, "websocket");
        res.set(bhttp::field::sec_websocket_protocol, "xmpp");
    } else if (is_operator_path(path)) {
        if (!ctx.operator_allowed && !services.current_config()->http.admins.empty()) {
            res = plain_response(bhttp::status::unauthorized, req.version(), "Operators only: log in as an admin");
            res.set(bhttp::field::www_authenticate, "Basic realm=\"xmqd\", charset=\"UTF-8\"");
        } else if (!ctx.operator_allowed) {
            res = plain_response(bhttp::status::forbidden, req.version(), "Operators only");
        } else if (path == "/metrics") {
            res = make(bhttp::status::ok, req.version(), "text/plain; version=0.0.4; charset=utf-8",
                       metrics::prometheus_text(gauges(services)));
            res.set(bhttp::field::cache_control, "no-store");
        } else if (auto page = status_resource(path)) {
            res = make(bhttp::status::ok, req.version(), page->content_type, std::string(page->body));
        } else if (path == "/status/data.json") {
            res = make(bhttp::status::ok, req.version(), "application/json", metrics::status_json(gauges(services)));
            res.set(bhttp::field::cache_control, "no-store");
        } else {
            res = plain_response(bhttp::status::not_found, req.version(), "Not found");
        }
    } else {
        res = plain_response(bhttp::status::not_found, req.version(), "Not found");
    }
    res.keep_alive(req.keep_alive());
    if (head) {
        const auto length = res.body().size();
        res.body().clear();
        res.content_length(length);
    }
    return res;
}

}  // namespace server::http
