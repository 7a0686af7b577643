// Dialback keys (XEP-0185) and elements (XEP-0220).
#include <doctest/doctest.h>

#include "server/s2s/dialback.hpp"
#include "xmpp/namespaces.hpp"
#include "xmpp/serializer.hpp"

namespace dialback_test {
namespace {

namespace dialback = server::dialback;

TEST_CASE("the XEP-0185 key") {
    // The value of hex(HMAC-SHA256(hex(SHA-256(secret)), "example.net example.com D60000229F"))
    // as Python's hashlib and hmac compute it.
    CHECK(dialback::key("s3cr3tf0rd14lb4ck", "example.net", "example.com", "D60000229F") ==
          "008c689ff366b50c63d69a3e2d2c0e0e1f8404b0118eb688a0102c87cb691bdc");
}

TEST_CASE("a key matches only its names, stream and secret") {
    const std::string k = dialback::key("secret", "b.test", "a.test", "id1");
    CHECK(dialback::key_matches(k, "secret", "b.test", "a.test", "id1"));
    CHECK_FALSE(dialback::key_matches(k, "secret", "a.test", "b.test", "id1"));
    CHECK_FALSE(dialback::key_matches(k, "secret", "b.test", "a.test", "id2"));
    CHECK_FALSE(dialback::key_matches(k, "other", "b.test", "a.test", "id1"));
    CHECK_FALSE(dialback::key_matches(k.substr(1), "secret", "b.test", "a.test", "id1"));
    CHECK_FALSE(dialback::key_matches("", "secret", "b.test", "a.test", "id1"));
}

TEST_CASE("random ids are 32 hex digits and differ") {
    const std::string a = dialback::random_hex_id();
    CHECK(a.size() == 32);
    CHECK(a.find_first_not_of("0123456789abcdef") == std::string::npos);
    CHECK(a != dialback::random_hex_id());
}

TEST_CASE("dialback elements") {
    CHECK(xmpp::to_string(dialback::result_request("a.test", "b.test", "k")) ==
          "<result xmlns='jabber:server:dialback' from='a.test' to='b.test'>k</result>");
    CHECK(xmpp::to_string(dialback::result_answer("b.test", "a.test", false)) ==
          "<result xmlns='jabber:server:dialback' from='b.test' to='a.test' type='invalid'/>");
    CHECK(xmpp::to_string(dialback::verify_request("b.test", "a.test", "s1", "k")) ==
          "<verify xmlns='jabber:server:dialback' from='b.test' to='a.test' id='s1'>k</verify>");
    CHECK(xmpp::to_string(dialback::verify_answer("a.test", "b.test", "s1", true)) ==
          "<verify xmlns='jabber:server:dialback' from='a.test' to='b.test' id='s1' type='valid'/>");
}

TEST_CASE("on the wire, dialback elements carry the db prefix (ejabberd matches it)") {
    CHECK(dialback::to_xml(dialback::result_request("a.test", "b.test", "k&")) ==
          "<db:result xmlns:db='jabber:server:dialback' from='a.test' to='b.test'>k&amp;</db:result>");
    CHECK(dialback::to_xml(dialback::verify_answer("a.test", "b.test", "s'1", true)) ==
          "<db:verify xmlns:db='jabber:server:dialback' from='a.test' to='b.test' id='s&apos;1' type='valid'/>");
}

TEST_CASE("the s2s stream header declares jabber:server and the dialback prefix") {
    CHECK(xmpp::server_stream_header("a.test", "b.test", {}) ==
          "<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
          "xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' from='a.test' "
          "to='b.test' version='1.0'>");
}

}  // namespace
}  // namespace dialback_test
