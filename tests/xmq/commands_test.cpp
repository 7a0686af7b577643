// xmq:command: sub / del, answers, validation, attribute order, the bound.
#include "fixture.hpp"

#include "xmq/commands.hpp"

using namespace xmqtest;

namespace {

std::string command(const std::string& attrs, const std::string& from = A, const std::string& to = Q1) {
    return "<iq type='set' id='c1' from='" + from + "' to='" + to + "'><xmq xmlns='xmq:command' " + attrs +
           "/></iq>";
}

}  // namespace

TEST_CASE("sub is answered with an empty iq result from the route") {
    Fixture f;
    f.send(command("command='sub' topic='t' ttl='60' load='1'"));
    REQUIRE(f.sink.replies.size() == 1);
    const auto& r = f.sink.replies[0];
    CHECK(r.name() == "iq");
    CHECK(r.attr_or("type") == "result");
    CHECK(r.attr_or("id") == "c1");
    CHECK(r.attr_or("to") == A);
    CHECK(r.attr_or("from") == Q1);
    CHECK(r.element_count() == 0);
    CHECK(f.engine.eligible_consumers(Q1, "t") == 1);
}

TEST_CASE("sub replaces the ttl and load of an existing subscription") {
    Fixture f;
    f.sub(A, Q3, "t", 60, 5);
    f.sub(B, Q3, "t", 60, 10);
    f.sub(A, Q3, "t", 100, 50);  // A now busier than B
    CHECK(f.stats(Q3).consumers == 2);
    f.publish(P, Q3, "t");
    CHECK(f.sink.count_to(B) == 1);

    f.clock.advance(61s);  // B expired; A's replaced ttl of 100 s holds
    f.publish(P, Q3, "t");
    CHECK(f.sink.count_to(A) == 1);
    f.clock.advance(40s);
    f.sink.clear();
    f.publish(P, Q3, "t");
    CHECK(f.sink.deliveries.empty());
}

TEST_CASE("del with a topic removes that subscription only") {
    Fixture f;
    f.sub(A, Q1, "t1");
    f.sub(A, Q1, "t2");
    f.sink.clear();
    f.send(command("command='del' topic='t1'"));
    REQUIRE(f.sink.replies.size() == 1);
    CHECK(f.sink.replies[0].attr_or("type") == "result");
    CHECK(f.engine.eligible_consumers(Q1, "t1") == 0);
    CHECK(f.engine.eligible_consumers(Q1, "t2") == 1);
    // del of a topic one has not subscribed to: still a result
    f.send(command("command='del' topic='nothing'"));
    CHECK(f.sink.replies.back().attr_or("type") == "result");
}

TEST_CASE("del without a topic removes all the client's subscriptions on that route only") {
    Fixture f;
    f.sub(A, Q1, "t1");
    f.sub(A, Q1, "t2");
    f.sub(B, Q1, "t1");
    f.sub(A, Q3, "t1");
    f.sink.clear();
    f.send(command("command='del'"));
    REQUIRE(f.sink.replies.size() == 1);
    CHECK(f.sink.replies[0].attr_or("type") == "result");
    CHECK(f.engine.eligible_consumers(Q1, "t1") == 1);  // B's
    CHECK(f.engine.eligible_consumers(Q1, "t2") == 0);
    CHECK(f.engine.eligible_consumers(Q3, "t1") == 1);
}

TEST_CASE("attribute order does not matter") {
    Fixture f;
    f.send(command("load='1' ttl='60' topic='t' command='sub'"));
    f.send(command("ttl='60' command='sub' load='2' topic='u'", B));
    REQUIRE(f.sink.replies.size() == 2);
    for (const auto& r : f.sink.replies) CHECK(r.attr_or("type") == "result");
    CHECK(f.engine.eligible_consumers(Q1, "t") == 1);
    CHECK(f.engine.eligible_consumers(Q1, "u") == 1);
    f.send(command("topic='t' command='del'"));
    CHECK(f.sink.replies.back().attr_or("type") == "result");
    CHECK(f.engine.eligible_consumers(Q1, "t") == 0);
}

TEST_CASE("a sub without load gets load 0") {
    Fixture f;
    f.send(command("command='sub' topic='t' ttl='60'"));
    CHECK(f.sink.replies.back().attr_or("type") == "result");
    CHECK(f.engine.eligible_consumers(Q1, "t") == 1);
}

