// Configuration: normalised routes, parent hosts, reconfigure.
#include "fixture.hpp"

#include <stdexcept>

using namespace xmqtest;

TEST_CASE("routes are normalised to lower case") {
    conf::XmqConfig config;
    config.queues = {queue("Queue1.LocalHost", conf::QueueType::any)};
    Fixture f(config, {"LOCALHOST"});
    CHECK(f.engine.routes() == std::vector<std::string>{"queue1.localhost"});
    CHECK(f.engine.routes_of_host("localhost") == std::vector<std::string>{"queue1.localhost"});
    f.sub(A, Q1, "t");
    f.sink.clear();
    f.send("<message from='pub@localhost/p' to='QUEUE1.localhost'><xmq xmlns='xmq:topic' topic='t'/></message>");
    CHECK(f.sink.count_to(A) == 1);
}

TEST_CASE("a route that is not a subdomain of a served host is refused, naming it") {
    conf::XmqConfig config;
    config.queues = {queue("queue1.elsewhere", conf::QueueType::any)};
    FakeClock clock;
    CHECK_THROWS_WITH_AS(xmq::Engine(config, {"localhost"}, clock.fn()),
                         doctest::Contains("queue1.elsewhere"), std::invalid_argument);
    config.queues = {queue("localhost", conf::QueueType::any)};
    CHECK_THROWS_AS(xmq::Engine(config, {"localhost"}, clock.fn()), std::invalid_argument);
}

TEST_CASE("reconfigure keeps the subscriptions of routes that stay and drops removed routes") {
    Fixture f;
    f.sub(A, Q1, "t");
    f.sub(B, Q2, "t");
    f.sub(C, Q3, "t");

    conf::XmqConfig next;
    next.max_load = 90;
    next.check_expires_time = 7;
    next.queues = {queue("queue1.localhost", conf::QueueType::all),  // type changed
                   queue("queue4.localhost", conf::QueueType::any),  // added
                   queue("queue3.localhost", conf::QueueType::any)};
    f.engine.reconfigure(next, {"localhost"});

    CHECK(f.engine.routes() ==
          std::vector<std::string>{"queue1.localhost", "queue3.localhost", "queue4.localhost"});
    CHECK_FALSE(f.engine.is_route(Q2));
    CHECK(f.engine.sweep_interval() == 7s);
    CHECK(f.engine.eligible_consumers(Q1, "t") == 1);
    CHECK(f.engine.eligible_consumers(Q3, "t") == 1);
    CHECK(f.stats(Q1).type == conf::QueueType::all);

    f.sink.clear();
    f.send("<iq type='get' id='i' from='pub@localhost/p' to='queue1.localhost'>"
           "<xmq xmlns='xmq:topic' topic='t'/></iq>");
    CHECK(error_condition(f.sink.replies.at(0)) == "feature-not-implemented");  // now an ALL queue

    // The removed route comes back empty.
    f.engine.reconfigure(default_config(), {"localhost"});
    CHECK(f.engine.eligible_consumers(Q2, "t") == 0);
    CHECK(f.engine.eligible_consumers(Q1, "t") == 1);
}

TEST_CASE("reconfigure applies a new max_load, balance and subscribe list to kept subscriptions") {
    Fixture f;
    f.sub(A, Q1, "t", 60, 70);
    f.sub(B, Q1, "t", 60, 20);
    f.sub("eve@localhost/r", Q1, "t", 60, 10);
    auto next = default_config();
    next.max_load = 50;
    next.queues[0].balance = conf::Balance::least_load;
    next.queues[0].subscribe = {"a@localhost", "b@localhost"};
    f.engine.reconfigure(next, {"localhost"});
    CHECK(f.engine.eligible_consumers(Q1, "t") == 1);  // A over max_load, eve no longer allowed
    CHECK(f.stats(Q1).consumers == 2);
    f.sink.clear();
    f.publish(P, Q1, "t");
    CHECK(f.sink.count_to(B) == 1);
}

TEST_CASE("sweep_interval is check_expires_time") {
    auto config = default_config();
    config.check_expires_time = 10;
    Fixture f(config);
    CHECK(f.engine.sweep_interval() == 10s);
}

TEST_CASE("a stanza for a domain that is no route is answered item-not-found, errors excepted") {
    Fixture f;
    f.send("<message from='pub@localhost/p' to='nothing.localhost'><xmq xmlns='xmq:topic' topic='t'/></message>");
    f.send("<message type='error' from='pub@localhost/p' to='nothing.localhost'/>");
    f.send("<iq type='result' id='r' from='pub@localhost/p' to='nothing.localhost'/>");
    REQUIRE(f.sink.replies.size() == 1);
    CHECK(error_condition(f.sink.replies[0]) == "item-not-found");
}
