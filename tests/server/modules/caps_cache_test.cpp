// The caps cache (XEP-0115 §5.4) as pure code: one query per new ver, a
// wrong hash not cached and not asked again of the same resource, another
// resource asked instead, bounds on entries and queries, removal on
// unavailable, +notify.
#include <doctest/doctest.h>

#include "server/modules/caps_cache.hpp"
#include "xmpp/caps.hpp"

namespace caps_cache_test {

using server::modules::CapsCache;
using server::modules::CapsLimits;
namespace caps = xmpp::caps;

xmpp::Jid jid(std::string_view s) { return *xmpp::Jid::parse(s); }

caps::DiscoInfo client_info(std::string_view name, std::vector<std::string> features) {
    return {.identities = {{"client", "pc", "", std::string(name)}}, .features = std::move(features), .forms = {}};
}

caps::Caps caps_of(const caps::DiscoInfo& info, std::string_view hash = "sha-1") {
    return {std::string(hash), "https://example.org", *caps::ver(info, hash)};
}

const caps::DiscoInfo gajim = client_info(
    "Gajim",
    {"http://jabber.org/protocol/disco#info", "urn:xmpp:omemo:2:devices+notify", "urn:xmpp:avatar:metadata+notify"});
const caps::DiscoInfo dino = client_info("Dino", {"http://jabber.org/protocol/disco#info"});

TEST_CASE("caps cache: a new ver is asked once, however many resources announce it") {
    CapsCache cache;
    const auto c = caps_of(gajim);
    auto query = cache.available(jid("a@localhost/1"), c);
    REQUIRE(query.has_value());
    CHECK(query->to == jid("a@localhost/1"));
    CHECK(query->caps == c);
    CHECK_FALSE(cache.available(jid("b@localhost/1"), c));
    CHECK_FALSE(cache.available(jid("a@localhost/1"), c));  // a presence update
    CHECK(cache.stats().pending == 1);
    CHECK(cache.features_of(jid("b@localhost/1")) == nullptr);  // not known yet

    const auto answer = caps::to_element(gajim);
    auto outcome = cache.answered(*query, &answer);
    CHECK(outcome.cached);
    CHECK_FALSE(outcome.next);
    CHECK(cache.stats().pending == 0);
    CHECK(cache.stats().entries == 1);
    // Every resource with that ver now has the features; a later one is not asked.
    REQUIRE(cache.features_of(jid("b@localhost/1")) != nullptr);
    CHECK(cache.features_of(jid("a@localhost/1"))->has_feature("urn:xmpp:avatar:metadata+notify"));
    CHECK_FALSE(cache.available(jid("c@localhost/1"), c));
    CHECK(cache.wants_notify(jid("c@localhost/1"), "urn:xmpp:omemo:2:devices"));
    CHECK_FALSE(cache.wants_notify(jid("c@localhost/1"), "urn:xmpp:bookmarks:1"));
}

TEST_CASE("caps cache: an answer with the wrong hash is not cached; another resource is asked, not the same one") {
    CapsCache cache;
    const auto c = caps_of(gajim);
    auto query = cache.available(jid("liar@localhost/1"), c);
    REQUIRE(query.has_value());
    CHECK_FALSE(cache.available(jid("b@localhost/1"), c));
    const auto wrong = caps::to_element(dino);  // hashes to another ver
    auto outcome = cache.answered(*query, &wrong);
    CHECK_FALSE(outcome.cached);
    CHECK(cache.stats().entries == 0);
    CHECK(cache.features_of(jid("liar@localhost/1")) == nullptr);
    REQUIRE(outcome.next.has_value());
    CHECK(outcome.next->to == jid("b@localhost/1"));  // §5.4: check another generating entity

    const auto right = caps::to_element(gajim);
    CHECK(cache.answered(*outcome.next, &right).cached);
    CHECK(cache.features_of(jid("liar@localhost/1")) != nullptr);  // the ver is now verified for everyone
}

TEST_CASE("caps cache: a resource that answered wrongly is not asked again for that ver") {
    CapsCache cache;
    const auto c = caps_of(gajim);
    auto query = cache.available(jid("liar@localhost/1"), c);
    REQUIRE(query.has_value());
    auto outcome = cache.answered(*query, nullptr);  // an error, or no answer
    CHECK_FALSE(outcome.cached);
    CHECK_FALSE(outcome.next);  // nobody else announces it
    CHECK_FALSE(cache.available(jid("liar@localhost/1"), c));
    // Another ver of the same resource is asked.
    CHECK(cache.available(jid("liar@localhost/1"), caps_of(dino)).has_value());
}

TEST_CASE("caps cache: an ill-formed answer is not cached even when it would hash right") {
    CapsCache cache;
    const auto c = caps_of(gajim);
    auto query = cache.available(jid("a@localhost/1"), c);
    REQUIRE(query.has_value());
    auto doubled = caps::to_element(gajim);
    doubled.add_child(xmpp::Element("feature", "http://jabber.org/protocol/disco#info"))
        .set_attr("var", "http://jabber.org/protocol/disco#info");
    CHECK_FALSE(cache.answered(*query, &doubled).cached);
    CHECK(cache.stats().entries == 0);
}

TEST_CASE("caps cache: an answer nobody asked for changes nothing") {
    CapsCache cache;
    const auto c = caps_of(gajim);
    const auto answer = caps::to_element(gajim);
    CHECK_FALSE(cache.answered({jid("a@localhost/1"), c}, &answer).cached);
    auto query = cache.available(jid("a@localhost/1"), c);
    REQUIRE(query.has_value());
    CHECK_FALSE(cache.answered({jid("b@localhost/1"), c}, &answer).cached);  // not the one asked
    CHECK(cache.stats().entries == 0);
}

TEST_CASE("caps cache: unavailable forgets the resource's caps, not the verified ver") {
    CapsCache cache;
    const auto c = caps_of(gajim);
    auto query = cache.available(jid("a@localhost/1"), c);
    const auto answer = caps::to_element(gajim);
    REQUIRE(cache.answered(*query, &answer).cached);
    CHECK(cache.stats().resources == 1);
    cache.forget(jid("a@localhost/1"));
    CHECK(cache.features_of(jid("a@localhost/1")) == nullptr);
    CHECK(cache.stats().resources == 0);
    CHECK(cache.stats().entries == 1);
    CHECK_FALSE(cache.available(jid("a@localhost/1"), c));  // known: no query
    CHECK(cache.features_of(jid("a@localhost/1")) != nullptr);
}

TEST_CASE("caps cache: the resource's latest caps count") {
    CapsCache cache;
    for (const auto* info : {&gajim, &dino}) {
        auto query = cache.available(jid("a@localhost/1"), caps_of(*info));
        const auto answer = caps::to_element(*info);
        REQUIRE(cache.answered(*query, &answer).cached);
    }
    CHECK(cache.available(jid("a@localhost/1"), caps_of(gajim)) == std::nullopt);
    CHECK(cache.wants_notify(jid("a@localhost/1"), "urn:xmpp:omemo:2:devices"));
    cache.available(jid("a@localhost/1"), caps_of(dino));
    CHECK_FALSE(cache.wants_notify(jid("a@localhost/1"), "urn:xmpp:omemo:2:devices"));
}

TEST_CASE("caps cache: at most max_pending queries are out; at most max_entries results are kept") {
    CapsCache cache(CapsLimits{.max_entries = 2, .max_pending = 2});
    std::vector<caps::DiscoInfo> infos;
    for (int i = 0; i < 4; ++i) infos.push_back(client_info("client " + std::to_string(i), {"urn:f"}));
    auto q0 = cache.available(jid("u0@localhost/r"), caps_of(infos[0]));
    auto q1 = cache.available(jid("u1@localhost/r"), caps_of(infos[1]));
    REQUIRE(q0);
    REQUIRE(q1);
    CHECK_FALSE(cache.available(jid("u2@localhost/r"), caps_of(infos[2])));  // two are out
    auto a0 = caps::to_element(infos[0]);
    REQUIRE(cache.answered(*q0, &a0).cached);
    auto q2 = cache.available(jid("u2@localhost/r"), caps_of(infos[2]));  // its next presence
    REQUIRE(q2);
    auto a1 = caps::to_element(infos[1]);
    auto a2 = caps::to_element(infos[2]);
    REQUIRE(cache.answered(*q1, &a1).cached);
    CHECK(cache.features_of(jid("u0@localhost/r")) != nullptr);  // touched: now the most recent
    REQUIRE(cache.answered(*q2, &a2).cached);
    CHECK(cache.stats().entries == 2);
    CHECK(cache.features_of(jid("u1@localhost/r")) == nullptr);  // the least recently used went
    CHECK(cache.features_of(jid("u0@localhost/r")) != nullptr);
    CHECK(cache.features_of(jid("u2@localhost/r")) != nullptr);
}

TEST_CASE("caps cache: the resources not asked again are bounded") {
    CapsCache cache(CapsLimits{.max_failures = 1});
    const auto c0 = caps_of(gajim);
    const auto c1 = caps_of(dino);
    auto q = cache.available(jid("a@localhost/1"), c0);
    cache.answered(*q, nullptr);
    q = cache.available(jid("a@localhost/1"), c1);
    cache.answered(*q, nullptr);
    // The first failure was pushed out by the second: a may be asked for c0 again.
    CHECK(cache.available(jid("a@localhost/1"), c0).has_value());
}

}  // namespace caps_cache_test
