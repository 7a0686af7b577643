// What reliable queues show (docs/xmq.md "Reliable queues"): the topic stats
// form of disco#info, disco#items counts, QueueStats; and the Journal seam.
#include "reliable_fixture.hpp"

using namespace xmqtest;

namespace {

std::string form_field(const xmpp::Element& reply, const std::string& var) {
    const xmpp::Element* query = reply.child("query", xmpp::ns::disco_info);
    REQUIRE(query != nullptr);
    const xmpp::Element* form = query->child("x", xmpp::ns::data_forms);
    REQUIRE(form != nullptr);
    for (const auto& field : form->children())
        if (!field.is_text() && field.attr_or("var") == var) return field.child_text("value");
    return "<none>";
}

}  // namespace

TEST_CASE("disco#info on a topic node carries the urn:xmq:stats form") {
    ReliableFixture f(1, 10);
    f.sub(A, JOBS, "t");
    f.sub(B, JOBS, "t", 60, 95);  // not eligible
    for (int i = 0; i < 3; ++i) f.publish(P, JOBS, "t");
    f.send(std::string("<iq type='get' id='i' from='") + A + "' to='" + JOBS +
           "'><query xmlns='http://jabber.org/protocol/disco#info' node='t'/></iq>");
    const xmpp::Element& reply = f.sink.replies.back();
    CHECK(form_field(reply, "FORM_TYPE") == "urn:xmq:stats");
    CHECK(form_field(reply, "consumers") == "1");
    CHECK(form_field(reply, "unacked") == "1");
    CHECK(form_field(reply, "held") == "2");
}

TEST_CASE("a topic with held stanzas and no subscriber is still known to disco#info") {
    ReliableFixture f(0, 10);
    f.publish(P, JOBS, "lonely");
    f.send(std::string("<iq type='get' id='i' from='") + A + "' to='" + JOBS +
           "'><query xmlns='http://jabber.org/protocol/disco#info' node='lonely'/></iq>");
    CHECK(form_field(f.sink.replies.back(), "held") == "1");
}

TEST_CASE("disco#items on a reliable queue names held and unacked counts") {
    ReliableFixture f(1, 10);
    f.sub(A, JOBS, "t");
    f.publish(P, JOBS, "t");
    f.publish(P, JOBS, "t");
    f.send(std::string("<iq type='get' id='i' from='") + A + "' to='" + JOBS +
           "'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>");
    const xmpp::Element* query = f.sink.replies.back().child("query", xmpp::ns::disco_items);
    REQUIRE(query != nullptr);
    const xmpp::Element* item = query->child("item");
    REQUIRE(item != nullptr);
    CHECK(item->attr_or("name") == "t (1 consumer, 1 held, 1 unacked)");
}

namespace {

// Records what the engine reports of what it keeps.
class RecordingJournal final : public xmq::Journal {
public:
    void held(std::string_view, const xmq::KeptStanza& k) override { log.push_back("held " + k.id); }
    void unheld(std::string_view, std::string_view id) override { log.push_back("unheld " + std::string(id)); }
    void delivering(std::string_view, const xmq::KeptStanza& k, std::string_view to) override {
        log.push_back("delivering " + k.id + " " + std::to_string(k.attempts) + " " + std::string(to));
    }
    void settled(std::string_view, std::string_view id) override { log.push_back("settled " + std::string(id)); }
    void durable_subscribed(std::string_view, std::string_view topic, std::string_view full) override {
        log.push_back("durable " + std::string(topic) + " " + std::string(full));
    }
    void durable_ended(std::string_view, std::string_view topic, std::string_view full) override {
        log.push_back("ended " + std::string(topic) + " " + std::string(full));
    }
    std::vector<std::string> log;
};

}  // namespace

TEST_CASE("every change of kept state of a durable queue goes through the Journal") {
    RecordingJournal journal;
    FakeClock clock;
    FakeSink sink;
    conf::XmqConfig config = reliable_config(0, 10);
    for (auto& q : config.queues) q.durable = q.route == JOBS || q.route == FEED;
    xmq::Engine engine(config, {"localhost"}, clock.fn(), journal);
    auto send = [&](const std::string& text) {
        xmpp::Element stanza = xml(text);
        engine.handle(stanza, jid(stanza.attr_or("from")), sink);
    };
    send(std::string("<message from='") + P + "' to='" + JOBS + "'><xmq xmlns='xmq:topic' topic='t'/></message>");
    REQUIRE(journal.log.size() == 1);
    std::string id = journal.log[0].substr(5);
    CHECK(journal.log[0] == "held " + id);
    send(std::string("<iq type='set' id='s' from='") + A + "' to='" + JOBS +
         "'><xmq xmlns='xmq:command' command='sub' topic='t' ttl='60'/></iq>");
    CHECK(journal.log.back() == "delivering " + id + " 1 " + A);
    send(std::string("<iq type='set' id='a' from='") + A + "' to='" + JOBS +
         "'><xmq xmlns='xmq:command' command='ack' id='" + id + "'/></iq>");
    CHECK(journal.log.back() == "settled " + id);
    send(std::string("<iq type='set' id='s' from='") + B + "' to='" + FEED +
         "'><xmq xmlns='xmq:command' command='sub' topic='t' ttl='60' durable='true'/></iq>");
    CHECK(journal.log.back() == std::string("durable t ") + B);
    send(std::string("<iq type='set' id='s' from='") + B + "' to='" + FEED +
         "'><xmq xmlns='xmq:command' command='del' topic='t'/></iq>");
    CHECK(journal.log.back() == std::string("ended t ") + B);
}

TEST_CASE("a held stanza delivered on a once queue leaves the journal's hold") {
    RecordingJournal journal;
    FakeClock clock;
    FakeSink sink;
    conf::XmqConfig config = default_config();
    config.queues[0].hold = 5;  // queue1: ANY, once
    config.queues[0].durable = true;
    xmq::Engine engine(config, {"localhost"}, clock.fn(), journal);
    auto send = [&](const std::string& text) {
        xmpp::Element stanza = xml(text);
        engine.handle(stanza, jid(stanza.attr_or("from")), sink);
    };
    send(std::string("<message from='") + P + "' to='" + Q1 + "'><xmq xmlns='xmq:topic' topic='t'/></message>");
    REQUIRE(journal.log.size() == 1);
    std::string id = journal.log[0].substr(5);
    send(std::string("<iq type='set' id='s' from='") + A + "' to='" + Q1 +
         "'><xmq xmlns='xmq:command' command='sub' topic='t' ttl='60'/></iq>");
    CHECK(sink.deliveries.size() == 1);
    CHECK(journal.log.back() == "unheld " + id);
}
