// The [http] section and the http/https listener kinds (issue 5).
#include <doctest/doctest.h>

#include "conf/config.hpp"
#include "load_helpers.hpp"

using namespace conf;
using conf_test::load_ok;
using conf_test::single_error;

TEST_CASE("http and https listeners and the [http] section load") {
    const Config c = load_ok(R"([[listeners]]
kind = "http"
address = "127.0.0.1"
port = 5280

[[listeners]]
kind = "https"
port = 5443

[http]
plain_websocket = "never"
origins = ["https://chat.example.com", "http://localhost:8080"]
websocket_idle_timeout = 30
request_timeout = 5
operator_loopback = false
admins = ["Admin@Example.COM"]
)");
    REQUIRE(c.listeners.size() == 2);
    CHECK(c.listeners[0] == ListenerConfig{ListenerKind::http, "127.0.0.1", 5280});
    CHECK(c.listeners[1] == ListenerConfig{ListenerKind::https, "::", 5443});
    CHECK(c.http.plain_websocket == PlainWebSocket::never);
    CHECK(c.http.origins == std::vector<std::string>{"https://chat.example.com", "http://localhost:8080"});
    CHECK(c.http.websocket_idle_timeout == std::chrono::seconds(30));
    CHECK(c.http.request_timeout == std::chrono::seconds(5));
    CHECK_FALSE(c.http.operator_loopback);
    CHECK(c.http.admins == std::vector<std::string>{"admin@example.com"});
    CHECK(default_config().http.operator_loopback);
    CHECK(default_config().http.admins.empty());
}

TEST_CASE("bad [http] values name their line and key") {
    single_error("[http]\nplain_websocket = \"sometimes\"\n", 2, "http.plain_websocket", "must be one of");
    single_error("[http]\norigins = [\"chat.example.com\"]\n", 2, "http.origins[0]", "is not an origin");
    single_error("[http]\norigins = [\"https://a.example/path\"]\n", 2, "http.origins[0]", "is not an origin");
    single_error("[http]\nwebsocket_idle_timeout = 5\n", 2, "http.websocket_idle_timeout");
    single_error("[http]\nrequest_timeout = 0\n", 2, "http.request_timeout");
    single_error("[http]\nmax_body = 5\n", 2, "http.max_body");
    single_error("[http]\nadmins = [\"example.com\"]\n", 2, "http.admins[0]", "is not a bare JID");
    single_error("[http]\nadmins = [\"a@example.com/res\"]\n", 2, "http.admins[0]", "is not a bare JID");
    single_error("[http]\noperator_loopback = \"yes\"\n", 2, "http.operator_loopback");
}

TEST_CASE("http.upload_url: a base URL for the upload links, or a line:key error") {
    CHECK(load_ok("[http]\nupload_url = \"https://xmpp.example.org/files\"\n").http.upload_url ==
          "https://xmpp.example.org/files");
    CHECK(load_ok("[http]\nupload_url = \"http://127.0.0.1:8080\"\n").http.upload_url == "http://127.0.0.1:8080");
    CHECK(default_config().http.upload_url.empty());
    for (const char* bad : {"xmpp.example.org", "https://", "https:///x", "https://a.example/", "https://a.example?x",
                            "ftp://a.example"})
        single_error(std::string("[http]\nupload_url = \"") + bad + "\"\n", 2, "http.upload_url", "is not a base URL");
}
