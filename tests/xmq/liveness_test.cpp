// Liveness: ttl expiry with an injected clock, sweep, presence renewal and
// load, unavailable presence, session end.
#include "fixture.hpp"

using namespace xmqtest;

TEST_CASE("an expired subscription receives nothing, even before the sweep") {
    Fixture f;
    f.sub(A, Q1, "t", 10);
    f.clock.advance(9s);
    f.publish(P, Q1, "t");
    CHECK(f.sink.count_to(A) == 1);
    f.clock.advance(1s);  // exactly ttl seconds after the sub
    f.sink.clear();
    f.publish(P, Q1, "t");
    CHECK(f.sink.deliveries.empty());
    REQUIRE(f.sink.replies.size() == 1);
    CHECK(error_text(f.sink.replies[0]) == "No recipients found");
    CHECK(f.engine.eligible_consumers(Q1, "t") == 0);

    SUBCASE("ALL as well") {
        f.sub(B, Q2, "t", 5);
        f.clock.advance(5s);
        f.sink.clear();
        f.publish(P, Q2, "t");
        CHECK(f.sink.deliveries.empty());
    }
}

TEST_CASE("sweep removes expired subscriptions and only those") {
    Fixture f;
    f.sub(A, Q1, "t", 10);
    f.sub(B, Q1, "t", 100);
    f.sub(C, Q2, "u", 10);
    CHECK(f.stats(Q1).consumers == 2);
    f.clock.advance(10s);
    CHECK(f.stats(Q1).consumers == 1);  // expired ones are not counted live
    CHECK(f.sweep_count() == 2);
    CHECK(f.sweep_count() == 0);
    CHECK(f.stats(Q1).consumers == 1);
    CHECK(f.stats(Q1).expired == 1);
    CHECK(f.stats(Q2).topics == 0);
    CHECK(f.engine.sweep_interval() == 50s);
}

TEST_CASE("a directed available presence renews all the sender's subscriptions on that route") {
    Fixture f;
    f.sub(A, Q1, "t1", 10);
    f.sub(A, Q1, "t2", 20);
    f.sub(A, Q3, "t1", 10);
    f.clock.advance(8s);
    f.send("<presence from='a@localhost/r' to='queue1.localhost'/>");
    CHECK(f.sink.replies.size() == 3);  // presence is not answered
    f.clock.advance(9s);  // 17 s after sub, 9 s after the renewal
    CHECK(f.engine.eligible_consumers(Q1, "t1") == 1);
    CHECK(f.engine.eligible_consumers(Q1, "t2") == 1);
    CHECK(f.engine.eligible_consumers(Q3, "t1") == 0);  // other route: not renewed
    f.clock.advance(1s);  // 10 s after the renewal
    CHECK(f.engine.eligible_consumers(Q1, "t1") == 0);
    CHECK(f.engine.eligible_consumers(Q1, "t2") == 1);  // its own ttl: 20 s from renewal
    f.clock.advance(10s);
    CHECK(f.engine.eligible_consumers(Q1, "t2") == 0);
}

TEST_CASE("presence does not revive an expired subscription") {
    Fixture f;
    f.sub(A, Q1, "t", 10);
    f.clock.advance(11s);
    f.send("<presence from='a@localhost/r' to='queue1.localhost'/>");
    CHECK(f.engine.eligible_consumers(Q1, "t") == 0);
}

TEST_CASE("presence with xmq:load updates the load of the sender's subscriptions") {
    Fixture f;
    f.sub(A, Q3, "t", 60, 1);
    f.sub(B, Q3, "t", 60, 20);
    f.publish(P, Q3, "t");
    CHECK(f.sink.count_to(A) == 1);
    f.send("<presence from='a@localhost/r' to='queue3.localhost'><status>busy</status>"
           "<xmq xmlns='xmq:load' load='50'/></presence>");
    f.sink.clear();
    f.publish(P, Q3, "t");
    f.publish(P, Q3, "t");
    CHECK(f.sink.count_to(B) == 2);

    // Above max_load: out of the rotation; back again when the load drops.
    f.send("<presence from='a@localhost/r' to='queue1.localhost'/>");  // other route, nothing there
    f.sub(A, Q1, "u", 60, 1);
    f.send("<presence from='a@localhost/r' to='queue1.localhost'><xmq xmlns='xmq:load' load='95'/></presence>");
    CHECK(f.engine.eligible_consumers(Q1, "u") == 0);
    f.send("<presence from='a@localhost/r' to='queue1.localhost'><xmq xmlns='xmq:load' load='3'/></presence>");
    CHECK(f.engine.eligible_consumers(Q1, "u") == 1);
    // An invalid load is ignored; the presence still renews.
    f.send("<presence from='a@localhost/r' to='queue1.localhost'><xmq xmlns='xmq:load' load='lots'/></presence>");
    CHECK(f.engine.eligible_consumers(Q1, "u") == 1);
}

TEST_CASE("a directed unavailable presence removes the sender's subscriptions on that route") {
    Fixture f;
    f.sub(A, Q1, "t1");
    f.sub(A, Q1, "t2");
    f.sub(A, Q3, "t1");
    f.sub(B, Q1, "t1");
    f.send("<presence type='unavailable' from='a@localhost/r' to='queue1.localhost'/>");
    CHECK(f.engine.eligible_consumers(Q1, "t1") == 1);
    CHECK(f.engine.eligible_consumers(Q1, "t2") == 0);
    CHECK(f.engine.eligible_consumers(Q3, "t1") == 1);
    f.sink.clear();
    for (int i = 0; i < 3; ++i) f.publish(P, Q1, "t1");
    CHECK(f.sink.count_to(B) == 3);
    CHECK(f.sink.replies.empty());
}

TEST_CASE("session end removes the full JID's subscriptions on every route") {
    Fixture f;
    f.sub(A, Q1, "t");
    f.sub(A, Q2, "t");
    f.sub(A, Q3, "t");
    f.sub("a@localhost/other", Q1, "t");  // another resource of the same user stays
    f.engine.session_ended(jid(A), f.sink);
    CHECK(f.stats(Q1).consumers == 1);
    CHECK(f.stats(Q2).consumers == 0);
    CHECK(f.stats(Q3).consumers == 0);
    f.sink.clear();
    f.publish(P, Q1, "t");
    CHECK(f.sink.count_to("a@localhost/other") == 1);
}
