// Where an outgoing s2s stream connects (RFC 6120 §3.2, RFC 2782, XEP-0368):
// SRV records ordered by priority then weight, direct TLS and STARTTLS
// records merged, the domain itself on 5269 without records, nothing when
// the service is refused with ".".
#include <doctest/doctest.h>

#include <memory>
#include <vector>

#include "server/net/s2s_targets.hpp"

namespace s2s_targets_test {
namespace {

using server::S2sTarget;
using server::SrvRecord;

// Draws from a fixed list, then 0.
server::WeightDraw draws(std::vector<std::uint32_t> values) {
    auto left = std::make_shared<std::vector<std::uint32_t>>(std::move(values));
    return [left](std::uint32_t bound) {
        if (left->empty()) return std::uint32_t{0};
        const std::uint32_t v = left->front();
        left->erase(left->begin());
        REQUIRE(v <= bound);
        return v;
    };
}

std::vector<std::string> targets_of(const std::vector<SrvRecord>& records) {
    std::vector<std::string> out;
    for (const auto& r : records) out.push_back(r.target);
    return out;
}

TEST_CASE("SRV records go by ascending priority") {
    const auto ordered = server::order_srv({{"c", 1, 30, 0}, {"a", 1, 10, 0}, {"b", 1, 20, 0}}, draws({}));
    CHECK(targets_of(ordered) == std::vector<std::string>{"a", "b", "c"});
}

TEST_CASE("within a priority, the weighted draw picks (RFC 2782)") {
    // Weights 10 (x) and 90 (y): a draw of 50 lands past x's 10: y first.
    auto ordered = server::order_srv({{"x", 1, 5, 10}, {"y", 1, 5, 90}}, draws({50}));
    CHECK(targets_of(ordered) == std::vector<std::string>{"y", "x"});
    // A draw of 5 lands within x's share.
    ordered = server::order_srv({{"x", 1, 5, 10}, {"y", 1, 5, 90}}, draws({5}));
    CHECK(targets_of(ordered) == std::vector<std::string>{"x", "y"});
    // Zero weights stand first in line for a draw of 0.
    ordered = server::order_srv({{"w", 1, 5, 10}, {"z", 1, 5, 0}}, draws({0}));
    CHECK(targets_of(ordered) == std::vector<std::string>{"z", "w"});
}

TEST_CASE("no SRV records: the domain itself on 5269") {
    CHECK(server::s2s_targets("example.org", {}, {}, draws({})) ==
          std::vector<S2sTarget>{{"example.org", 5269, false}});
}

TEST_CASE("a lone '.' target refuses the service: no candidate") {
    CHECK(server::s2s_targets("example.org", {}, {{".", 0, 0, 0}}, draws({})).empty());
    CHECK(server::s2s_targets("example.org", {{".", 0, 0, 0}}, {}, draws({})).empty());
}

TEST_CASE("direct TLS and STARTTLS records merge by priority, direct TLS first at equal priority") {
    const auto targets = server::s2s_targets("example.org", {{"tls.example.org", 5270, 10, 0}},
                                             {{"a.example.org", 5269, 5, 0}, {"b.example.org", 5269, 10, 0}},
                                             draws({}));
    CHECK(targets == std::vector<S2sTarget>{{"a.example.org", 5269, false},
                                            {"tls.example.org", 5270, true},
                                            {"b.example.org", 5269, false}});
}

TEST_CASE("STARTTLS records alone, when direct TLS is refused") {
    const auto targets =
        server::s2s_targets("example.org", {{".", 0, 0, 0}}, {{"xmpp.example.org", 5269, 0, 0}}, draws({}));
    CHECK(targets == std::vector<S2sTarget>{{"xmpp.example.org", 5269, false}});
}

}  // namespace
}  // namespace s2s_targets_test
