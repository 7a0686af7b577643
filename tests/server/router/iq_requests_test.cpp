// The table of the server's own iq requests: an answer is taken only from
// the JID asked and only once; a request ends without answer when its
// session goes, its deadline passes, or the table is full.
#include <doctest/doctest.h>

#include "server/router/iq_requests.hpp"

namespace iq_requests_test {

using server::IqRequests;
using namespace std::chrono_literals;

xmpp::Jid jid(std::string_view s) { return *xmpp::Jid::parse(s); }

xmpp::Element request_to(std::string_view to) {
    xmpp::Element iq("iq", "jabber:client");
    iq.set_attr("type", "get");
    iq.set_attr("to", std::string(to));
    return iq;
}

xmpp::Element reply_to(const xmpp::Element& iq) {
    xmpp::Element reply("iq", "jabber:client");
    reply.set_attr("type", "result");
    reply.set_attr("id", std::string(iq.attr_or("id")));
    return reply;
}

struct Seen {
    int calls = 0;
    bool answered = false;
    IqRequests::Answer handler() {
        return [this](const xmpp::Element* reply) {
            ++calls;
            answered = reply != nullptr;
        };
    }
};

TEST_CASE("iq requests: the answer from the JID asked reaches the asker, once") {
    IqRequests table;
    Seen seen;
    auto iq = table.prepare(request_to("a@localhost/1"), seen.handler());
    REQUIRE(iq.has_value());
    CHECK_FALSE(iq->attr_or("id").empty());
    CHECK_FALSE(table.take(reply_to(*iq), jid("b@localhost/1")));  // someone else
    CHECK(seen.calls == 0);
    CHECK(table.take(reply_to(*iq), jid("a@localhost/1")));
    CHECK(seen.calls == 1);
    CHECK(seen.answered);
    CHECK_FALSE(table.take(reply_to(*iq), jid("a@localhost/1")));  // already answered
    CHECK(seen.calls == 1);
    CHECK(table.outstanding() == 0);
}

TEST_CASE("iq requests: ids are distinct; an id of another form is not ours") {
    IqRequests table;
    Seen one, two;
    auto a = table.prepare(request_to("a@localhost/1"), one.handler());
    auto b = table.prepare(request_to("a@localhost/1"), two.handler());
    CHECK(a->attr_or("id") != b->attr_or("id"));
    xmpp::Element stranger("iq", "jabber:client");
    stranger.set_attr("type", "result");
    stranger.set_attr("id", "q1");
    CHECK_FALSE(table.take(stranger, jid("a@localhost/1")));
    CHECK(table.take(reply_to(*b), jid("a@localhost/1")));
    CHECK(two.answered);
    CHECK(one.calls == 0);
}

TEST_CASE("iq requests: a session that ends, a deadline that passes, a full table: no answer") {
    IqRequests table(2, 10s);
    const auto t0 = IqRequests::Clock::now();
    Seen gone, late, refused, kept;
    auto g = table.prepare(request_to("a@localhost/1"), gone.handler(), t0);
    auto l = table.prepare(request_to("b@localhost/1"), late.handler(), t0);
    REQUIRE(g);
    REQUIRE(l);
    table.abandon(jid("a@localhost/1"));
    CHECK(gone.calls == 1);
    CHECK_FALSE(gone.answered);
    auto k = table.prepare(request_to("c@localhost/1"), kept.handler(), t0 + 5s);
    REQUIRE(k);
    CHECK_FALSE(table.prepare(request_to("d@localhost/1"), refused.handler(), t0 + 5s));  // full
    CHECK(refused.calls == 1);
    CHECK_FALSE(refused.answered);
    // Past b's deadline: the next use finishes it without answer.
    CHECK(table.prepare(request_to("d@localhost/1"), refused.handler(), t0 + 11s).has_value());
    CHECK(late.calls == 1);
    CHECK_FALSE(late.answered);
    CHECK_FALSE(table.take(reply_to(*l), jid("b@localhost/1"), t0 + 11s));
    CHECK(table.take(reply_to(*k), jid("c@localhost/1"), t0 + 11s));
    CHECK(kept.answered);
}

}  // namespace iq_requests_test
