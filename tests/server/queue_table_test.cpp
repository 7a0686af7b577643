// The operator's queue table (server/admin/queue_table.hpp): a header, one
// aligned row per queue with the reliable-queue counts, a sentence for none.
#include <doctest/doctest.h>

#include <sstream>

#include "server/admin/queue_table.hpp"

namespace queue_table_test {

std::vector<std::vector<std::string>> cells(const std::string& table) {
    std::vector<std::vector<std::string>> rows;
    std::istringstream lines(table);
    for (std::string line; std::getline(lines, line);) {
        std::istringstream words(line);
        rows.emplace_back();
        for (std::string w; words >> w;) rows.back().push_back(w);
    }
    return rows;
}

TEST_CASE("queue table: a row per queue with its counts under the header's names") {
    xmq::QueueStats jobs;
    jobs.route = "jobs.localhost";
    jobs.type = conf::QueueType::any;
    jobs.durable = true;
    jobs.consumers = 3;
    jobs.topics = 2;
    jobs.held = 17;
    jobs.unacked = 4;
    jobs.published = 1200;
    jobs.delivered = 1190;
    jobs.redelivered = 5;
    jobs.dead_lettered = 1;
    jobs.held_expired = 2;
    xmq::QueueStats feed;
    feed.route = "feed.localhost";
    feed.type = conf::QueueType::all;

    const std::string table = server::queue_table({jobs, feed});
    const auto rows = cells(table);
    REQUIRE(rows.size() == 3);
    CHECK(rows[0] == std::vector<std::string>{"route", "type", "consumers", "topics", "held", "unacked", "published",
                                              "delivered", "redelivered", "dead_lettered", "expired"});
    CHECK(rows[1] ==
          std::vector<std::string>{"jobs.localhost", "any,durable", "3", "2", "17", "4", "1200", "1190", "5", "1", "2"});
    CHECK(rows[2] == std::vector<std::string>{"feed.localhost", "all", "0", "0", "0", "0", "0", "0", "0", "0", "0"});
    // Columns line up: every line is as long as the header, less trailing blanks.
    std::istringstream lines(table);
    std::string header, first;
    std::getline(lines, header);
    std::getline(lines, first);
    CHECK(first.size() == header.size());
}

TEST_CASE("queue table: no queue is a sentence, not an empty table") {
    CHECK(server::queue_table({}) == "no queues configured");
}

}  // namespace queue_table_test
