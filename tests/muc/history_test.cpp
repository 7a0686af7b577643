// The bounded discussion history (muc/history.hpp).
#include <doctest/doctest.h>

#include "muc/history.hpp"

namespace muc_test {

muc::HistoryEntry entry(std::int64_t stamp, std::size_t chars) {
    xmpp::Element message("message", "jabber:client");
    message.set_attr("id", std::to_string(stamp));
    return {message, stamp, chars};
}

std::vector<std::int64_t> stamps(const std::vector<const muc::HistoryEntry*>& entries) {
    std::vector<std::int64_t> out;
    for (const auto* e : entries) out.push_back(e->stamp);
    return out;
}

TEST_CASE("history: keeps at most its bound, oldest dropped first; the room's fetch limit caps a join") {
    muc::History history(3);
    for (int i = 1; i <= 5; ++i) history.add(entry(i, 10));
    CHECK(history.size() == 3);
    CHECK(stamps(history.select({}, 10, 50)) == std::vector<std::int64_t>{3, 4, 5});
    CHECK(stamps(history.select({}, 10, 2)) == std::vector<std::int64_t>{4, 5});
    history.set_max(1);
    CHECK(stamps(history.select({}, 10, 50)) == std::vector<std::int64_t>{5});
}

TEST_CASE("history: maxchars counts whole stanzas; every given limit applies") {
    muc::History history(10);
    for (int i = 1; i <= 4; ++i) history.add(entry(i * 10, 100));
    muc::HistoryRequest chars;
    chars.max_chars = 250;
    CHECK(stamps(history.select(chars, 50, 10)) == std::vector<std::int64_t>{30, 40});
    muc::HistoryRequest both;
    both.max_stanzas = 3;
    both.seconds = 25;  // since 25: 30, 40
    CHECK(stamps(history.select(both, 50, 10)) == std::vector<std::int64_t>{30, 40});
    muc::HistoryRequest since;
    since.since = 20;
    CHECK(stamps(history.select(since, 50, 10)) == std::vector<std::int64_t>{20, 30, 40});
}

}  // namespace muc_test
