// The examples of mod_xmq's README, verbatim, as a client written
// for mod_xmq sends them; only the missing "/>" of its del example is fixed.
// Its user is user@sm-localhost and its queues are under localhost: so the
// queues here allow sm-localhost, a second virtual host.
#include "fixture.hpp"

using namespace xmqtest;

namespace {

constexpr const char* kSub = R"(<iq type='set'
    id='id1'
    to='queue1.localhost'
    from='user@sm-localhost/desktop' >
  <xmq xmlns='xmq:command'
       command='sub'
       topic='topic'
       ttl='60'
       load='1'/>
</iq>)";

constexpr const char* kDel = R"(<iq type='set'
    id='id2'
    to='queue1.localhost'
    from='user@sm-localhost/desktop' >
  <xmq xmlns='xmq:command'
       command='del'
       topic='topic'/>
</iq>)";

constexpr const char* kMessage = R"(<message type='chat'
         to='queue1.localhost'
         from='user@sm-localhost/desktop' >
  <body>Hello world</body>
  <subject>Subj</subject>
  <thread>Thread</thread>
  <xmq xmlns='xmq:topic'
       topic='topic'/>
</message>)";

constexpr const char* kIq = R"(<iq type='get'
    id='id3'
    to='queue1.localhost'
    from='user@sm-localhost/desktop' >
  <custom_query xmlns='::cusom_xml_ns'>some custom data</custom_query>
  <xmq xmlns='xmq:topic'
       topic='topic'/>
</iq>)";

// The README's ejabberd.yml, as docs/xmq.md §7 maps it to TOML.
conf::XmqConfig readme_config() {
    conf::XmqConfig config;
    config.check_expires_time = 50;
    config.queues = {queue("queue1.localhost", conf::QueueType::any, conf::Balance::round_robin,
                           {"sm-localhost", "localhost"}, {"sm-localhost", "localhost"}),
                     queue("queue2.localhost", conf::QueueType::all, conf::Balance::round_robin,
                           {"sm-localhost", "localhost"}, {"sm-localhost", "localhost"})};
    return config;
}

// The iq example as the element tree the parser gives for kIq (checked by
// the verbatim-parse test below).
xmpp::Element readme_iq(const std::string& route) {
    xmpp::Element iq("iq", std::string(xmpp::ns::client));
    iq.set_attr("type", "get");
    iq.set_attr("id", "id3");
    iq.set_attr("to", route);
    iq.set_attr("from", "user@sm-localhost/desktop");
    xmpp::Element custom("custom_query", "::cusom_xml_ns");
    custom.add_text("some custom data");
    iq.add_child(std::move(custom));
    xmpp::Element topic("xmq", std::string(xmpp::ns::xmq_topic));
    topic.set_attr("topic", "topic");
    iq.add_child(std::move(topic));
    return iq;
}

const std::vector<std::string> kReadmeHosts = {"localhost", "sm-localhost"};
constexpr const char* kUser = "user@sm-localhost/desktop";

}  // namespace

TEST_CASE("README: the sub example subscribes and is answered") {
    Fixture f(readme_config(), kReadmeHosts);
    f.send(kSub);
    REQUIRE(f.sink.replies.size() == 1);
    CHECK(f.sink.replies[0].attr_or("type") == "result");
    CHECK(f.sink.replies[0].attr_or("id") == "id1");
    CHECK(f.sink.replies[0].attr_or("to") == kUser);
    CHECK(f.engine.eligible_consumers(Q1, "topic") == 1);
    CHECK(f.engine.sweep_interval() == 50s);
}

TEST_CASE("README: the message example reaches the subscriber with every child") {
    Fixture f(readme_config(), kReadmeHosts);
    f.send(kSub);
    f.sub(A, Q1, "other");
    f.sink.clear();
    f.send(kMessage);
    REQUIRE(f.sink.deliveries.size() == 1);
    const auto& out = f.sink.deliveries[0].stanza;
    CHECK(f.sink.deliveries[0].to == kUser);
    CHECK(out.attr_or("to") == kUser);
    CHECK(out.attr_or("from") == kUser);
    CHECK(out.attr_or("type") == "chat");
    CHECK(out.child_text("body") == "Hello world");
    CHECK(out.child_text("subject") == "Subj");
    CHECK(out.child_text("thread") == "Thread");
    CHECK(out.child("xmq", xmpp::ns::xmq_topic) != nullptr);
    CHECK(f.sink.replies.empty());
}

TEST_CASE("README: the iq example is forwarded with both children to one consumer") {
    Fixture f(readme_config(), kReadmeHosts);
    f.send(kSub);
    f.sink.clear();
    f.send(readme_iq(Q1));
    REQUIRE(f.sink.deliveries.size() == 1);
    const auto& out = f.sink.deliveries[0].stanza;
    CHECK(out.attr_or("id") == "id3");
    CHECK(out.attr_or("type") == "get");
    CHECK(out.element_count() == 2);
    CHECK(out.child_text("custom_query", "::cusom_xml_ns") == "some custom data");
    CHECK(f.sink.replies.empty());
}

TEST_CASE("README: the del example (its missing '/>' fixed) removes the subscription") {
    Fixture f(readme_config(), kReadmeHosts);
    f.send(kSub);
    f.sink.clear();
    f.send(kDel);
    REQUIRE(f.sink.replies.size() == 1);
    CHECK(f.sink.replies[0].attr_or("type") == "result");
    CHECK(f.sink.replies[0].attr_or("id") == "id2");
    CHECK(f.engine.eligible_consumers(Q1, "topic") == 0);
    f.sink.clear();
    f.send(kMessage);
    REQUIRE(f.sink.replies.size() == 1);
    CHECK(error_text(f.sink.replies[0]) == "No recipients found");
}

TEST_CASE("README: the examples to the ALL queue") {
    auto retarget = [](std::string text) {
        for (auto pos = text.find("queue1"); pos != std::string::npos; pos = text.find("queue1"))
            text.replace(pos, 6, "queue2");
        return text;
    };
    Fixture f(readme_config(), kReadmeHosts);
    f.send(retarget(kSub));
    f.sub(A, Q2, "topic");
    f.sink.clear();
    f.send(retarget(kMessage));
    CHECK(f.sink.deliveries.size() == 2);
    f.send(readme_iq(Q2));
    REQUIRE(f.sink.replies.size() == 1);
    CHECK(error_condition(f.sink.replies[0]) == "feature-not-implemented");
}

TEST_CASE("README: with the default allow lists, user@sm-localhost is not a user of localhost") {
    conf::XmqConfig config;
    config.queues = {queue("queue1.localhost", conf::QueueType::any)};
    Fixture f(config, kReadmeHosts);
    f.send(kSub);
    REQUIRE(f.sink.replies.size() == 1);
    CHECK(error_condition(f.sink.replies[0]) == "forbidden");
}

// mod_xmq's README uses the namespace '::cusom_xml_ns', which is well-formed
// XML but not a URI; libxml2 reports it as a namespace error, which the
// StreamParser must not turn into a stream error (docs/xmq.md §7).
TEST_CASE("README: the iq example parses verbatim") {
    Collector collector;
    xmpp::StreamParser parser(collector);
    parser.feed("<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
                "to='localhost' version='1.0'>");
    parser.feed(kIq);
    INFO("parser error: " << collector.error);
    REQUIRE(collector.stanzas.size() == 1);
    const auto& iq = collector.stanzas[0];
    CHECK(iq.child_text("custom_query", "::cusom_xml_ns") == "some custom data");
    CHECK(iq.child("xmq", xmpp::ns::xmq_topic) != nullptr);
}
