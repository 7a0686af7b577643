// XEP-0082 DateTime: written as UTC, read with any offset.
#include <doctest/doctest.h>

#include "xmpp/datetime.hpp"

using xmpp::parse_xep82;

TEST_CASE("reading XEP-0082 stamps") {
    CHECK(parse_xep82("1970-01-01T00:00:00Z") == 0);
    CHECK(parse_xep82("2026-11-21T09:11:03.095187Z") == parse_xep82("2026-11-21T09:11:03Z"));
    CHECK(parse_xep82("2026-11-21T10:11:03+01:00") == parse_xep82("2026-11-21T09:11:03Z"));
    CHECK(parse_xep82("2026-11-21T09:11:03-00:30") == *parse_xep82("2026-11-21T09:11:03Z") + 1800);
    CHECK_FALSE(parse_xep82("2026-11-21 09:11:03Z"));
    CHECK_FALSE(parse_xep82("2026-11-21T09:11:03"));
    CHECK_FALSE(parse_xep82("2026-13-21T09:11:03Z"));
    CHECK_FALSE(parse_xep82("2026-11-21T09:11:03Zjunk"));
    CHECK_FALSE(parse_xep82(""));
}


TEST_CASE("writing XEP-0082 stamps in UTC, read back the same") {
    CHECK(xmpp::xep82_datetime(0) == "1970-01-01T00:00:00Z");
    CHECK(xmpp::xep82_datetime(1795252263) == "2026-11-21T09:11:03Z");
    CHECK(parse_xep82(xmpp::xep82_datetime(1795252263)) == 1795252263);
    const auto t = std::chrono::system_clock::time_point(std::chrono::milliseconds(1795252263095));
    CHECK(xmpp::xep82_datetime_ms(t) == "2026-11-21T09:11:03.095Z");
}
