// Loading valid configurations: defaults, a full file, normalisation, the
// demo queues. (The example shipped in packaging/ is loaded with the
// server's own modules: tests/server/modules/catalog_test.cpp.)
#include <doctest/doctest.h>

#include <cstdio>
#include <string>

#include "conf/config.hpp"
#include "load_helpers.hpp"

using namespace conf;
using conf_test::load_ok;

TEST_CASE("default_config holds the documented defaults") {
    const Config c = default_config();
    CHECK(c.source == "<defaults>");
    REQUIRE(c.hosts.size() == 1);
    CHECK(c.hosts[0].domain == "localhost");
    CHECK(c.data_dir == "data");
    CHECK(c.workers == 0);

    REQUIRE(c.listeners.size() == 4);
    CHECK(c.listeners[0] == ListenerConfig{ListenerKind::c2s, "::", 5222});
    CHECK(c.listeners[1] == ListenerConfig{ListenerKind::c2s_tls, "::", 5223});
    CHECK(c.listeners[2] == ListenerConfig{ListenerKind::http, "127.0.0.1", 5280});
    CHECK(c.listeners[3] == ListenerConfig{ListenerKind::https, "::", 5443});
    CHECK(c.http.plain_websocket == PlainWebSocket::loopback);
    CHECK(c.http.origins.empty());
    CHECK(c.http.websocket_idle_timeout == std::chrono::seconds(60));
    CHECK(c.http.request_timeout == std::chrono::seconds(10));

    CHECK(c.tls.certificate.empty());
    CHECK(c.tls.key.empty());
    CHECK(c.tls.ciphers.find("ECDHE-ECDSA-AES128-GCM-SHA256") == 0);
    CHECK(c.tls.ciphers.find("CBC") == std::string::npos);
    CHECK(c.tls.ciphersuites ==
          "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256");

    CHECK(c.auth.require_tls);
    CHECK(c.auth.allow_plain);
    CHECK(c.auth.allow_scram_sha256);
    CHECK(c.auth.max_failures == 3);
    CHECK(c.auth.scram_iterations == 4096);

    CHECK(c.limits.max_stanza_bytes == 262144);
    CHECK(c.limits.max_depth == 64);
    CHECK(c.limits.max_attributes == 64);
    CHECK(c.limits.idle_timeout == std::chrono::seconds(600));
    CHECK(c.limits.preauth_timeout == std::chrono::seconds(60));
    CHECK(c.limits.max_output_bytes == 4194304);

    CHECK(c.log.level == LogLevel::info);

    CHECK(c.xmq.check_expires_time == 10);
    CHECK(c.xmq.max_load == 90);
    REQUIRE(c.xmq.queues.size() == 2);
    QueueConfig first;  // an ANY queue, round robin, everything else at its default
    first.route = "queue1.localhost";
    CHECK(c.xmq.queues[0] == first);
    CHECK(c.xmq.queues[1].route == "queue2.localhost");
    CHECK(c.xmq.queues[1].type == QueueType::all);
}

TEST_CASE("an empty file equals the defaults") {
    Config c = load_ok("", "empty.toml");
    CHECK(c.source == "empty.toml");
    c.source = default_config().source;
    CHECK(c == default_config());

    Config only_comments = load_ok("# nothing here\n\n");
    only_comments.source = default_config().source;
    CHECK(only_comments == default_config());
}

