// ANY / ALL dispatch: rotation, least-load, max_load, forwarding, errors.
#include "fixture.hpp"

using namespace xmqtest;

TEST_CASE("ANY round-robin: 30 messages over 3 consumers give 10 each") {
    Fixture f;
    f.sub(A, Q1, "t");
    f.sub(B, Q1, "t");
    f.sub(C, Q1, "t");
    for (int i = 0; i < 30; ++i) f.publish(P, Q1, "t");
    CHECK(f.sink.replies.size() == 3);  // only the three sub results
    CHECK(f.sink.count_to(A) == 10);
    CHECK(f.sink.count_to(B) == 10);
    CHECK(f.sink.count_to(C) == 10);
    // Rotation: no consumer gets two in a row.
    for (std::size_t i = 1; i < f.sink.deliveries.size(); ++i)
        CHECK(f.sink.deliveries[i].to != f.sink.deliveries[i - 1].to);
}

TEST_CASE("ANY round-robin rotates per topic, not with one global counter") {
    Fixture f;
    for (const char* who : {A, B}) {
        f.sub(who, Q1, "t1");
        f.sub(who, Q1, "t2");
    }
    std::map<std::string, std::map<std::string, int>> got;  // topic -> consumer -> count
    for (int i = 0; i < 8; ++i) {
        std::string topic = i % 2 == 0 ? "t1" : "t2";
        f.publish(P, Q1, topic);
        got[topic][f.sink.deliveries.back().to]++;
    }
    CHECK(got["t1"][A] == 2);
    CHECK(got["t1"][B] == 2);
    CHECK(got["t2"][A] == 2);
    CHECK(got["t2"][B] == 2);
}

TEST_CASE("ANY least-load picks the lowest load") {
    Fixture f;
    f.sub(A, Q3, "t", 60, 50);
    f.sub(B, Q3, "t", 60, 10);
    f.sub(C, Q3, "t", 60, 30);
    for (int i = 0; i < 5; ++i) f.publish(P, Q3, "t");
    CHECK(f.sink.count_to(B) == 5);
}

TEST_CASE("ANY least-load: equal lowest loads take turns") {
    Fixture f;
    f.sub(A, Q3, "t", 60, 10);
    f.sub(B, Q3, "t", 60, 10);
    f.sub(C, Q3, "t", 60, 50);
    for (int i = 0; i < 6; ++i) f.publish(P, Q3, "t");
    CHECK(f.sink.count_to(A) == 3);
    CHECK(f.sink.count_to(B) == 3);
    CHECK(f.sink.count_to(C) == 0);
}

TEST_CASE("a consumer whose load is above max_load gets nothing") {
    Fixture f;
    f.sub(A, Q1, "t", 60, 95);
    f.sub(B, Q1, "t", 60, 90);  // at max_load: still eligible
    for (int i = 0; i < 4; ++i) f.publish(P, Q1, "t");
    CHECK(f.sink.count_to(A) == 0);
    CHECK(f.sink.count_to(B) == 4);

    f.sub(A, Q2, "t", 60, 95);
    f.sub(C, Q2, "t", 60, 5);
    f.publish(P, Q2, "t");
    CHECK(f.sink.count_to(A) == 0);
    CHECK(f.sink.count_to(C) == 1);

    SUBCASE("only overloaded consumers: no recipients") {
        f.sink.clear();
        f.sub(C, Q3, "x", 60, 95);
        f.publish(P, Q3, "x");
        REQUIRE(f.sink.replies.size() == 2);
        CHECK(error_condition(f.sink.replies.back()) == "not-acceptable");
        CHECK(f.engine.eligible_consumers(Q3, "x") == 0);
    }
}

TEST_CASE("max_load comes from the configuration") {
    auto config = default_config();
    config.max_load = 50;
    Fixture f(config);
    f.sub(A, Q1, "t", 60, 60);
    f.sub(B, Q1, "t", 60, 40);
    f.publish(P, Q1, "t");
    f.publish(P, Q1, "t");
    CHECK(f.sink.count_to(B) == 2);
}

