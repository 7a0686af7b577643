#include "server/admin/queue_table.hpp"

#include <algorithm>
#include <array>

namespace server {

std::string queue_table(const std::vector<xmq::QueueStats>& queues) {
    if (queues.empty()) return "no queues configured";
    constexpr std::size_t kColumns = 11;
    using Row = std::array<std::string, kColumns>;
    std::vector<Row> rows{{"route", "type", "consumers", "topics", "held", "unacked", "published", "delivered",
                           "redelivered", "dead_lettered", "expired"}};
    for (const auto& q : queues) {
        auto n = [](auto value) { return std::to_string(value); };
        std::string type = q.type == conf::QueueType::any ? "any" : "all";
        if (q.durable) type += ",durable";
        rows.push_back({q.route, std::move(type), n(q.consumers), n(q.topics), n(q.held), n(q.unacked), n(q.published),
                        n(q.delivered), n(q.redelivered), n(q.dead_lettered), n(q.held_expired)});
    }
    std::array<std::size_t, kColumns> width{};
    for (const auto& row : rows)
        for (std::size_t c = 0; c < kColumns; ++c) width[c] = std::max(width[c], row[c].size());
    std::string out;
    for (const auto& row : rows) {
        if (!out.empty()) out += '\n';
        std::string line;
        for (std::size_t c = 0; c < kColumns; ++c) {
            // The route left-aligned, the counts right-aligned.
            const std::string pad(width[c] - row[c].size(), ' ');
            line += c == 0 ? row[c] + pad : "  " + pad + row[c];
        }
        out += line.substr(0, line.find_last_not_of(' ') + 1);
    }
    return out;
}

}  // namespace server
