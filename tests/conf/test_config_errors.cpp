// Invalid configurations: each error names the file, the line and the dotted
// key, and every error of a file is reported, not only the first.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "conf/config.hpp"
#include "load_helpers.hpp"

using namespace conf;
using conf_test::load_errors;
using conf_test::single_error;

TEST_CASE("unknown key at the top level") {
    const ConfigError e = single_error("workers = 1\n\ndatadir = \"x\"\n", 3, "datadir", "unknown key");
    CHECK(e.column == 1);
    CHECK(e.to_string() == "test.toml:3:1: datadir: unknown key");
}

TEST_CASE("unknown key in [tls]") {
    single_error(R"([tls]
certificate = ""
cipher = "x"
)", 3, "tls.cipher", "unknown key");
}

TEST_CASE("unknown key in a queue entry") {
    single_error(R"([[xmq.queues]]
route = "queue1.localhost"

[[xmq.queues]]
route = "queue2.localhost"
typ = "all"
)", 6, "xmq.queues[1].typ", "unknown key");
}

TEST_CASE("unknown keys in hosts, listeners and sections") {
    single_error("[[hosts]]\ndomain = \"localhost\"\nname = \"x\"\n", 3, "hosts[0].name");
    single_error("[[listeners]]\nport = 5222\ntls = true\n", 3, "listeners[0].tls");
    single_error("[auth]\nsasl = 1\n", 2, "auth.sasl");
    single_error("[limits]\nmax_stanza = 1\n", 2, "limits.max_stanza");
    single_error("[log]\nfile = \"x\"\n", 2, "log.file");
    single_error("[xmq]\nqueue = []\n", 2, "xmq.queue");
    single_error("[server]\n", 1, "server", "unknown key");
}

TEST_CASE("wrong types") {
    single_error("workers = \"4\"\n", 1, "workers", "expected an integer, got a string");
    single_error("\n[auth]\nrequire_tls = 1\n", 3, "auth.require_tls", "expected a boolean");
    single_error("[limits]\nidle_timeout = 1.5\n", 2, "limits.idle_timeout",
                 "got a floating-point number");
    single_error("data_dir = 5\n", 1, "data_dir", "expected a string");
    single_error("tls = \"none\"\n", 1, "tls", "expected a table");
    single_error("hosts = \"localhost\"\n", 1, "hosts", "expected an array of tables");
    single_error("hosts = [\"localhost\"]\n", 1, "hosts[0]", "expected a table");
    single_error("[[xmq.queues]]\nroute = \"q.localhost\"\npublish = \"*@localhost\"\n", 3,
                 "xmq.queues[0].publish", "expected an array of strings");
    single_error("[[xmq.queues]]\nroute = \"q.localhost\"\nsubscribe = [\"localhost\", 3]\n", 3,
                 "xmq.queues[0].subscribe[1]", "expected a string");
}

TEST_CASE("out of range") {
    const ConfigError e = single_error("[limits]\nmax_depth = 2\n", 2, "limits.max_depth",
                                       "must be between 4 and 1024 (got 2)");
    CHECK(e.column == 13);
    single_error("workers = 257\n", 1, "workers", "between 0 and 256");
    single_error("[auth]\nmax_failures = 0\n", 2, "auth.max_failures", "between 1 and 100");
    single_error("[auth]\nscram_iterations = 4095\n", 2, "auth.scram_iterations");
    single_error("[limits]\nmax_stanza_bytes = 1023\n", 2, "limits.max_stanza_bytes");
    single_error("[limits]\nmax_output_bytes = 1073741825\n", 2, "limits.max_output_bytes");
    single_error("[limits]\nidle_timeout = 9\n", 2, "limits.idle_timeout");
    single_error("[limits]\npreauth_timeout = 3601\n", 2, "limits.preauth_timeout");
    single_error("[limits]\nmax_attributes = -1\n", 2, "limits.max_attributes");
    single_error("[xmq]\ncheck_expires_time = 0\n", 2, "xmq.check_expires_time",
                 "must be at least 1 (got 0)");
    single_error("[xmq]\nmax_load = 101\n", 2, "xmq.max_load", "between 0 and 100");
    single_error("[[listeners]]\nport = 0\n", 2, "listeners[0].port", "between 1 and 65535");
    single_error("[[listeners]]\nport = 65536\n", 2, "listeners[0].port");
}

TEST_CASE("bad enum values") {
    single_error("[log]\nlevel = \"verbose\"\n", 2, "log.level",
                 "must be one of \"debug\", \"info\", \"warning\", \"error\" (got \"verbose\")");
    single_error("[[listeners]]\nkind = \"bosh\"\nport = 5280\n", 2, "listeners[0].kind",
                 "\"c2s\", \"c2s_tls\"");
    single_error("[[xmq.queues]]\nroute = \"q.localhost\"\ntype = \"ANY\"\n", 3,
                 "xmq.queues[0].type", "\"any\", \"all\"");
    single_error("[[xmq.queues]]\nroute = \"q.localhost\"\nbalance = \"random\"\n", 3,
                 "xmq.queues[0].balance", "\"round-robin\", \"least-load\"");
}