TEST_CASE("a full file sets every key") {
    const Config c = load_ok(R"(
data_dir = "/var/lib/xmqd"
workers = 8

[[hosts]]
domain = "example.org"
[[hosts]]
domain = "chat.example.net"

[[listeners]]
kind = "c2s"
address = "127.0.0.1"
port = 15222
[[listeners]]
kind = "c2s_tls"
address = "::1"
port = 15223
[[listeners]]
port = 15224

[tls]
certificate = "/etc/xmqd/cert.pem"
key = "/etc/xmqd/key.pem"
ciphers = "ECDHE-RSA-AES128-GCM-SHA256"
ciphersuites = "TLS_AES_256_GCM_SHA384"

[auth]
require_tls = false
allow_plain = false
allow_scram_sha256 = false
max_failures = 5
scram_iterations = 10000

[limits]
max_stanza_bytes = 65536
max_depth = 32
max_attributes = 16
idle_timeout = 300
preauth_timeout = 20
max_output_bytes = 1048576

[log]
level = "debug"

[xmq]
check_expires_time = 50
max_load = 80

[[xmq.queues]]
route = "jobs.example.org"
type = "any"
balance = "least-load"
publish = ["*@example.org", "svc@chat.example.net"]
subscribe = ["example.org"]

[[xmq.queues]]
route = "events.chat.example.net"
type = "all"
)");
    CHECK(c.data_dir == "/var/lib/xmqd");
    CHECK(c.workers == 8);
    REQUIRE(c.hosts.size() == 2);
    CHECK(c.hosts[0].domain == "example.org");
    CHECK(c.hosts[1].domain == "chat.example.net");

    REQUIRE(c.listeners.size() == 3);
    CHECK(c.listeners[0] == ListenerConfig{ListenerKind::c2s, "127.0.0.1", 15222});
    CHECK(c.listeners[1] == ListenerConfig{ListenerKind::c2s_tls, "::1", 15223});
    CHECK(c.listeners[2] == ListenerConfig{ListenerKind::c2s, "::", 15224});

    CHECK(c.tls.certificate == "/etc/xmqd/cert.pem");
    CHECK(c.tls.key == "/etc/xmqd/key.pem");
    CHECK(c.tls.ciphers == "ECDHE-RSA-AES128-GCM-SHA256");
    CHECK(c.tls.ciphersuites == "TLS_AES_256_GCM_SHA384");

    CHECK_FALSE(c.auth.require_tls);
    CHECK_FALSE(c.auth.allow_plain);
    CHECK_FALSE(c.auth.allow_scram_sha256);
    CHECK(c.auth.max_failures == 5);
    CHECK(c.auth.scram_iterations == 10000);

    CHECK(c.limits.max_stanza_bytes == 65536);
    CHECK(c.limits.max_depth == 32);
    CHECK(c.limits.max_attributes == 16);
    CHECK(c.limits.idle_timeout == std::chrono::seconds(300));
    CHECK(c.limits.preauth_timeout == std::chrono::seconds(20));
    CHECK(c.limits.max_output_bytes == 1048576);

    CHECK(c.log.level == LogLevel::debug);

    CHECK(c.xmq.check_expires_time == 50);
    CHECK(c.xmq.max_load == 80);
    REQUIRE(c.xmq.queues.size() == 2);
    const QueueConfig& jobs = c.xmq.queues[0];
    CHECK(jobs.route == "jobs.example.org");
    CHECK(jobs.type == QueueType::any);
    CHECK(jobs.balance == Balance::least_load);
    CHECK(jobs.publish == std::vector<std::string>{"*@example.org", "svc@chat.example.net"});
    CHECK(jobs.subscribe == std::vector<std::string>{"example.org"});
    const QueueConfig& events = c.xmq.queues[1];
    CHECK(events.route == "events.chat.example.net");
    CHECK(events.type == QueueType::all);
    CHECK(events.balance == Balance::round_robin);
    CHECK(events.publish.empty());
    CHECK(events.subscribe.empty());

    CHECK(c.serves_host("example.org"));
    CHECK(c.serves_host("chat.example.net"));
    CHECK_FALSE(c.serves_host("localhost"));
    CHECK_FALSE(c.serves_host("jobs.example.org"));
}

TEST_CASE("inline tables and dotted keys are the same document") {
    const Config c = load_ok(R"(
tls = { certificate = "c.pem", key = "k.pem" }
log.level = "error"
xmq.queues = [ { route = "q.localhost", type = "all" } ]
)");
    CHECK(c.tls.certificate == "c.pem");
    CHECK(c.log.level == LogLevel::error);
    REQUIRE(c.xmq.queues.size() == 1);
    CHECK(c.xmq.queues[0].route == "q.localhost");
    CHECK(c.xmq.queues[0].type == QueueType::all);
}

TEST_CASE("hosts, routes and patterns are normalised") {
    const Config c = load_ok(R"(
[[hosts]]
domain = "Example.ORG"

[[listeners]]
address = "0:0:0:0:0:0:0:1"
port = 5222

[[xmq.queues]]
route = "QUEUE1.Example.Org"
publish = ["*@EXAMPLE.org", "Alice@Example.org", "Example.Org."]
)");
    REQUIRE(c.hosts.size() == 1);
    CHECK(c.hosts[0].domain == "example.org");
    CHECK(c.listeners[0].address == "::1");
    REQUIRE(c.xmq.queues.size() == 1);
    CHECK(c.xmq.queues[0].route == "queue1.example.org");
    CHECK(c.xmq.queues[0].publish ==
          std::vector<std::string>{"*@example.org", "alice@example.org", "example.org"});
}

TEST_CASE("queues = [] serves no queue") {
    const Config c = load_ok("[xmq]\nqueues = []\n");
    CHECK(c.xmq.queues.empty());
}