TEST_CASE("invalid commands get bad-request naming the wrong attribute") {
    struct Case {
        const char* attrs;
        const char* attribute;
    };
    const Case cases[] = {
        {"topic='t' ttl='60' load='1'", "'command'"},             // missing command
        {"command='' topic='t' ttl='60'", "'command'"},           // empty command
        {"command='subscribe' topic='t' ttl='60'", "'command'"},  // unknown command
        {"command='SUB' topic='t' ttl='60'", "'command'"},        // commands are case-sensitive
        {"command='sub' ttl='60' load='1'", "'topic'"},           // sub without topic
        {"command='sub' topic='' ttl='60'", "'topic'"},           // empty topic
        {"command='del' topic=''", "'topic'"},
        {"command='sub' topic='t' load='1'", "'ttl'"},  // no ttl
        {"command='sub' topic='t' ttl='0'", "'ttl'"},
        {"command='sub' topic='t' ttl='-5'", "'ttl'"},
        {"command='sub' topic='t' ttl='abc'", "'ttl'"},
        {"command='sub' topic='t' ttl='1.5'", "'ttl'"},
        {"command='sub' topic='t' ttl=''", "'ttl'"},
        {"command='sub' topic='t' ttl='60' load='101'", "'load'"},
        {"command='sub' topic='t' ttl='60' load='-1'", "'load'"},
        {"command='sub' topic='t' ttl='60' load='x'", "'load'"},
        {"command='sub' topic='t' ttl='60' load=''", "'load'"},
        {"command='sub' topic='t' ttl='60' load='99999999999999999999999'", "'load'"},
    };
    for (const Case& c : cases) {
        Fixture f;
        CAPTURE(c.attrs);
        f.send(command(c.attrs));
        REQUIRE(f.sink.replies.size() == 1);
        const auto& r = f.sink.replies[0];
        CHECK(r.attr_or("type") == "error");
        CHECK(r.attr_or("id") == "c1");
        CHECK(error_condition(r) == "bad-request");
        CHECK(error_text(r).find(c.attribute) != std::string::npos);
        CHECK(f.stats(Q1).consumers == 0);
        CHECK(f.stats(Q1).rejected_bad_request == 1);
    }
}

TEST_CASE("a huge ttl is accepted and clamped, not overflowed") {
    Fixture f;
    f.send(command("command='sub' topic='t' ttl='99999999999999999999999999'"));
    CHECK(f.sink.replies.back().attr_or("type") == "result");
    f.clock.advance(std::chrono::hours(24 * 365 * 10));
    f.publish(P, Q1, "t");
    CHECK(f.sink.count_to(A) == 1);
}

TEST_CASE("commands are validated against the known set: parse_command") {
    auto ok = xmq::parse_command(xml("<iq><xmq xmlns='xmq:command' command='del'/></iq>").children()[0]);
    REQUIRE(ok);
    CHECK(ok->kind == xmq::CommandKind::del);
    CHECK_FALSE(ok->topic.has_value());
    auto sub = xmq::parse_command(
        xml("<iq><xmq xmlns='xmq:command' load='100' topic='a b' ttl='7' command='sub'/></iq>").children()[0]);
    REQUIRE(sub);
    CHECK(sub->kind == xmq::CommandKind::sub);
    CHECK(*sub->topic == "a b");
    CHECK(sub->ttl == 7s);
    CHECK(sub->load == 100);
    CHECK(xmq::parse_load("0") == 0u);
    CHECK_FALSE(xmq::parse_load("+1").has_value());
    CHECK_FALSE(xmq::parse_ttl(" 5").has_value());
}

TEST_CASE("a topic longer than the bound is refused") {
    Fixture f;
    f.send(command("command='sub' topic='" + std::string(xmq::kMaxTopicBytes + 1, 'x') + "' ttl='60'"));
    CHECK(error_condition(f.sink.replies.back()) == "bad-request");
    f.send(command("command='sub' topic='" + std::string(xmq::kMaxTopicBytes, 'x') + "' ttl='60'"));
    CHECK(f.sink.replies.back().attr_or("type") == "result");
}

TEST_CASE("subscriptions per client and route are bounded: resource-constraint past the bound") {
    Fixture f;
    CHECK(xmq::kDefaultMaxSubscriptionsPerClient == 1000);
    f.engine.set_max_subscriptions_per_client(3);
    f.sub(A, Q1, "t1");
    f.sub(A, Q1, "t2");
    f.sub(A, Q1, "t3");
    f.sink.clear();
    f.send(command("command='sub' topic='t4' ttl='60'"));
    REQUIRE(f.sink.replies.size() == 1);
    CHECK(error_condition(f.sink.replies[0]) == "resource-constraint");
    CHECK(error_text(f.sink.replies[0]).find('3') != std::string::npos);
    CHECK(f.engine.eligible_consumers(Q1, "t4") == 0);
    CHECK(f.stats(Q1).rejected_limit == 1);

    f.sub(A, Q1, "t3", 120, 5);         // replacing one is still allowed
    f.sub(B, Q1, "t4");                 // the bound is per client
    f.sub(A, Q3, "t4");                 // and per route
    f.sub("a@localhost/other", Q1, "t4");  // and per full JID
    f.send(command("command='del' topic='t1'"));
    f.sub(A, Q1, "t4");                 // room again after a del
    CHECK(f.stats(Q1).consumers == 5);
}

TEST_CASE("the default bound is 1000 subscriptions") {
    Fixture f;
    for (int i = 0; i < 1000; ++i)
        f.send(command("command='sub' topic='t" + std::to_string(i) + "' ttl='60'"));
    CHECK(f.sink.replies.back().attr_or("type") == "result");
    f.send(command("command='sub' topic='one-more' ttl='60'"));
    CHECK(error_condition(f.sink.replies.back()) == "resource-constraint");
}

TEST_CASE("every command is answered, whatever the sender's attributes") {
    Fixture f;
    f.send(command("command='sub' topic='t' ttl='60' load='1' extra='ignored'"));
    f.send(command("command='del' topic='t' ttl='1' load='500'"));  // del ignores ttl/load
    f.send(command("command='del'"));
    REQUIRE(f.sink.replies.size() == 3);
    for (const auto& r : f.sink.replies) CHECK(r.attr_or("type") == "result");
}
