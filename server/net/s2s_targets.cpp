#include "server/net/s2s_targets.hpp"

#include <algorithm>

namespace server {

namespace {

// RFC 2782: "a Target of '.' means that the service is decidedly not available at this domain".
bool refuses_service(const std::vector<SrvRecord>& records) {
    return records.size() == 1 && (records.front().target.empty() || records.front().target == ".");
}

struct Tagged {
    SrvRecord record;
    bool direct_tls;
};

}  // namespace

std::vector<SrvRecord> order_srv(std::vector<SrvRecord> records, const WeightDraw& draw) {
    std::stable_sort(records.begin(), records.end(),
                     [](const SrvRecord& a, const SrvRecord& b) { return a.priority < b.priority; });
    std::vector<SrvRecord> out;
    out.reserve(records.size());
    auto group = records.begin();
    while (group != records.end()) {
        auto end = std::find_if(group, records.end(),
                                [&](const SrvRecord& r) { return r.priority != group->priority; });
        std::vector<SrvRecord> left(group, end);
        // Zero weights first, so that a draw of 0 can pick them (RFC 2782).
        std::stable_partition(left.begin(), left.end(), [](const SrvRecord& r) { return r.weight == 0; });
        while (!left.empty()) {
            std::uint32_t total = 0;
            for (const SrvRecord& r : left) total += r.weight;
            const std::uint32_t pick = draw(total);
            std::uint32_t running = 0;
            std::size_t chosen = left.size() - 1;
            for (std::size_t i = 0; i < left.size(); ++i) {
                running += left[i].weight;
                if (running >= pick) {
                    chosen = i;
                    break;
                }
            }
            out.push_back(std::move(left[chosen]));
            left.erase(left.begin() + static_cast<std::ptrdiff_t>(chosen));
        }
        group = end;
    }
    return out;
}

std::vector<S2sTarget> s2s_targets(const std::string& domain, const std::vector<SrvRecord>& direct_tls,
                                   const std::vector<SrvRecord>& starttls, const WeightDraw& draw) {
    const bool no_direct = direct_tls.empty() || refuses_service(direct_tls);
    const bool no_starttls = starttls.empty() || refuses_service(starttls);
    if (no_direct && no_starttls) {
        // No usable record. Only when neither service is refused outright
        // does the domain's own address stand in (RFC 6120 §3.2.1 step 9).
        if (refuses_service(direct_tls) || refuses_service(starttls)) return {};
        return {S2sTarget{domain, 5269, false}};
    }
    // XEP-0368 §3: both services' records in one list, by priority and
    // weight; a direct TLS record ranks before a STARTTLS one of the same
    // priority (it saves a round trip).
    std::vector<Tagged> tagged;
    if (!no_direct)
        for (const SrvRecord& r : direct_tls) tagged.push_back({r, true});
    if (!no_starttls)
        for (const SrvRecord& r : starttls) tagged.push_back({r, false});
    std::vector<S2sTarget> out;
    std::stable_sort(tagged.begin(), tagged.end(), [](const Tagged& a, const Tagged& b) {
        if (a.record.priority != b.record.priority) return a.record.priority < b.record.priority;
        return a.direct_tls && !b.direct_tls;
    });
    auto group = tagged.begin();
    while (group != tagged.end()) {
        auto end = std::find_if(group, tagged.end(), [&](const Tagged& t) {
            return t.record.priority != group->record.priority || t.direct_tls != group->direct_tls;
        });
        std::vector<SrvRecord> records;
        for (auto it = group; it != end; ++it) records.push_back(it->record);
        for (SrvRecord& r : order_srv(std::move(records), draw))
            out.push_back(S2sTarget{std::move(r.target), r.port, group->direct_tls});
        group = end;
    }
    return out;
}

}  // namespace server
