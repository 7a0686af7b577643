// Allow lists (publish / subscribe) and publishers from other virtual hosts.
#include "fixture.hpp"

#include "xmq/allow_list.hpp"

using namespace xmqtest;

namespace {

conf::XmqConfig restricted(std::vector<std::string> publish, std::vector<std::string> subscribe) {
    auto config = default_config();
    config.queues.push_back(queue("secure.localhost", conf::QueueType::any, conf::Balance::round_robin,
                                  std::move(publish), std::move(subscribe)));
    return config;
}

const std::vector<std::string> kHosts = {"localhost", "example.org", "other.net"};
constexpr const char* S = "secure.localhost";

}  // namespace

TEST_CASE("default: only users of the route's parent host may publish and subscribe") {
    Fixture f(default_config(), kHosts);
    f.sub(A, Q1, "t");
    f.sink.clear();
    f.send("<iq type='set' id='x' from='eve@example.org/r' to='queue1.localhost'>"
           "<xmq xmlns='xmq:command' command='sub' topic='t' ttl='60'/></iq>");
    f.publish("eve@example.org/r", Q1, "t");
    CHECK(f.sink.deliveries.empty());
    REQUIRE(f.sink.replies.size() == 2);
    for (const auto& r : f.sink.replies) {
        CHECK(error_condition(r) == "forbidden");
        CHECK(r.attr_or("to") == "eve@example.org/r");
    }
    CHECK(f.stats(Q1).rejected_forbidden == 2);
}

TEST_CASE("publish list: a denied publisher gets forbidden, an allowed one from another host gets through") {
    Fixture f(restricted({"*@example.org"}, {}), kHosts);
    f.sub(A, S, "t");
    f.sink.clear();
    f.publish(P, S, "t");  // a localhost user, not on the publish list
    REQUIRE(f.sink.replies.size() == 1);
    CHECK(error_condition(f.sink.replies[0]) == "forbidden");
    CHECK(f.sink.deliveries.empty());

    // A publisher on another virtual host reaches the route's consumers
    // (mod_xmq looked consumers up by the publisher's domain and lost it).
    f.sink.clear();
    f.publish("bob@example.org/x", S, "t");
    REQUIRE(f.sink.deliveries.size() == 1);
    CHECK(f.sink.deliveries[0].to == A);
    CHECK(f.sink.deliveries[0].stanza.attr_or("from") == "bob@example.org/x");
    CHECK(f.sink.replies.empty());
}

TEST_CASE("subscribe list: a denied subscriber gets forbidden for commands and disco#items") {
    Fixture f(restricted({}, {"svc@localhost"}), kHosts);
    f.sub("svc@localhost/w1", S, "t");
    f.sink.clear();
    f.send("<iq type='set' id='x' from='a@localhost/r' to='secure.localhost'>"
           "<xmq xmlns='xmq:command' command='sub' topic='t' ttl='60'/></iq>");
    f.send("<iq type='set' id='y' from='a@localhost/r' to='secure.localhost'>"
           "<xmq xmlns='xmq:command' command='del'/></iq>");
    f.send("<iq type='get' id='z' from='a@localhost/r' to='secure.localhost'>"
           "<query xmlns='http://jabber.org/protocol/disco#items'/></iq>");
    REQUIRE(f.sink.replies.size() == 3);
    for (const auto& r : f.sink.replies) CHECK(error_condition(r) == "forbidden");
    CHECK(f.engine.eligible_consumers(S, "t") == 1);
    // The default publish list still admits localhost users.
    f.sink.clear();
    f.publish(P, S, "t");
    CHECK(f.sink.count_to("svc@localhost/w1") == 1);
}

TEST_CASE("allow-list patterns") {
    SUBCASE("*@domain: any user at that domain") {
        xmq::AllowList list({"*@Example.org"}, "localhost");
        CHECK(list.allows(jid("a@example.org/r")));
        CHECK(list.allows(jid("b@example.org")));
        CHECK_FALSE(list.allows(jid("example.org")));
        CHECK_FALSE(list.allows(jid("a@sub.example.org/r")));
        CHECK_FALSE(list.allows(jid("a@localhost/r")));
    }
    SUBCASE("user@domain: that bare JID, any resource") {
        xmq::AllowList list({"svc@localhost"}, "localhost");
        CHECK(list.allows(jid("svc@localhost/one")));
        CHECK(list.allows(jid("SVC@localhost/two")));
        CHECK_FALSE(list.allows(jid("other@localhost/one")));
        CHECK_FALSE(list.allows(jid("svc@example.org/one")));
    }
    SUBCASE("domain: any JID of that domain") {
        xmq::AllowList list({"other.net", "svc@localhost"}, "localhost");
        CHECK(list.allows(jid("x@other.net/r")));
        CHECK(list.allows(jid("other.net")));
        CHECK(list.allows(jid("svc@localhost/r")));
        CHECK_FALSE(list.allows(jid("x@localhost/r")));
        CHECK_FALSE(list.allows(jid("x@sub.other.net/r")));
    }
    SUBCASE("empty: users of the parent host") {
        xmq::AllowList list({}, "localhost");
        CHECK(list.allows(jid("x@localhost/r")));
        CHECK_FALSE(list.allows(jid("localhost")));
        CHECK_FALSE(list.allows(jid("x@example.org/r")));
        CHECK_FALSE(list.restricted());
    }
}

TEST_CASE("allow lists through the engine: each pattern form") {
    Fixture f(restricted({"*@example.org", "svc@localhost", "other.net"}, {}), kHosts);
    f.sub(A, S, "t");
    f.sink.clear();
    f.publish("u@example.org/1", S, "t");
    f.publish("svc@localhost/2", S, "t");
    f.publish("v@other.net/3", S, "t");
    f.publish("w@localhost/4", S, "t");
    CHECK(f.sink.deliveries.size() == 3);
    REQUIRE(f.sink.replies.size() == 1);
    CHECK(f.sink.replies[0].attr_or("to") == "w@localhost/4");
    CHECK(error_condition(f.sink.replies[0]) == "forbidden");
}

TEST_CASE("a denied publisher of an iq to an ALL queue gets forbidden, not a hint about the queue") {
    auto config = default_config();
    config.queues[1].publish = {"svc@localhost"};
    Fixture f(config);
    f.send("<iq type='get' id='q' from='a@localhost/r' to='queue2.localhost'>"
           "<xmq xmlns='xmq:topic' topic='t'/></iq>");
    REQUIRE(f.sink.replies.size() == 1);
    CHECK(error_condition(f.sink.replies[0]) == "forbidden");
}