TEST_CASE("ANY: a consumer gone at delivery time is skipped for the next one") {
    Fixture f;
    f.sub(A, Q1, "t");
    f.sub(B, Q1, "t");
    f.sink.gone.insert(A);
    f.sink.clear();
    f.publish(P, Q1, "t");
    CHECK(f.sink.attempts[A] == 1);
    REQUIRE(f.sink.deliveries.size() == 1);
    CHECK(f.sink.deliveries[0].to == B);
    CHECK(f.sink.replies.empty());
    CHECK(f.stats(Q1).consumers_gone == 1);
    // The gone consumer's subscriptions are removed: never tried again.
    f.publish(P, Q1, "t");
    CHECK(f.sink.attempts[A] == 1);
    CHECK(f.sink.count_to(B) == 2);

    SUBCASE("every consumer gone: no recipients") {
        f.sink.gone.insert(B);
        f.sink.clear();
        f.publish(P, Q1, "t");
        REQUIRE(f.sink.replies.size() == 1);
        CHECK(error_condition(f.sink.replies[0]) == "not-acceptable");
        CHECK(error_text(f.sink.replies[0]) == "No recipients found");
    }
}

TEST_CASE("ALL: a copy to every eligible consumer; none: dropped silently") {
    Fixture f;
    f.sub(A, Q2, "t");
    f.sub(B, Q2, "t");
    f.sub(C, Q2, "t");
    f.sub("d@localhost/r", Q2, "t", 60, 99);
    f.sub("e@localhost/r", Q2, "other");
    f.sink.clear();
    f.publish(P, Q2, "t", "x1");
    CHECK(f.sink.deliveries.size() == 3);
    CHECK(f.sink.count_to(A) == 1);
    CHECK(f.sink.count_to(B) == 1);
    CHECK(f.sink.count_to(C) == 1);
    for (const auto& d : f.sink.deliveries) {
        CHECK(d.stanza.attr_or("to") == d.to);
        CHECK(d.stanza.child_text("body") == "x1");
    }
    CHECK(f.sink.replies.empty());

    f.sink.clear();
    f.publish(P, Q2, "nobody");
    CHECK(f.sink.deliveries.empty());
    CHECK(f.sink.replies.empty());
    CHECK(f.stats(Q2).dropped == 1);

    SUBCASE("a gone consumer does not stop the others") {
        f.sink.gone.insert(B);
        f.sink.clear();
        f.publish(P, Q2, "t");
        CHECK(f.sink.deliveries.size() == 2);
        CHECK(f.stats(Q2).consumers_gone == 1);
    }
}

TEST_CASE("ALL: an iq request gets feature-not-implemented, not one answer per consumer") {
    Fixture f;
    f.sub(A, Q2, "t");
    f.sub(B, Q2, "t");
    f.sink.clear();
    for (const char* type : {"get", "set"}) {
        f.send(std::string("<iq type='") + type + "' id='q' from='" + P +
               "' to='queue2.localhost'><q xmlns='urn:example'/><xmq xmlns='xmq:topic' topic='t'/></iq>");
    }
    CHECK(f.sink.deliveries.empty());
    REQUIRE(f.sink.replies.size() == 2);
    for (const auto& r : f.sink.replies) CHECK(error_condition(r) == "feature-not-implemented");
    CHECK(f.stats(Q2).rejected_unsupported == 2);
}

TEST_CASE("no topic element: not-acceptable, 'XMQ topic not found'") {
    Fixture f;
    f.sub(A, Q1, "t");
    f.sink.clear();
    f.send("<message id='m1' from='pub@localhost/p' to='queue1.localhost'><body>x</body></message>");
    f.send("<message id='m2' from='pub@localhost/p' to='queue2.localhost'><body>x</body>"
           "<xmq xmlns='xmq:topic'/></message>");
    f.send("<iq type='get' id='i1' from='pub@localhost/p' to='queue1.localhost'><q xmlns='urn:x'/></iq>");
    f.send("<iq type='set' id='i2' from='pub@localhost/p' to='queue1.localhost'/>");
    CHECK(f.sink.deliveries.empty());
    REQUIRE(f.sink.replies.size() == 4);
    for (const auto& r : f.sink.replies) {
        CHECK(r.attr_or("type") == "error");
        CHECK(r.attr_or("to") == "pub@localhost/p");
        CHECK(error_condition(r) == "not-acceptable");
        CHECK(error_text(r) == "XMQ topic not found");
    }
    CHECK(f.sink.replies[0].attr_or("id") == "m1");
    CHECK(f.stats(Q1).rejected_no_topic == 3);
}

