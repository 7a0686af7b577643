// The pure parts of stream management (XEP-0198): nonza parsing, the h
// checks across the 2^32 wrap, the server's ack-request policy, the
// resumption timeout, and the resumption table's rules (account binding,
// claims, expiry, the per-account hibernation limit, shutdown).
#include <doctest/doctest.h>

#include <set>

#include "server/c2s/resumption_table.hpp"
#include "server/c2s/sm_protocol.hpp"
#include "xmpp/namespaces.hpp"

// A named namespace: the unity build puts several test files in one unit.
namespace c2s_sm_protocol_test {

namespace sm = server::sm;
using Kind = sm::Nonza::Kind;

xmpp::Element nonza(std::string name, std::vector<std::pair<std::string, std::string>> attrs = {}) {
    xmpp::Element e(std::move(name), std::string(xmpp::ns::sm));
    for (auto& [k, v] : attrs) e.set_attr(k, v);
    return e;
}

TEST_CASE("sm nonzas: enable, r, a, resume, and what is malformed") {
    auto enable = sm::parse(nonza("enable", {{"resume", "true"}, {"max", "300"}}));
    CHECK(enable.kind == Kind::enable);
    CHECK(enable.resume);
    CHECK(enable.max == 300u);
    CHECK(sm::parse(nonza("enable", {{"resume", "1"}})).resume);
    CHECK_FALSE(sm::parse(nonza("enable", {{"resume", "false"}})).resume);
    CHECK_FALSE(sm::parse(nonza("enable")).resume);
    CHECK_FALSE(sm::parse(nonza("enable", {{"max", "-1"}})).max.has_value());

    CHECK(sm::parse(nonza("r")).kind == Kind::request);
    auto a = sm::parse(nonza("a", {{"h", "4294967295"}}));
    CHECK(a.kind == Kind::ack);
    CHECK(a.h == 4294967295u);
    auto resume = sm::parse(nonza("resume", {{"previd", "abc"}, {"h", "7"}}));
    CHECK(resume.kind == Kind::resume);
    CHECK(resume.previd == "abc");
    CHECK(resume.h == 7u);

    CHECK(sm::parse(nonza("a")).kind == Kind::unknown);
    CHECK(sm::parse(nonza("a", {{"h", "4294967296"}})).kind == Kind::unknown);  // above 2^32 - 1
    CHECK(sm::parse(nonza("a", {{"h", "-1"}})).kind == Kind::unknown);
    CHECK(sm::parse(nonza("a", {{"h", "1x"}})).kind == Kind::unknown);
    CHECK(sm::parse(nonza("a", {{"h", ""}})).kind == Kind::unknown);
    CHECK(sm::parse(nonza("resume", {{"h", "1"}})).kind == Kind::unknown);  // no previd
    CHECK(sm::parse(nonza("resume", {{"previd", "x"}})).kind == Kind::unknown);
    CHECK(sm::parse(nonza("enabled")).kind == Kind::unknown);
    CHECK(sm::parse(xmpp::Element("r", "urn:xmpp:sm:2")).kind == Kind::unknown);
    CHECK_FALSE(sm::is_nonza(xmpp::Element("r", "urn:xmpp:sm:2")));
}

TEST_CASE("sm: h checks against what was sent, across the 2^32 wrap") {
    CHECK(sm::check_ack(0, 0, 0) == sm::AckCheck::ok);
    CHECK(sm::check_ack(0, 3, 5) == sm::AckCheck::ok);
    CHECK(sm::check_ack(0, 5, 5) == sm::AckCheck::ok);
    CHECK(sm::check_ack(0, 6, 5) == sm::AckCheck::too_high);
    CHECK(sm::check_ack(3, 2, 5) == sm::AckCheck::stale);
    // Sent wrapped past 2^32: 4294967290 acknowledged, 10 more sent (now 4).
    CHECK(sm::check_ack(4294967290u, 4294967295u, 4) == sm::AckCheck::ok);
    CHECK(sm::check_ack(4294967290u, 0, 4) == sm::AckCheck::ok);
    CHECK(sm::check_ack(4294967290u, 4, 4) == sm::AckCheck::ok);
    CHECK(sm::check_ack(4294967290u, 5, 4) == sm::AckCheck::too_high);
    CHECK(sm::check_ack(2, 4294967295u, 4) == sm::AckCheck::stale);
}

TEST_CASE("sm: the server asks for an ack after N unacknowledged stanzas, once until answered") {
    sm::AckRequestPolicy policy{.after_stanzas = 3};
    CHECK_FALSE(policy.request_now(2, false));
    CHECK(policy.request_now(3, false));
    CHECK_FALSE(policy.request_now(9, true));
    sm::AckRequestPolicy by_time_only{.after_stanzas = 0};
    CHECK_FALSE(by_time_only.request_now(1000, false));
}

TEST_CASE("sm: the resumption time is the client's max, bounded by the server's") {
    using std::chrono::seconds;
    CHECK(sm::resume_timeout(std::nullopt, seconds(600)) == seconds(600));
    CHECK(sm::resume_timeout(60u, seconds(600)) == seconds(60));
    CHECK(sm::resume_timeout(86400u, seconds(600)) == seconds(600));
    CHECK(sm::resume_timeout(0u, seconds(600)) == seconds(600));
}

TEST_CASE("sm: the elements the server sends") {
    CHECK(sm::enabled("", std::chrono::seconds(600)) == "<enabled xmlns='urn:xmpp:sm:3'/>");
    CHECK(sm::enabled("a'b", std::chrono::seconds(60)) ==
          "<enabled xmlns='urn:xmpp:sm:3' id='a&apos;b' resume='true' max='60'/>");
    CHECK(sm::resumed("id", 4294967295u) == "<resumed xmlns='urn:xmpp:sm:3' previd='id' h='4294967295'/>");
    CHECK(sm::failed(xmpp::StanzaError::item_not_found) ==
          "<failed xmlns='urn:xmpp:sm:3'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>");
    CHECK(sm::failed(xmpp::StanzaError::unexpected_request, 3u).find(" h='3'") != std::string::npos);
    CHECK(sm::ack(12) == "<a xmlns='urn:xmpp:sm:3' h='12'/>");
    CHECK(sm::request() == "<r xmlns='urn:xmpp:sm:3'/>");
    const std::string error = sm::handled_count_too_high(9, 4);
    CHECK(error.find("<undefined-condition xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>") != std::string::npos);
    CHECK(error.find("<handled-count-too-high xmlns='urn:xmpp:sm:3' h='9' send-count='4'/>") != std::string::npos);
}

struct FakeSession {
    int n;
};
using Table = server::ResumptionTable<FakeSession>;

TEST_CASE("resumption ids are random and unguessable in size") {
    std::set<std::string> ids;
    for (int i = 0; i < 100; ++i) ids.insert(server::new_resumption_id());
    CHECK(ids.size() == 100);
    CHECK(ids.begin()->size() == 22);  // 128 bits in base64url
}

TEST_CASE("resumption table: an id resumes only its own account's session, one claim at a time") {
    Table table;
    auto s = std::make_shared<FakeSession>(FakeSession{1});
    table.add("id1", "juliet@localhost", s);
    CHECK(table.claim("id1", "romeo@localhost") == nullptr);
    CHECK(table.claim("nope", "juliet@localhost") == nullptr);
    CHECK(table.claim("id1", "juliet@localhost") == s);
    CHECK(table.claim("id1", "juliet@localhost") == nullptr);  // claimed
    table.release("id1");
    CHECK(table.claim("id1", "juliet@localhost") == s);
    table.release("id1");
    table.remove("id1", s.get());
    CHECK(table.claim("id1", "juliet@localhost") == nullptr);
    CHECK(table.size() == 0);
}

TEST_CASE("resumption table: expiry loses to a claim that came first") {
    Table table;
    auto s = std::make_shared<FakeSession>(FakeSession{1});
    std::vector<std::shared_ptr<FakeSession>> evicted;
    table.add("id", "juliet@localhost", s);
    CHECK_FALSE(table.expire("id", s.get()));  // attached: nothing expires
    REQUIRE(table.hibernate("id", s.get(), 10, evicted));
    CHECK(table.hibernated() == 1);
    REQUIRE(table.claim("id", "juliet@localhost") == s);
    CHECK_FALSE(table.expire("id", s.get()));
    table.release("id");
    REQUIRE(table.hibernate("id", s.get(), 10, evicted));
    auto other = std::make_shared<FakeSession>(FakeSession{2});
    CHECK_FALSE(table.expire("id", other.get()));
    CHECK(table.expire("id", s.get()));
    CHECK(table.size() == 0);
    CHECK(evicted.empty());
}

TEST_CASE("resumption table: an account keeps at most N hibernated sessions, the oldest goes") {
    Table table;
    std::vector<std::shared_ptr<FakeSession>> sessions;
    std::vector<std::shared_ptr<FakeSession>> evicted;
    for (int i = 0; i < 4; ++i) {
        sessions.push_back(std::make_shared<FakeSession>(FakeSession{i}));
        table.add("j" + std::to_string(i), "juliet@localhost", sessions.back());
    }
    auto romeo = std::make_shared<FakeSession>(FakeSession{9});
    table.add("r", "romeo@localhost", romeo);
    REQUIRE(table.hibernate("r", romeo.get(), 2, evicted));
    for (int i = 0; i < 2; ++i) REQUIRE(table.hibernate("j" + std::to_string(i), sessions[i].get(), 2, evicted));
    CHECK(evicted.empty());
    REQUIRE(table.hibernate("j2", sessions[2].get(), 2, evicted));
    REQUIRE(evicted.size() == 1);
    CHECK(evicted[0] == sessions[0]);
    CHECK(table.claim("j0", "juliet@localhost") == nullptr);
    CHECK(table.hibernated() == 3);  // two of juliet's, romeo's
    // With a limit of one, hibernating a session gives back the older one.
    evicted.clear();
    REQUIRE(table.hibernate("j3", sessions[3].get(), 1, evicted));
    CHECK(evicted.size() == 2);
}

TEST_CASE("resumption table: after stop_hibernating nothing hibernates; the hibernated are listed") {
    Table table;
    auto a = std::make_shared<FakeSession>(FakeSession{1});
    auto b = std::make_shared<FakeSession>(FakeSession{2});
    std::vector<std::shared_ptr<FakeSession>> evicted;
    table.add("a", "juliet@localhost", a);
    table.add("b", "juliet@localhost", b);
    REQUIRE(table.hibernate("a", a.get(), 10, evicted));
    table.stop_hibernating();
    auto hibernated = table.hibernated_sessions();
    REQUIRE(hibernated.size() == 1);
    CHECK(hibernated[0] == a);
    CHECK_FALSE(table.hibernate("b", b.get(), 10, evicted));
    CHECK(table.size() == 2);  // until they end
}

}  // namespace c2s_sm_protocol_test