TEST_CASE("without xmq.queues the demo queues live under the first host") {
    const char* hosts = R"(
[[hosts]]
domain = "example.org"
[[hosts]]
domain = "localhost"
)";
    SUBCASE("no [xmq] table") {
        const Config c = load_ok(hosts);
        REQUIRE(c.xmq.queues.size() == 2);
        CHECK(c.xmq.queues[0].route == "queue1.example.org");
        CHECK(c.xmq.queues[0].type == QueueType::any);
        CHECK(c.xmq.queues[0].balance == Balance::round_robin);
        CHECK(c.xmq.queues[1].route == "queue2.example.org");
        CHECK(c.xmq.queues[1].type == QueueType::all);
    }
    SUBCASE("[xmq] without queues") {
        const Config c = load_ok(std::string(hosts) + "[xmq]\nmax_load = 50\n");
        CHECK(c.xmq.max_load == 50);
        REQUIRE(c.xmq.queues.size() == 2);
        CHECK(c.xmq.queues[0].route == "queue1.example.org");
        CHECK(c.xmq.queues[1].route == "queue2.example.org");
    }
}

TEST_CASE("listeners given in the file replace the default ones") {
    const Config c = load_ok("[[listeners]]\nkind = \"c2s_tls\"\nport = 443\n");
    REQUIRE(c.listeners.size() == 1);
    CHECK(c.listeners[0] == ListenerConfig{ListenerKind::c2s_tls, "::", 443});
}

TEST_CASE("range limits themselves are accepted") {
    const Config c = load_ok(R"(
workers = 256
[auth]
max_failures = 100
scram_iterations = 1000000
[limits]
max_stanza_bytes = 1024
max_output_bytes = 1073741824
[xmq]
check_expires_time = 1
max_load = 0
)");
    CHECK(c.workers == 256);
    CHECK(c.auth.scram_iterations == 1000000);
    CHECK(c.limits.max_stanza_bytes == 1024);
    CHECK(c.limits.max_output_bytes == 1073741824);
    CHECK(c.xmq.check_expires_time == 1);
    CHECK(c.xmq.max_load == 0);
}

TEST_CASE("load_config_file reads a file and names it") {
    const std::string path = std::string(XMQD_TEST_BUILD_DIR) + "/conf_test_ok.toml";
    {
        std::FILE* f = std::fopen(path.c_str(), "w");
        REQUIRE(f != nullptr);
        std::fputs("workers = 2\n[tls]\nbogus = 1\n", f);
        std::fclose(f);
    }
    ConfigResult r = load_config_file(path, conf_test::catalog());
    REQUIRE_FALSE(r.ok());
    REQUIRE(r.error().size() == 1);
    CHECK(r.error()[0].to_string() == path + ":3:1: tls.bogus: unknown key");
    std::remove(path.c_str());
}

TEST_CASE("load_config_file on a missing file gives one error naming it") {
    const std::string path = std::string(XMQD_TEST_BUILD_DIR) + "/no/such/xmqd.toml";
    ConfigResult r = load_config_file(path, conf_test::catalog());
    REQUIRE_FALSE(r.ok());
    REQUIRE(r.error().size() == 1);
    const ConfigError& e = r.error()[0];
    CHECK(e.file == path);
    CHECK(e.line == 0);
    CHECK(e.to_string().rfind(path + ": ", 0) == 0);
    CHECK(e.message.find("No such file") != std::string::npos);

    ConfigResult dir = load_config_file(XMQD_TEST_BUILD_DIR, conf_test::catalog());
    REQUIRE_FALSE(dir.ok());
    REQUIRE(dir.error().size() == 1);
    CHECK(dir.error()[0].file == XMQD_TEST_BUILD_DIR);
}

TEST_CASE("to_string(LogLevel) gives the configuration names") {
    CHECK(to_string(LogLevel::debug) == "debug");
    CHECK(to_string(LogLevel::info) == "info");
    CHECK(to_string(LogLevel::warning) == "warning");
    CHECK(to_string(LogLevel::error) == "error");
}

TEST_CASE("ConfigError::to_string") {
    CHECK(ConfigError{"a.toml", 3, 7, "xmq.queues[1].type", "bad"}.to_string() ==
          "a.toml:3:7: xmq.queues[1].type: bad");
    CHECK(ConfigError{"a.toml", 2, 1, "", "syntax"}.to_string() == "a.toml:2:1: syntax");
    CHECK(ConfigError{"a.toml", 0, 0, "", "cannot open"}.to_string() == "a.toml: cannot open");
}

TEST_CASE("a host's own certificate, and the JSON log format") {
    const conf::Config c = conf_test::load_ok(R"([[hosts]]
domain = "a.example"
certificate = "/etc/ssl/a.crt"
key = "/etc/ssl/a.key"

[[hosts]]
domain = "b.example"

[log]
format = "json"
)");
    REQUIRE(c.hosts.size() == 2);
    CHECK(c.hosts[0].certificate == "/etc/ssl/a.crt");
    CHECK(c.hosts[0].key == "/etc/ssl/a.key");
    CHECK(c.hosts[1].certificate.empty());
    CHECK(c.log.format == conf::LogFormat::json);
    CHECK(conf::default_config().log.format == conf::LogFormat::text);
}