TEST_CASE("ANY with no eligible consumer: not-acceptable, 'No recipients found'") {
    Fixture f;
    f.send("<message id='m1' from='pub@localhost/p' to='queue1.localhost'><body>x</body>"
           "<xmq xmlns='xmq:topic' topic='t'/></message>");
    f.send("<iq type='get' id='i1' from='pub@localhost/p' to='queue1.localhost'><q xmlns='urn:x'/>"
           "<xmq xmlns='xmq:topic' topic='t'/></iq>");
    REQUIRE(f.sink.replies.size() == 2);
    for (const auto& r : f.sink.replies) {
        CHECK(error_condition(r) == "not-acceptable");
        CHECK(error_text(r) == "No recipients found");
        CHECK(r.attr_or("from") == Q1);
    }
    CHECK(f.stats(Q1).rejected_no_recipients == 2);
}

TEST_CASE("the topic element is found in any position among the children") {
    Fixture f;
    f.sub(A, Q1, "t");
    f.sink.clear();
    f.send("<message from='pub@localhost/p' to='queue1.localhost'><body>1</body><subject>2</subject>"
           "<thread>3</thread><x xmlns='urn:y'/><xmq xmlns='xmq:topic' topic='t'/></message>");
    CHECK(f.sink.deliveries.size() == 1);
    CHECK(f.sink.replies.empty());
}

TEST_CASE("a forwarded stanza keeps every child, id and type; only to and from change") {
    Fixture f;
    f.sub(A, Q1, "t");
    const std::string text =
        "<message type='chat' id='m42' from='pub@localhost/p' to='queue1.localhost' xml:lang='en'>"
        "<body>Hello world</body><subject>Subj</subject><thread>Thread</thread>"
        "<xmq xmlns='xmq:topic' topic='t'/><custom xmlns='urn:example' a='1'>data</custom></message>";
    xmpp::Element original = xml(text);
    // The authenticated sender stamps 'from' (a client-forged one would be replaced).
    xmpp::Element forged = original;
    forged.set_attr("from", "someone@else/x");
    f.engine.handle(forged, jid("pub@localhost/p"), f.sink);
    REQUIRE(f.sink.deliveries.size() == 1);
    const xmpp::Element& out = f.sink.deliveries[0].stanza;
    CHECK(out.attr_or("to") == A);
    CHECK(out.attr_or("from") == "pub@localhost/p");
    CHECK(out.attr_or("id") == "m42");
    CHECK(out.attr_or("type") == "chat");
    CHECK(out.attr_or("xml:lang") == "en");
    CHECK(out.attributes().size() == original.attributes().size());
    xmpp::Element expected = original;
    expected.set_attr("to", A);
    CHECK(xmpp::to_string(out) == xmpp::to_string(expected));
}

TEST_CASE("ANY: an iq request is forwarded with both children, and its id, to one consumer") {
    Fixture f;
    f.sub(A, Q1, "t");
    f.sink.clear();
    f.send("<iq type='get' id='id3' from='pub@localhost/p' to='queue1.localhost'>"
           "<custom_query xmlns='urn:example'>some custom data</custom_query>"
           "<xmq xmlns='xmq:topic' topic='t'/></iq>");
    REQUIRE(f.sink.deliveries.size() == 1);
    const auto& out = f.sink.deliveries[0].stanza;
    CHECK(out.attr_or("id") == "id3");
    CHECK(out.attr_or("from") == "pub@localhost/p");
    CHECK(out.element_count() == 2);
    CHECK(out.child_text("custom_query", "urn:example") == "some custom data");
    CHECK(f.sink.replies.empty());  // the consumer answers the sender directly
}

TEST_CASE("stanzas of type error and iq results/errors to a route are dropped, never answered") {
    Fixture f;
    f.sub(A, Q1, "t");
    f.sub(A, Q2, "t");
    f.sink.clear();
    for (const char* route : {Q1, Q2}) {
        std::string to = route;
        f.send("<message type='error' from='pub@localhost/p' to='" + to +
               "'><xmq xmlns='xmq:topic' topic='t'/><error type='cancel'>"
               "<service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>");
        f.send("<message type='error' from='pub@localhost/p' to='" + to + "'/>");
        f.send("<iq type='result' id='r' from='pub@localhost/p' to='" + to + "'/>");
        f.send("<iq type='result' id='r' from='pub@localhost/p' to='" + to +
               "'><xmq xmlns='xmq:topic' topic='t'/></iq>");
        f.send("<iq type='error' id='r' from='pub@localhost/p' to='" + to + "'><error type='cancel'>"
               "<bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>");
        f.send("<presence type='error' from='pub@localhost/p' to='" + to + "'/>");
    }
    CHECK(f.sink.deliveries.empty());
    CHECK(f.sink.replies.empty());
    CHECK(f.stats(Q1).dropped == 6);
}