TEST_CASE("a route must be a subdomain of a served host") {
    single_error(R"([[xmq.queues]]
route = "queue1.localhost"

[[xmq.queues]]
route = "queue.other.org"
)", 5, "xmq.queues[1].route", "\"queue.other.org\" is not a subdomain of a served host");
    single_error("[[xmq.queues]]\nroute = \"localhost\"\n", 2, "xmq.queues[0].route",
                 "\"localhost\" is a served host");
    // A suffix that is not at a label boundary is not a subdomain.
    single_error("[[xmq.queues]]\nroute = \"queuelocalhost\"\n", 2, "xmq.queues[0].route",
                 "not a subdomain");
    single_error("[[xmq.queues]]\nroute = \"bad domain.localhost\"\n", 2, "xmq.queues[0].route",
                 "not a valid domain");
    single_error("[[xmq.queues]]\ntype = \"all\"\n", 1, "xmq.queues[0].route",
                 "missing required key");
}

TEST_CASE("duplicate route, after normalisation") {
    single_error(R"([[xmq.queues]]
route = "queue1.localhost"
[[xmq.queues]]
route = "Queue1.LOCALHOST"
)", 4, "xmq.queues[1].route", "duplicate route \"queue1.localhost\" (also xmq.queues[0])");
}

TEST_CASE("hosts must be valid and unique") {
    single_error("[[hosts]]\ndomain = \"localhost\"\n[[hosts]]\ndomain = \"LocalHost\"\n", 4,
                 "hosts[1].domain", "duplicate host \"localhost\"");
    single_error("[[hosts]]\ndomain = \"\"\n", 2, "hosts[0].domain", "not a valid domain");
    single_error("[[hosts]]\ndomain = \"a b\"\n", 2, "hosts[0].domain", "not a valid domain");
    single_error("\n[[hosts]]\n", 2, "hosts[0].domain", "missing required key");
    single_error("hosts = []\n", 1, "hosts", "at least one host");
}

TEST_CASE("two listeners on the same address and port") {
    single_error(R"([[listeners]]
port = 5222

[[listeners]]
kind = "c2s_tls"
address = "::0"
port = 5222
)", 7, "listeners[1].port", "listeners[0] already listens on [::]:5222");
}

TEST_CASE("listener address and required port") {
    single_error("[[listeners]]\naddress = \"localhost\"\nport = 5222\n", 2,
                 "listeners[0].address", "not an IPv4 or IPv6 address");
    single_error("[[listeners]]\nkind = \"c2s\"\n", 1, "listeners[0].port", "missing required key");
    single_error("listeners = []\n", 1, "listeners", "at least one listener");
}

TEST_CASE("certificate and key come together") {
    single_error("[tls]\ncertificate = \"/etc/cert.pem\"\n", 2, "tls.key",
                 "tls.certificate is set but tls.key is empty");
    single_error("[tls]\ncertificate = \"\"\nkey = \"/etc/key.pem\"\n", 3, "tls.certificate",
                 "tls.key is set but tls.certificate is empty");
}

TEST_CASE("every bad pattern is reported") {
    const auto errors = load_errors(R"([[xmq.queues]]
route = "q.localhost"
publish = ["*@localhost", "", "a@b@c", "user@host/res", "*"]
subscribe = ["@localhost", "ok@localhost", "*.localhost"]
)");
    REQUIRE(errors.size() == 6);
    CHECK(errors[0].key == "xmq.queues[0].publish[1]");
    CHECK(errors[1].key == "xmq.queues[0].publish[2]");
    CHECK(errors[2].key == "xmq.queues[0].publish[3]");
    CHECK(errors[3].key == "xmq.queues[0].publish[4]");
    CHECK(errors[4].key == "xmq.queues[0].subscribe[0]");
    CHECK(errors[4].line == 4);
    CHECK(errors[5].key == "xmq.queues[0].subscribe[2]");
    CHECK(errors[0].message.find("is not a JID pattern") != std::string::npos);
}

TEST_CASE("a syntax error gives its own line and column") {
    const ConfigError e = single_error("workers = 1\n[tls]\nkey = \"unterminated\n", 3, "");
    CHECK(e.column > 1);
    CHECK_FALSE(e.message.empty());
    single_error("workers = 1\nworkers = 2\n", 2, "");
}

TEST_CASE("all errors are collected, in file order") {
    const auto errors = load_errors(R"(workers = 1000
colour = "blue"

[tls]
certificate = "c.pem"

[log]
level = "loud"

[[listeners]]
port = 5222
[[listeners]]
port = 5222

[[xmq.queues]]
route = "queue.other.org"
type = "some"
)");
    REQUIRE(errors.size() == 7);
    CHECK(errors[0].key == "workers");
    CHECK(errors[0].line == 1);
    CHECK(errors[1].key == "colour");
    CHECK(errors[1].line == 2);
    CHECK(errors[2].key == "tls.key");
    CHECK(errors[2].line == 5);
    CHECK(errors[3].key == "log.level");
    CHECK(errors[3].line == 8);
    CHECK(errors[4].key == "listeners[1].port");
    CHECK(errors[4].line == 13);
    CHECK(errors[5].key == "xmq.queues[0].route");
    CHECK(errors[5].line == 16);
    CHECK(errors[6].key == "xmq.queues[0].type");
    CHECK(errors[6].line == 17);
    for (const ConfigError& e : errors) CHECK(e.file == "test.toml");
}

TEST_CASE("a host's certificate and key: both or neither") {
    single_error("[[hosts]]\ndomain = \"a.example\"\ncertificate = \"a.crt\"\n", 3, "hosts[0].key",
                 "set both or neither");
    single_error("[[hosts]]\ndomain = \"a.example\"\nkey = \"a.key\"\n", 3, "hosts[0].certificate",
                 "set both or neither");
}

TEST_CASE("[log] format is text or json") {
    single_error("[log]\nformat = \"xml\"\n", 2, "log.format", "must be one of");
}
