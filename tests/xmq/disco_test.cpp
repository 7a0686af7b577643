// Discovery: disco#info and disco#items of a route, routes of a host, counters.
#include "fixture.hpp"

using namespace xmqtest;

namespace {

std::vector<std::string> feature_vars(const xmpp::Element& query) {
    std::vector<std::string> out;
    for (const auto& c : query.children())
        if (!c.is_text() && c.name() == "feature") out.emplace_back(c.attr_or("var"));
    return out;
}

}  // namespace

TEST_CASE("disco#info on a route: identity and features") {
    Fixture f;
    for (const char* route : {Q1, Q2}) {
        f.sink.clear();
        f.send(std::string("<iq type='get' id='d1' from='a@localhost/r' to='") + route +
               "'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
        REQUIRE(f.sink.replies.size() == 1);
        const auto& r = f.sink.replies[0];
        CHECK(r.attr_or("type") == "result");
        CHECK(r.attr_or("id") == "d1");
        CHECK(r.attr_or("from") == route);
        CHECK(r.attr_or("to") == "a@localhost/r");
        const auto* query = r.child("query", xmpp::ns::disco_info);
        REQUIRE(query != nullptr);
        const auto* identity = query->child("identity");
        REQUIRE(identity != nullptr);
        CHECK(identity->attr_or("category") == "component");
        CHECK(identity->attr_or("type") == "generic");
        CHECK(identity->attr_or("name") == (route == std::string(Q1) ? "XMQ any queue" : "XMQ all queue"));
        auto vars = feature_vars(*query);
        std::sort(vars.begin(), vars.end());
        CHECK(vars == std::vector<std::string>{"http://jabber.org/protocol/disco#info",
                                               "http://jabber.org/protocol/disco#items", "xmq:command",
                                               "xmq:topic"});
    }
}

TEST_CASE("disco#items on a route lists its topics with their eligible consumer counts") {
    Fixture f;
    f.sub(A, Q1, "beta");
    f.sub(B, Q1, "beta");
    f.sub(C, Q1, "beta", 60, 99);  // overloaded: not counted
    f.sub(A, Q1, "alpha");
    f.sub(A, Q3, "elsewhere");
    f.sink.clear();
    f.send("<iq type='get' id='d2' from='c@localhost/r' to='queue1.localhost'>"
           "<query xmlns='http://jabber.org/protocol/disco#items'/></iq>");
    REQUIRE(f.sink.replies.size() == 1);
    const auto& r = f.sink.replies[0];
    CHECK(r.attr_or("type") == "result");
    const auto* query = r.child("query", xmpp::ns::disco_items);
    REQUIRE(query != nullptr);
    REQUIRE(query->element_count() == 2);
    const auto& alpha = query->children()[0];
    const auto& beta = query->children()[1];
    CHECK(alpha.name() == "item");
    CHECK(alpha.attr_or("jid") == Q1);
    CHECK(alpha.attr_or("node") == "alpha");
    CHECK(alpha.attr_or("name") == "alpha (1 consumer)");
    CHECK(beta.attr_or("node") == "beta");
    CHECK(beta.attr_or("name") == "beta (2 consumers)");

    SUBCASE("expired subscriptions disappear from the list") {
        f.clock.advance(61s);
        f.sink.clear();
        f.send("<iq type='get' id='d3' from='c@localhost/r' to='queue1.localhost'>"
               "<query xmlns='http://jabber.org/protocol/disco#items'/></iq>");
        CHECK(f.sink.replies[0].child("query", xmpp::ns::disco_items)->element_count() == 0);
    }
    SUBCASE("a node: a known topic has no items, an unknown one is item-not-found") {
        f.sink.clear();
        f.send("<iq type='get' id='d4' from='c@localhost/r' to='queue1.localhost'>"
               "<query xmlns='http://jabber.org/protocol/disco#items' node='alpha'/></iq>");
        f.send("<iq type='get' id='d5' from='c@localhost/r' to='queue1.localhost'>"
               "<query xmlns='http://jabber.org/protocol/disco#items' node='zzz'/></iq>");
        REQUIRE(f.sink.replies.size() == 2);
        CHECK(f.sink.replies[0].attr_or("type") == "result");
        CHECK(f.sink.replies[0].child("query", xmpp::ns::disco_items)->attr_or("node") == "alpha");
        CHECK(error_condition(f.sink.replies[1]) == "item-not-found");
    }
}

TEST_CASE("disco#items refuses those not allowed to subscribe") {
    Fixture f(default_config(), {"localhost", "example.org"});
    f.send("<iq type='get' id='d2' from='eve@example.org/r' to='queue1.localhost'>"
           "<query xmlns='http://jabber.org/protocol/disco#items'/></iq>");
    REQUIRE(f.sink.replies.size() == 1);
    CHECK(error_condition(f.sink.replies[0]) == "forbidden");
}

TEST_CASE("routes and routes_of_host") {
    auto config = default_config();
    config.queues.push_back(queue("q.example.org", conf::QueueType::all));
    config.queues.push_back(queue("deep.q.example.org", conf::QueueType::any));
    Fixture f(config, {"localhost", "example.org", "q.example.org"});
    CHECK(f.engine.routes() == std::vector<std::string>{"deep.q.example.org", "q.example.org", "queue1.localhost",
                                                        "queue2.localhost", "queue3.localhost"});
    CHECK(f.engine.routes_of_host("localhost") ==
          std::vector<std::string>{"queue1.localhost", "queue2.localhost", "queue3.localhost"});
    CHECK(f.engine.routes_of_host("example.org") == std::vector<std::string>{"q.example.org"});
    CHECK(f.engine.routes_of_host("q.example.org") == std::vector<std::string>{"deep.q.example.org"});
    CHECK(f.engine.routes_of_host("nowhere") == std::vector<std::string>{});
    CHECK(f.engine.is_route("queue1.localhost"));
    CHECK(f.engine.is_route("Queue1.LOCALHOST"));
    CHECK_FALSE(f.engine.is_route("localhost"));
    CHECK_FALSE(f.engine.is_route("queue9.localhost"));
}

TEST_CASE("counters per queue") {
    Fixture f;
    f.sub(A, Q1, "t");
    f.sub(B, Q1, "t");
    f.sub(A, Q2, "t");
    f.sub(B, Q2, "t");
    f.sub(C, Q2, "t");
    f.publish(P, Q1, "t");
    f.publish(P, Q1, "t");
    f.publish(P, Q1, "none");                                              // no recipients
    f.send("<message from='pub@localhost/p' to='queue1.localhost'/>");  // no topic
    f.send("<iq type='set' id='b' from='a@localhost/r' to='queue1.localhost'><xmq xmlns='xmq:command'/></iq>");
    f.publish(P, Q2, "t");
    f.publish(P, Q2, "none");  // dropped
    auto q1 = f.stats(Q1);
    CHECK(q1.route == Q1);
    CHECK(q1.type == conf::QueueType::any);
    CHECK(q1.published == 3);
    CHECK(q1.delivered == 2);
    CHECK(q1.rejected_no_recipients == 1);
    CHECK(q1.rejected_no_topic == 1);
    CHECK(q1.rejected_bad_request == 1);
    CHECK(q1.consumers == 2);
    CHECK(q1.topics == 1);
    auto q2 = f.stats(Q2);
    CHECK(q2.type == conf::QueueType::all);
    CHECK(q2.published == 2);
    CHECK(q2.delivered == 3);
    CHECK(q2.dropped == 1);
    CHECK(q2.consumers == 3);
    CHECK(f.engine.stats().size() == 3);
}
