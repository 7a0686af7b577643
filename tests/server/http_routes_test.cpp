// The HTTP listener's plain resources: operator pages for loopback clients
// only, host-meta per listener scheme, the dashboard embedded in the binary.
#include <doctest/doctest.h>

#include "server/http/http_routes.hpp"
#include "server/core/services.hpp"

namespace bhttp = boost::beast::http;
using server::http::answer;
using server::http::Request;
using server::http::RequestContext;

namespace {
Request get(std::string target) {
    Request req{bhttp::verb::get, target, 11};
    req.set(bhttp::field::host, "chat.example.com");
    return req;
}

server::Services& services() {
    static server::Services s;
    static bool init = [] {
        s.config.store(std::make_shared<const conf::Config>(conf::default_config()));
        return true;
    }();
    (void)init;
    return s;
}
}  // namespace

TEST_CASE("/metrics and /status answer operators only") {
    for (const char* path : {"/metrics", "/status", "/status/data.json", "/status/status.js"}) {
        CAPTURE(path);
        CHECK(answer(services(), get(path), RequestContext{false, false}).result() == bhttp::status::forbidden);
        CHECK(answer(services(), get(path), RequestContext{true, true}).result() == bhttp::status::ok);
    }
}

TEST_CASE("the dashboard and uPlot are served from the binary") {
    auto page = answer(services(), get("/status"), RequestContext{false, true});
    CHECK(page[bhttp::field::content_type] == "text/html; charset=utf-8");
    CHECK(page.body().find("/status/uPlot.iife.min.js") != std::string::npos);
    auto lib = answer(services(), get("/status/uPlot.iife.min.js"), RequestContext{false, true});
    CHECK(lib.result() == bhttp::status::ok);
    CHECK(lib.body().find("uPlot") != std::string::npos);
    CHECK(answer(services(), get("/status/nothing.js"), RequestContext{false, true}).result() ==
          bhttp::status::not_found);
}

TEST_CASE("host-meta gives ws:// on http and wss:// on https, for the Host asked") {
    auto plain = answer(services(), get("/.well-known/host-meta.json"), RequestContext{false, false});
    CHECK(plain.body().find("\"ws://chat.example.com/xmpp-websocket\"") != std::string::npos);
    auto tls = answer(services(), get("/.well-known/host-meta"), RequestContext{true, false});
    CHECK(tls.body().find("href='wss://chat.example.com/xmpp-websocket'") != std::string::npos);
    Request odd = get("/.well-known/host-meta.json");
    odd.set(bhttp::field::host, "evil\"><script>");
    auto fallback = answer(services(), odd, RequestContext{true, false});
    CHECK(fallback.body().find("wss://localhost/xmpp-websocket") != std::string::npos);
}

TEST_CASE("HEAD has the GET length and no body; other methods get 405") {
    Request head = get("/.well-known/host-meta");
    head.method(bhttp::verb::head);
    auto res = answer(services(), head, RequestContext{false, false});
    CHECK(res.result() == bhttp::status::ok);
    CHECK(res.body().empty());
    CHECK(res[bhttp::field::content_length] != "0");
    Request post = get("/metrics");
    post.method(bhttp::verb::post);
    CHECK(answer(services(), post, RequestContext{false, true}).result() == bhttp::status::method_not_allowed);
}
