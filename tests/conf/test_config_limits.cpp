// The hardening keys: connection, session, rate and SASL-failure limits and
// the XMQ subscription bound — defaults, loading, and file:line errors.
#include <doctest/doctest.h>

#include "load_helpers.hpp"

using conf_test::load_ok;
using conf_test::single_error;

TEST_CASE("hardening limits have safe defaults") {
    const conf::Config c = conf::default_config();
    CHECK(c.limits.max_connections_per_ip == 100);
    CHECK(c.limits.max_sessions_per_account == 100);
    CHECK(c.limits.max_offline_messages == 100);
    CHECK(c.limits.inbound_rate == 1024 * 1024);
    CHECK(c.limits.inbound_burst == 1024 * 1024);
    CHECK(c.auth.failure_delay_ms == 250);
    CHECK(c.auth.max_failure_delay_ms == 10000);
    CHECK(c.auth.failure_window == std::chrono::seconds(600));
    CHECK(c.xmq.max_subscriptions_per_client == 1000);
}

TEST_CASE("hardening limits load from the file") {
    const conf::Config c = load_ok(R"(
[auth]
failure_delay_ms = 0
max_failure_delay_ms = 0
failure_window = 60
[limits]
max_connections_per_ip = 0
max_sessions_per_account = 3
max_offline_messages = 0
inbound_rate = 2048
inbound_burst = 8192
[xmq]
max_subscriptions_per_client = 2
)");
    CHECK(c.auth.failure_delay_ms == 0);
    CHECK(c.auth.max_failure_delay_ms == 0);
    CHECK(c.auth.failure_window == std::chrono::seconds(60));
    CHECK(c.limits.max_connections_per_ip == 0);
    CHECK(c.limits.max_sessions_per_account == 3);
    CHECK(c.limits.max_offline_messages == 0);
    CHECK(c.limits.inbound_rate == 2048);
    CHECK(c.limits.inbound_burst == 8192);
    CHECK(c.xmq.max_subscriptions_per_client == 2);
    CHECK(load_ok("[limits]\ninbound_rate = 0\n").limits.inbound_rate == 0);
}

TEST_CASE("bad hardening limits name their line and key") {
    single_error("[limits]\nmax_sessions_per_account = 0\n", 2, "limits.max_sessions_per_account");
    single_error("[limits]\n\ninbound_rate = 10\n", 3, "limits.inbound_rate", "at least 1024");
    single_error("[limits]\ninbound_burst = 100\n", 2, "limits.inbound_burst");
    single_error("[limits]\nmax_connections_per_ip = -1\n", 2, "limits.max_connections_per_ip");
    single_error("[limits]\nmax_offline_messages = 1000001\n", 2, "limits.max_offline_messages");
    single_error("[auth]\nfailure_delay_ms = 500\nmax_failure_delay_ms = 100\n", 3,
                 "auth.max_failure_delay_ms", "at least auth.failure_delay_ms");
    single_error("[auth]\nfailure_window = 0\n", 2, "auth.failure_window");
    single_error("[xmq]\nmax_subscriptions_per_client = 0\n", 2, "xmq.max_subscriptions_per_client");
}

TEST_CASE("roster limits: defaults, loading, and errors") {
    const conf::Config d = conf::default_config();
    CHECK(d.limits.max_roster_items == 2000);
    CHECK(d.limits.max_roster_item_name_bytes == 1024);
    CHECK(d.limits.max_roster_item_groups == 64);
    CHECK(d.limits.max_roster_group_name_bytes == 1024);

    const conf::Config c = load_ok(R"(
[limits]
max_roster_items = 3
max_roster_item_name_bytes = 10
max_roster_item_groups = 2
max_roster_group_name_bytes = 5
)");
    CHECK(c.limits.max_roster_items == 3);
    CHECK(c.limits.max_roster_item_name_bytes == 10);
    CHECK(c.limits.max_roster_item_groups == 2);
    CHECK(c.limits.max_roster_group_name_bytes == 5);

    single_error("[limits]\nmax_roster_items = 0\n", 2, "limits.max_roster_items");
    single_error("[limits]\nmax_roster_items = 1000001\n", 2, "limits.max_roster_items");
    single_error("[limits]\n\nmax_roster_item_name_bytes = 0\n", 3, "limits.max_roster_item_name_bytes");
    single_error("[limits]\nmax_roster_item_groups = 10001\n", 2, "limits.max_roster_item_groups");
    single_error("[limits]\nmax_roster_group_name_bytes = \"big\"\n", 2, "limits.max_roster_group_name_bytes");
}
