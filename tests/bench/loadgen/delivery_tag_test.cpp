// The acking consumers' reading of delivery tags and writing of ack commands
// (delivery_tag.hpp), on stanzas as a server writes them.
#include "delivery_tag.hpp"

#include <doctest/doctest.h>

using loadgen::ack_command;
using loadgen::delivery_tag;

TEST_CASE("the delivery tag after the publisher's topic, in either quote") {
    auto tag = delivery_tag(
        "<message from='u1@localhost/q0' to='u5@localhost/q4' type='normal'><body>@@00000001:0000000000000000042xx"
        "</body><xmq xmlns='xmq:topic' topic='bench'/><xmq xmlns='xmq:delivery' id='q1-17' attempt='1'/></message>");
    REQUIRE(tag);
    CHECK(tag->id == "q1-17");
    CHECK(tag->attempt == 1);

    tag = delivery_tag("<message><xmq attempt=\"3\" id=\"a&amp;b\" xmlns=\"xmq:delivery\"/></message>");
    REQUIRE(tag);
    CHECK(tag->id == "a&b");
    CHECK(tag->attempt == 3);
}

TEST_CASE("an element added after the tag (a stanza id) does not hide it") {
    auto tag = delivery_tag(
        "<message><xmq xmlns='xmq:delivery' id='7' attempt='2'></xmq><stanza-id xmlns='urn:xmpp:sid:0' id='x'/>"
        "</message>");
    REQUIRE(tag);
    CHECK(tag->id == "7");
    CHECK(tag->attempt == 2);
}

TEST_CASE("no tag: a plain queue's copy, another namespace, or an element that only starts like xmq") {
    CHECK_FALSE(delivery_tag("<message><body>hi</body><xmq xmlns='xmq:topic' topic='t'/></message>"));
    CHECK_FALSE(delivery_tag("<message><xmqx xmlns='xmq:delivery' id='1' attempt='1'/></message>"));
    // The stanza's own start tag is not a child.
    CHECK_FALSE(delivery_tag("<xmq xmlns='xmq:delivery' id='1' attempt='1'/>"));
    CHECK_FALSE(delivery_tag(""));
}

TEST_CASE("malformed tags are refused, not acknowledged with a wrong id") {
    CHECK_FALSE(delivery_tag("<message><xmq xmlns='xmq:delivery' attempt='1'/></message>"));
    CHECK_FALSE(delivery_tag("<message><xmq xmlns='xmq:delivery' id='' attempt='1'/></message>"));
    CHECK_FALSE(delivery_tag("<message><xmq xmlns='xmq:delivery' id='a b' attempt='1'/></message>"));
    CHECK_FALSE(delivery_tag("<message><xmq xmlns='xmq:delivery' id='1'/></message>"));
    CHECK_FALSE(delivery_tag("<message><xmq xmlns='xmq:delivery' id='1' attempt='0'/></message>"));
    CHECK_FALSE(delivery_tag("<message><xmq xmlns='xmq:delivery' id='1' attempt='-1'/></message>"));
    CHECK_FALSE(delivery_tag("<message><xmq xmlns='xmq:delivery' id='1' attempt='2x'/></message>"));
    CHECK_FALSE(delivery_tag("<message><xmq xmlns='xmq:delivery' id='1' attempt='99999999999'/></message>"));
    CHECK_FALSE(delivery_tag("<message><xmq xmlns='xmq:delivery' id='&bogus;' attempt='1'/></message>"));
}

TEST_CASE("the ack command lists the ids in order, escaped") {
    CHECK(ack_command("queue3.localhost", "ack1", {"q1-17", "q1-18"}) ==
          "<iq type='set' id='ack1' to='queue3.localhost'><xmq xmlns='xmq:command' command='ack' "
          "id='q1-17 q1-18'/></iq>");
    CHECK(ack_command("r", "i", {"a'b"}) ==
          "<iq type='set' id='i' to='r'><xmq xmlns='xmq:command' command='ack' id='a&apos;b'/></iq>");
    // What the parser reads back is what the command acks.
    auto back = delivery_tag("<message><xmq xmlns='xmq:delivery' id='x&lt;y' attempt='1'/></message>");
    REQUIRE(back);
    CHECK(ack_command("r", "i", {back->id}).find("id='x&lt;y'") != std::string::npos);
}
