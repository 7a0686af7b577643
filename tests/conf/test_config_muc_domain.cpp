// hosts[i].muc_domain: the domain of a host's group chat service (module
// muc): conference.<domain> unless set, none when set to "", and a bad,
// served or duplicate domain named by file, line and key.
#include <doctest/doctest.h>

#include "conf/config.hpp"
#include "load_helpers.hpp"

using conf_test::load_ok;
using conf_test::single_error;

TEST_CASE("muc_domain: unset means the default, a domain is normalised, \"\" switches it off") {
    const conf::Config c = load_ok(R"([[hosts]]
domain = "example.com"

[[hosts]]
domain = "example.org"
muc_domain = "Chat.Example.ORG"

[[hosts]]
domain = "example.net"
muc_domain = ""
)");
    REQUIRE(c.hosts.size() == 3);
    CHECK_FALSE(c.hosts[0].muc_domain.has_value());
    CHECK(c.hosts[1].muc_domain == "chat.example.org");
    CHECK(c.hosts[2].muc_domain == "");
}

TEST_CASE("bad muc_domain values name file, line and key") {
    single_error("[[hosts]]\ndomain = \"localhost\"\nmuc_domain = 5\n", 3, "hosts[0].muc_domain");
    single_error("[[hosts]]\ndomain = \"localhost\"\nmuc_domain = \"a b\"\n", 3, "hosts[0].muc_domain",
                 "not a valid domain");
    single_error("[[hosts]]\ndomain = \"a.example\"\nmuc_domain = \"b.example\"\n[[hosts]]\n"
                 "domain = \"b.example\"\n",
                 3, "hosts[0].muc_domain", "is a served host");
    single_error("[[hosts]]\ndomain = \"a.example\"\nmuc_domain = \"chat.example\"\n[[hosts]]\ndomain = \"b.example\"\n"
                 "muc_domain = \"chat.example\"\n",
                 6, "hosts[1].muc_domain", "already the group chat domain of \"a.example\"");
}
