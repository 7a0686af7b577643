"""XMQ queues end to end (docs/xmq.md): subscribe, publish, ANY and ALL
dispatch, load, ttl and presence liveness, errors, discovery, allow lists, SIGHUP.

Each test is a short conversation between signed-in clients and the queue routes
queue1.localhost (ANY, round-robin) and queue2.localhost (ALL). Topics are unique
per test, so tests on the shared server do not see each other's subscriptions.
The shared server sweeps expired subscriptions only every hour: expiry seen here
is the engine's own check, not the sweep.
"""

import asyncio
import uuid

import pytest

from conftest import USERS
from xmpp_client import Client, signed_in
from xmq_helpers import (CLIENT, DISCO_INFO, DISCO_ITEMS, Q_ALL, Q_ANY, XMQ_COMMAND, XMQ_TOPIC,
                         Peer, body_of, configure_xmq, started_xmq_server, msg, new_id, reload_config,
                         restart_if_dead, show, signed_in_peers, stanza_error, topic_of)

NO_RECIPIENTS = "No recipients found"
NO_TOPIC = "XMQ topic not found"


def fresh_topic(name="t") -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"


def is_message(e):
    return e.tag == f"{CLIENT}message"


def is_delivery(e):
    """A stanza forwarded by a queue (it carries the topic element), not an error."""
    return e.get("type") != "error" and e.find(f"{{{XMQ_TOPIC}}}xmq") is not None


@pytest.fixture(scope="module")
def xmq_module_server(make_server):
    with started_xmq_server(make_server, "xmq", check_expires_time=3600) as server:
        yield server


@pytest.fixture
def server(xmq_module_server):
    return restart_if_dead(xmq_module_server)


def started(make_server, name, users=USERS, hosts=("localhost",), **xmq):
    server = make_server(name, users=users, hosts=hosts)
    configure_xmq(server, **xmq)
    server.start()
    return server


async def client_sub(client: Client, route, topic, ttl=60, load=1):
    answer = await client.iq("set", route, f"<xmq xmlns='xmq:command' command='sub' topic='{topic}' "
                                           f"ttl='{ttl}' load='{load}'/>")
    assert answer["type"] == "result", f"{client.jid}: sub {topic} on {route} refused: {answer}"


# --------------------------------------------------------------------------- ALL: fan-out


async def test_all_queue_three_consumers_each_get_every_message(server):
    topic = fresh_topic("fanout")
    async with signed_in(server, "carol", resource="c1") as c1, \
               signed_in(server, "dave", resource="d1") as c2, \
               signed_in(server, "erin", resource="e1") as c3, \
               Peer(server, "alice") as alice:
        consumers = [c1, c2, c3]
        for c in consumers:
            await client_sub(c, Q_ALL, topic)
        await alice.send("".join(msg(Q_ALL, topic, f"news {i}") for i in range(5)))
        for c in consumers:
            got = [await c.next_message() for _ in range(5)]
            assert [m["body"] for m in got] == [f"news {i}" for i in range(5)]
            for m in got:
                assert m["from"].full == alice.jid       # the publisher's full JID
                assert m["to"].full == c.jid             # the consumer's full JID
                assert m["type"] == "chat"
                assert m.xml.find(f"{{{XMQ_TOPIC}}}xmq").get("topic") == topic  # children kept
            await c.silence(0.3)
        # ALL with consumers: no error for the publisher.
        await alice.silence(0.3)


async def test_all_queue_without_consumers_drops_silently(server):
    async with Peer(server, "alice") as alice:
        await alice.publish(Q_ALL, fresh_topic("nobody"), "into the void")
        await alice.barrier()
        await alice.silence(0.5)


# --------------------------------------------------------------------------- ANY: one consumer each


async def test_any_queue_round_robin_30_messages_over_3_consumers_10_each(server):
    topic = fresh_topic("work")
    async with signed_in(server, "carol", resource="w1") as c1, \
               signed_in(server, "dave", resource="w2") as c2, \
               signed_in(server, "erin", resource="w3") as c3, \
               Peer(server, "alice") as alice:
        consumers = [c1, c2, c3]
        for c in consumers:
            await client_sub(c, Q_ANY, topic)
        await alice.send("".join(msg(Q_ANY, topic, f"job {i}") for i in range(30)))

        async def take(c, count):
            return [(await c.next_message())["body"] for _ in range(count)]

        got = await asyncio.gather(*(take(c, 10) for c in consumers))
        for c in consumers:
            await c.silence(0.5)  # and not one more
        everything = sorted(b for bodies in got for b in bodies)
        assert everything == sorted(f"job {i}" for i in range(30)), "each message exactly once"
        await alice.silence(0.2)


async def test_any_queue_consumer_over_max_load_gets_nothing(server):
    topic = fresh_topic("load")
    async with signed_in_peers(server, "alice", "carol", "dave") as (alice, busy, idle):
        await busy.sub(Q_ANY, topic, load=95)
        await idle.sub(Q_ANY, topic, load=1)
        await alice.send("".join(msg(Q_ANY, topic, f"m{i}") for i in range(6)))
        got = await idle.messages(6)
        assert sorted(body_of(m) for m in got) == [f"m{i}" for i in range(6)]
        await busy.silence(0.5)

        # Only the busy consumer left: no recipients.
        await idle.unsub(Q_ANY, topic)
        await alice.publish(Q_ANY, topic, "anyone?")
        err = await alice.expect_error("not-acceptable", NO_RECIPIENTS)
        assert err.get("from") == Q_ANY
        await busy.silence(0.5)


async def test_all_queue_consumer_over_max_load_gets_nothing(server):
    topic = fresh_topic("allload")
    async with signed_in_peers(server, "alice", "carol", "dave") as (alice, busy, idle):
        await busy.sub(Q_ALL, topic, load=91)
        await idle.sub(Q_ALL, topic, load=90)  # max_load 90: "above" is excluded, 90 is not
        await alice.publish(Q_ALL, topic, "hello")
        assert body_of(await idle.next_message()) == "hello"
        await busy.silence(0.5)
        await alice.silence(0.1)


async def test_any_queue_disconnected_consumer_is_skipped(server):
    topic = fresh_topic("gone")
    async with signed_in_peers(server, "alice", "carol", "dave") as (alice, leaver, stayer):
        await leaver.sub(Q_ANY, topic)
        await stayer.sub(Q_ANY, topic)
        await leaver.sign_out()
        await alice.send("".join(msg(Q_ANY, topic, f"m{i}") for i in range(6)))
        got = await stayer.messages(6)
        assert sorted(body_of(m) for m in got) == [f"m{i}" for i in range(6)]
        await alice.silence(0.3)  # no error: every message found its consumer


async def test_any_queue_consumer_whose_connection_is_lost_is_skipped(server):
    topic = fresh_topic("cut")
    async with signed_in_peers(server, "alice", "carol", "dave") as (alice, lost, stayer):
        await lost.sub(Q_ANY, topic)
        await stayer.sub(Q_ANY, topic)
        lost.cut()
        await asyncio.sleep(0.3)
        await alice.send("".join(msg(Q_ANY, topic, f"m{i}") for i in range(6)))
        got = await stayer.messages(6)
        assert sorted(body_of(m) for m in got) == [f"m{i}" for i in range(6)]
        await alice.silence(0.3)


async def test_slixmpp_consumer_signing_out_is_skipped(server):
    topic = fresh_topic("signout")
    async with Peer(server, "alice") as alice, signed_in(server, "dave", resource="stay") as stayer:
        leaver = Client(server, "carol", resource="leave")
        await leaver.sign_in()
        await client_sub(leaver, Q_ANY, topic)
        await client_sub(stayer, Q_ANY, topic)
        await leaver.sign_out()
        await alice.send("".join(msg(Q_ANY, topic, f"m{i}") for i in range(4)))
        got = [(await stayer.next_message())["body"] for _ in range(4)]
        assert sorted(got) == [f"m{i}" for i in range(4)]
        await alice.silence(0.3)


async def test_session_replaced_by_new_login_loses_its_subscriptions(server):
    topic = fresh_topic("replaced")
    async with Peer(server, "alice") as alice:
        async with Peer(server, "carol", resource="same") as old:
            await old.sub(Q_ANY, topic)
            async with Peer(server, "carol", resource="same") as new:
                await new.barrier()
                await alice.publish(Q_ANY, topic, "who gets it?")
                await alice.expect_error("not-acceptable", NO_RECIPIENTS)
                await new.silence(0.3, is_delivery, "delivery")


# --------------------------------------------------------------------------- iq through a queue


async def test_iq_through_any_queue_gets_the_consumers_answer(server):
    topic = fresh_topic("rpc")
    async with signed_in_peers(server, "alice", "carol") as (alice, worker):
        await worker.sub(Q_ANY, topic)
        await alice.send(f"<iq type='get' id='rpc1' to='{Q_ANY}'>"
                         f"<custom_query xmlns='urn:example'>2+2</custom_query>"
                         f"<xmq xmlns='xmq:topic' topic='{topic}'/></iq>")
        request = await worker.next(lambda e: e.tag == f"{CLIENT}iq", what="forwarded iq")
        assert request.get("type") == "get" and request.get("id") == "rpc1"
        assert request.get("from") == alice.jid and request.get("to") == worker.jid
        children = [c.tag for c in request]
        assert children == ["{urn:example}custom_query", f"{{{XMQ_TOPIC}}}xmq"], show(request)
        assert request.find("{urn:example}custom_query").text == "2+2"

        await worker.send(f"<iq type='result' id='{request.get('id')}' to='{request.get('from')}'>"
                          f"<custom_query xmlns='urn:example'>4</custom_query></iq>")
        answer = await alice.next(lambda e: e.tag == f"{CLIENT}iq" and e.get("id") == "rpc1", what="answer")
        assert answer.get("type") == "result", show(answer)
        assert answer.get("from") == worker.jid
        assert answer.find("{urn:example}custom_query").text == "4"


async def test_iq_set_through_any_queue_with_topic_first(server):
    topic = fresh_topic("rpcset")
    async with signed_in_peers(server, "alice", "carol") as (alice, worker):
        await worker.sub(Q_ANY, topic)
        await alice.send(f"<iq type='set' id='rpc2' to='{Q_ANY}'><xmq xmlns='xmq:topic' topic='{topic}'/>"
                         f"<job xmlns='urn:example'>run</job></iq>")
        request = await worker.next(lambda e: e.tag == f"{CLIENT}iq", what="forwarded iq")
        assert (request.get("type"), request.get("id"), request.get("from")) == ("set", "rpc2", alice.jid)
        await worker.send(f"<iq type='error' id='rpc2' to='{alice.jid}'><job xmlns='urn:example'>run</job>"
                          f"<error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
                          f"</error></iq>")
        answer = await alice.next(lambda e: e.tag == f"{CLIENT}iq" and e.get("id") == "rpc2", what="answer")
        assert answer.get("type") == "error" and answer.get("from") == worker.jid
        assert stanza_error(answer)[0] == "item-not-found"


async def test_iq_to_any_queue_without_consumers_not_acceptable(server):
    async with Peer(server, "alice") as alice:
        answer = await alice.iq(f"<iq type='get' id='{new_id()}' to='{Q_ANY}'>"
                                f"<q xmlns='urn:example'/><xmq xmlns='xmq:topic' topic='{fresh_topic()}'/></iq>")
        assert answer.get("type") == "error"
        assert stanza_error(answer) == ("not-acceptable", NO_RECIPIENTS), show(answer)


@pytest.mark.parametrize("itype", ["get", "set"])
async def test_iq_request_to_all_queue_is_feature_not_implemented(server, itype):
    topic = fresh_topic("allrpc")
    async with signed_in_peers(server, "alice", "carol") as (alice, consumer):
        await consumer.sub(Q_ALL, topic)
        answer = await alice.iq(f"<iq type='{itype}' id='{new_id()}' to='{Q_ALL}'>"
                                f"<q xmlns='urn:example'/><xmq xmlns='xmq:topic' topic='{topic}'/></iq>")
        assert answer.get("type") == "error"
        assert stanza_error(answer)[0] == "feature-not-implemented", show(answer)
        await consumer.silence(0.5)


# --------------------------------------------------------------------------- mod_xmq's README, verbatim

README_SUB = """<iq type='set'
    id='id1'
    to='queue1.localhost'
    from='user@sm-localhost/desktop' >
  <xmq xmlns='xmq:command'
       command='sub'
       topic='topic'
       ttl='60'
       load='1'/>
</iq>"""

# The README's own del lacks the "/>" of <xmq .../>: fixed here, nothing else changed.
README_DEL = """<iq type='set'
    id='id2'
    to='queue1.localhost'
    from='user@sm-localhost/desktop' >
  <xmq xmlns='xmq:command'
       command='del'
       topic='topic'/>
</iq>"""

README_MESSAGE = """<message type='chat'
         to='queue1.localhost'
         from='user@sm-localhost/desktop' >
  <body>Hello world</body>
  <subject>Subj</subject>
  <thread>Thread</thread>
  <xmq xmlns='xmq:topic'
       topic='topic'/>
</message>"""

README_IQ = """<iq type='get'
    id='id3'
    to='queue1.localhost'
    from='user@sm-localhost/desktop' >
  <custom_query xmlns='::cusom_xml_ns'>some custom data</custom_query>
  <xmq xmlns='xmq:topic'
       topic='topic'/>
</iq>"""


async def readme_conversation(publisher: Peer, consumer: Peer, as_sent):
    """The README's four examples in order: sub, message, iq, del; then nobody is left.
    AS_SENT(peer, text) gives the bytes a peer sends for a README example."""
    # sub: answered with a result of the same id.
    await consumer.send(as_sent(consumer, README_SUB))
    answer = await consumer.next(lambda e: e.get("id") == "id1", what="answer to the README sub")
    assert (answer.tag, answer.get("type")) == (f"{CLIENT}iq", "result"), show(answer)

    # message: forwarded with body, subject, thread and the topic.
    await publisher.send(as_sent(publisher, README_MESSAGE))
    m = await consumer.next(lambda e: is_message(e) and is_delivery(e), what="the README message")
    assert m.get("type") == "chat" and m.get("from") == publisher.jid and m.get("to") == consumer.jid
    assert body_of(m) == "Hello world"
    assert m.findtext(f"{CLIENT}subject") == "Subj"
    assert m.findtext(f"{CLIENT}thread") == "Thread"
    assert topic_of(m) == "topic"

    # iq: forwarded with both children; the consumer's answer reaches the publisher.
    await publisher.send(as_sent(publisher, README_IQ))
    iq = await consumer.next(lambda e: e.tag == f"{CLIENT}iq" and e.get("id") == "id3"
                             and e.get("type") == "get", what="the README iq")
    assert iq.get("from") == publisher.jid and iq.get("to") == consumer.jid
    assert iq.findtext("{::cusom_xml_ns}custom_query") == "some custom data", show(iq)
    assert topic_of(iq) == "topic"
    await consumer.send(f"<iq type='result' id='id3' to='{iq.get('from')}'/>")
    answer = await publisher.next(lambda e: e.tag == f"{CLIENT}iq" and e.get("id") == "id3"
                                  and e.get("type") in ("result", "error"), what="answer to the README iq")
    assert answer.get("type") == "result" and answer.get("from") == consumer.jid, show(answer)

    # del: answered, and the subscription is really gone.
    await consumer.send(as_sent(consumer, README_DEL))
    answer = await consumer.next(lambda e: e.get("id") == "id2", what="answer to the README del")
    assert (answer.tag, answer.get("type")) == (f"{CLIENT}iq", "result"), show(answer)
    await publisher.send(as_sent(publisher, README_MESSAGE))
    await publisher.expect_error("not-acceptable", NO_RECIPIENTS)


async def test_payload_namespace_need_not_be_a_uri(server):
    """The README's custom_query uses xmlns='::cusom_xml_ns', not a URI: XMPP compares
    namespace names as strings, and mod_xmq (expat) passes it through. The stream must
    survive it and the stanza be delivered as sent."""
    topic = fresh_topic("nsuri")
    async with signed_in_peers(server, "alice", "carol") as (alice, carol):
        await carol.sub(Q_ANY, topic)
        await alice.send(f"<message to='{Q_ANY}'><body>b</body><q xmlns='::cusom_xml_ns'>data</q>"
                         f"<xmq xmlns='xmq:topic' topic='{topic}'/></message>")
        try:
            m = await carol.next_message(5)
        except AssertionError as nothing:
            await alice.gather(1.0)  # read what the server told the publisher
            raise AssertionError(f"{nothing}\n{alice.transcript()[-1500:]}") from None
        assert m.findtext("{::cusom_xml_ns}q") == "data", show(m)
        await alice.barrier()  # the publisher's stream is still up


async def test_seed_readme_examples_with_the_senders_own_from(server):
    """The README's stanzas byte for byte, but for its placeholder sender in 'from'
    (a client may only claim its own JID), on queue1.localhost of the shared server."""
    def as_sent(peer, text):
        return text.replace("user@sm-localhost/desktop", peer.jid)

    async with signed_in_peers(server, "alice", "carol") as (publisher, consumer):
        await readme_conversation(publisher, consumer, as_sent)


async def test_seed_readme_examples_byte_for_byte(make_server):
    """The README's stanzas unchanged (but the del's "/>"), from user@sm-localhost/desktop
    itself: a server serving localhost and sm-localhost, its queues open to both hosts.
    The publisher is on sm-localhost, the route under localhost (docs/xmq.md §6: consumers
    are the route's, whoever publishes)."""
    both = ["localhost", "sm-localhost"]
    server = started(make_server, "xmq-readme", users={"user@sm-localhost": "user-secret"},
                     hosts=("localhost", "sm-localhost"),
                     queues=[{"route": Q_ANY, "type": "any", "publish": both, "subscribe": both},
                             {"route": Q_ALL, "type": "all", "publish": both, "subscribe": both}])
    async with Peer(server, "user", domain="sm-localhost", resource="desktop") as user:
        assert user.jid == "user@sm-localhost/desktop"
        # One session publishes and consumes: everything comes back to it.
        await readme_conversation(user, user, lambda peer, text: text)


# --------------------------------------------------------------------------- commands


async def test_every_command_is_answered_and_does_what_it_says(server):
    topic, other = fresh_topic("cmd"), fresh_topic("cmd2")
    async with signed_in_peers(server, "alice", "carol") as (alice, consumer):
        answer = await consumer.command(Q_ANY, command="sub", topic=topic, ttl=60, load=1)
        assert answer.get("type") == "result" and answer.get("from") == Q_ANY, show(answer)
        # sub again: replaces ttl and load (load 95: no longer eligible)
        answer = await consumer.command(Q_ANY, command="sub", topic=topic, ttl=60, load=95)
        assert answer.get("type") == "result", show(answer)
        await alice.publish(Q_ANY, topic, "busy?")
        await alice.expect_error("not-acceptable", NO_RECIPIENTS)
        answer = await consumer.command(Q_ANY, command="sub", topic=topic, ttl=60, load=0)
        assert answer.get("type") == "result", show(answer)
        await alice.publish(Q_ANY, topic, "free?")
        assert body_of(await consumer.next_message()) == "free?"

        # del with a topic removes that topic only
        await consumer.sub(Q_ANY, other)
        answer = await consumer.command(Q_ANY, command="del", topic=topic)
        assert answer.get("type") == "result", show(answer)
        await alice.publish(Q_ANY, topic, "after del")
        await alice.expect_error("not-acceptable", NO_RECIPIENTS)
        await alice.publish(Q_ANY, other, "other topic")
        assert body_of(await consumer.next_message()) == "other topic"

        # del without a topic removes all of the client's subscriptions on the route
        await consumer.sub(Q_ANY, topic)
        await consumer.sub(Q_ALL, topic)
        answer = await consumer.command(Q_ANY, command="del")
        assert answer.get("type") == "result", show(answer)
        for t in (topic, other):
            await alice.publish(Q_ANY, t, "after del all")
            await alice.expect_error("not-acceptable", NO_RECIPIENTS)
        # ... on that route only
        await alice.publish(Q_ALL, topic, "still on queue2")
        assert body_of(await consumer.next_message()) == "still on queue2"

        # del of a topic never subscribed: still answered
        answer = await consumer.command(Q_ANY, command="del", topic=fresh_topic("never"))
        assert answer.get("type") == "result", show(answer)


BAD_COMMANDS = {
    "no-command": ({"topic": "t", "ttl": 60, "load": 1}, "command"),
    "unknown-command": ({"command": "frobnicate", "topic": "t", "ttl": 60, "load": 1}, "command"),
    "empty-command": ({"command": "", "topic": "t", "ttl": 60, "load": 1}, "command"),
    "sub-no-topic": ({"command": "sub", "ttl": 60, "load": 1}, "topic"),
    "ttl-not-integer": ({"command": "sub", "topic": "t", "ttl": "abc", "load": 1}, "ttl"),
    "ttl-fraction": ({"command": "sub", "topic": "t", "ttl": "1.5", "load": 1}, "ttl"),
    "ttl-zero": ({"command": "sub", "topic": "t", "ttl": 0, "load": 1}, "ttl"),
    "ttl-negative": ({"command": "sub", "topic": "t", "ttl": -5, "load": 1}, "ttl"),
    "load-not-integer": ({"command": "sub", "topic": "t", "ttl": 60, "load": "x"}, "load"),
    "load-over-100": ({"command": "sub", "topic": "t", "ttl": 60, "load": 101}, "load"),
    "load-negative": ({"command": "sub", "topic": "t", "ttl": 60, "load": -1}, "load"),
}


@pytest.mark.parametrize("case", BAD_COMMANDS)
async def test_bad_command_is_bad_request_naming_the_attribute(server, case):
    attrs, attribute = BAD_COMMANDS[case]
    async with Peer(server, "carol") as carol:
        answer = await carol.command(Q_ANY, **attrs)
        assert answer.get("type") == "error", show(answer)
        condition, text = stanza_error(answer)
        assert condition == "bad-request", show(answer)
        assert text and attribute in text.lower(), f"text should name {attribute!r}: {show(answer)}"


async def test_bad_sub_creates_no_subscription(server):
    topic = fresh_topic("badsub")
    async with signed_in_peers(server, "alice", "carol") as (alice, carol):
        answer = await carol.command(Q_ANY, command="sub", topic=topic, ttl=60, load=101)
        assert stanza_error(answer)[0] == "bad-request"
        await alice.publish(Q_ANY, topic, "anyone?")
        await alice.expect_error("not-acceptable", NO_RECIPIENTS)


async def test_command_attribute_order_does_not_matter(server):
    topic = fresh_topic("order")
    async with signed_in_peers(server, "alice", "carol") as (alice, carol):
        answer = await carol.iq(f"<iq id='o1' to='{Q_ANY}' type='set'><xmq load='1' ttl='60' topic='{topic}' "
                                f"command='sub' xmlns='xmq:command'/></iq>")
        assert answer.get("type") == "result", show(answer)
        await alice.publish(Q_ANY, topic, "in order")
        assert body_of(await carol.next_message()) == "in order"
        answer = await carol.iq(f"<iq to='{Q_ANY}' type='set' id='o2'><xmq topic='{topic}' xmlns='xmq:command' "
                                f"command='del'/></iq>")
        assert answer.get("type") == "result", show(answer)
        await alice.publish(Q_ANY, topic, "gone")
        await alice.expect_error("not-acceptable", NO_RECIPIENTS)


async def test_route_name_is_case_insensitive(server):
    topic = fresh_topic("case")
    async with signed_in_peers(server, "alice", "carol") as (alice, carol):
        await carol.sub("Queue1.LocalHost", topic)
        await alice.publish(Q_ANY, topic, "lower")
        assert body_of(await carol.next_message()) == "lower"


# --------------------------------------------------------------------------- publishing


FILLERS = ["<body>b</body>", "<subject>s</subject>", "<thread>th</thread>",
           "<x xmlns='urn:example:a'/>", "<y xmlns='urn:example:b'>y</y>"]


@pytest.mark.parametrize("position", [1, 2, 3, 4, 6])
async def test_topic_element_found_in_any_position(server, position):
    topic = fresh_topic(f"pos{position}")
    children = FILLERS[:]
    children.insert(position - 1, f"<xmq xmlns='xmq:topic' topic='{topic}'/>")
    async with signed_in_peers(server, "alice", "carol") as (alice, carol):
        await carol.sub(Q_ANY, topic)
        await alice.send(f"<message type='normal' to='{Q_ANY}'>{''.join(children)}</message>")
        m = await carol.next(is_message, what="delivery")
        assert m.get("type") != "error", f"sent topic in position {position}, got {show(m)}"
        assert [c.tag for c in m][position - 1] == f"{{{XMQ_TOPIC}}}xmq"
        assert len(list(m)) == 6 and body_of(m) == "b"


async def test_message_without_topic_is_not_acceptable(server):
    async with Peer(server, "alice") as alice:
        for route in (Q_ANY, Q_ALL):
            await alice.send(f"<message type='chat' to='{route}' id='nt-{route}'><body>no topic</body></message>")
            err = await alice.expect_error("not-acceptable", NO_TOPIC)
            assert err.get("from") == route and err.get("id") == f"nt-{route}"


async def test_topic_in_another_namespace_is_no_topic(server):
    async with Peer(server, "alice") as alice:
        await alice.send(f"<message to='{Q_ANY}'><body>x</body><xmq xmlns='xmq:command' topic='t'/></message>")
        await alice.expect_error("not-acceptable", NO_TOPIC)


async def test_iq_without_topic_is_not_acceptable(server):
    async with Peer(server, "alice") as alice:
        answer = await alice.iq(f"<iq type='get' id='{new_id()}' to='{Q_ANY}'><q xmlns='urn:example'/></iq>")
        assert answer.get("type") == "error"
        assert stanza_error(answer) == ("not-acceptable", NO_TOPIC), show(answer)


async def test_errors_and_results_to_a_route_are_dropped_not_answered(server):
    topic = fresh_topic("noloop")
    async with signed_in_peers(server, "alice", "carol") as (alice, carol):
        await carol.sub(Q_ANY, topic)
        await carol.sub(Q_ALL, topic)
        for route in (Q_ANY, Q_ALL):
            await alice.send(f"<message type='error' to='{route}'><body>e</body>"
                             f"<xmq xmlns='xmq:topic' topic='{topic}'/>"
                             f"<error type='cancel'><undefined-condition "
                             f"xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>")
            await alice.send(f"<message type='error' to='{route}'><body>no topic</body></message>")
            await alice.send(f"<iq type='result' id='{new_id()}' to='{route}'/>")
            await alice.send(f"<iq type='error' id='{new_id()}' to='{route}'><error type='cancel'>"
                             f"<undefined-condition xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>")
        await alice.barrier()
        await alice.silence(0.5)
        await carol.silence(0.5)


async def test_message_through_any_queue_keeps_type_id_and_children(server):
    topic = fresh_topic("keep")
    async with signed_in_peers(server, "alice", "carol") as (alice, carol):
        await carol.sub(Q_ANY, topic)
        await alice.send(f"<message type='headline' id='keep-1' to='{Q_ANY}' xml:lang='en'>"
                         f"<body>B</body><data xmlns='urn:example' a='1'><deep>text</deep></data>"
                         f"<xmq xmlns='xmq:topic' topic='{topic}'/></message>")
        m = await carol.next_message()
        assert (m.get("type"), m.get("id"), m.get("from"), m.get("to")) == ("headline", "keep-1", alice.jid, carol.jid)
        assert m.findtext("{urn:example}data/{urn:example}deep") == "text"
        assert m.find("{urn:example}data").get("a") == "1"


# --------------------------------------------------------------------------- liveness: ttl and presence


async def test_ttl_expiry_stops_delivery_before_any_sweep(server):
    """check_expires_time is an hour here: only the engine's expiry check can stop it."""
    topic = fresh_topic("ttl")
    async with signed_in_peers(server, "alice", "carol", "dave") as (alice, short, all_short):
        await short.sub(Q_ANY, topic, ttl=2)
        await all_short.sub(Q_ALL, topic, ttl=2)
        await alice.publish(Q_ANY, topic, "while alive")
        await alice.publish(Q_ALL, topic, "while alive")
        assert body_of(await short.next_message()) == "while alive"
        assert body_of(await all_short.next_message()) == "while alive"
        await asyncio.sleep(3)
        await alice.publish(Q_ANY, topic, "after expiry")
        await alice.expect_error("not-acceptable", NO_RECIPIENTS)
        await alice.publish(Q_ALL, topic, "after expiry")
        await short.silence(0.5)
        await all_short.silence(0.5)
        await alice.silence(0.2)


async def test_presence_renews_a_ttl_2_subscription(server):
    topic = fresh_topic("renew")
    async with signed_in_peers(server, "alice", "carol") as (alice, carol):
        await carol.sub(Q_ANY, topic, ttl=2)
        for _ in range(3):  # renewed every 1.2 s, 3.6 s in all: past the ttl of 2
            await asyncio.sleep(1.2)
            await carol.send(f"<presence to='{Q_ANY}'/>")
            await carol.barrier()
        await alice.publish(Q_ANY, topic, "still here")
        assert body_of(await carol.next_message()) == "still here"
        # Without renewal it expires after all.
        await asyncio.sleep(2.5)
        await alice.publish(Q_ANY, topic, "gone")
        await alice.expect_error("not-acceptable", NO_RECIPIENTS)
        await carol.silence(0.3)


async def test_presence_renews_only_on_its_route(server):
    topic = fresh_topic("renew1")
    async with signed_in_peers(server, "alice", "carol") as (alice, carol):
        await carol.sub(Q_ANY, topic, ttl=2)
        await carol.sub(Q_ALL, topic, ttl=2)
        await asyncio.sleep(1.2)
        await carol.send(f"<presence to='{Q_ALL}'/>")
        await carol.barrier()
        await asyncio.sleep(1.2)
        await alice.publish(Q_ANY, topic, "any")
        await alice.expect_error("not-acceptable", NO_RECIPIENTS)
        await alice.publish(Q_ALL, topic, "all")
        assert body_of(await carol.next_message()) == "all"


async def test_presence_with_xmq_load_updates_the_load(server):
    topic = fresh_topic("presload")
    async with signed_in_peers(server, "alice", "carol") as (alice, carol):
        await carol.sub(Q_ANY, topic, load=1)
        await carol.send(f"<presence to='{Q_ANY}'><xmq xmlns='xmq:load' load='95'/></presence>")
        await carol.barrier()
        await alice.publish(Q_ANY, topic, "too busy")
        await alice.expect_error("not-acceptable", NO_RECIPIENTS)
        await carol.send(f"<presence to='{Q_ANY}'><xmq xmlns='xmq:load' load='5'/></presence>")
        await carol.barrier()
        await alice.publish(Q_ANY, topic, "free again")
        assert body_of(await carol.next_message()) == "free again"


async def test_unavailable_presence_to_the_route_stops_delivery(server):
    topic = fresh_topic("unavail")
    async with signed_in_peers(server, "alice", "carol") as (alice, carol):
        await carol.sub(Q_ANY, topic)
        await carol.sub(Q_ALL, topic)
        await carol.send(f"<presence type='unavailable' to='{Q_ANY}'/>")
        await carol.barrier()
        await alice.publish(Q_ANY, topic, "anyone?")
        await alice.expect_error("not-acceptable", NO_RECIPIENTS)
        await carol.silence(0.3, is_delivery, "delivery")
        # the other route's subscription stays
        await alice.publish(Q_ALL, topic, "all still")
        assert body_of(await carol.next_message()) == "all still"
        # and the session itself is fine: a new sub works
        await carol.sub(Q_ANY, topic)
        await alice.publish(Q_ANY, topic, "back")
        assert body_of(await carol.next_message()) == "back"


async def test_presence_to_a_route_is_not_answered(server):
    async with Peer(server, "carol") as carol:
        await carol.send(f"<presence to='{Q_ANY}'/><presence to='{Q_ALL}'>"
                         f"<xmq xmlns='xmq:load' load='3'/></presence>"
                         f"<presence type='unavailable' to='{Q_ANY}'/>")
        await carol.barrier()
        await carol.silence(0.3)


# --------------------------------------------------------------------------- discovery


@pytest.mark.parametrize("route,name", [(Q_ANY, "XMQ any queue"), (Q_ALL, "XMQ all queue")])
async def test_disco_info_on_a_route(server, route, name):
    async with Peer(server, "alice") as alice:
        answer = await alice.iq(f"<iq type='get' id='{new_id()}' to='{route}'><query xmlns='{DISCO_INFO}'/></iq>")
        assert answer.get("type") == "result" and answer.get("from") == route, show(answer)
        query = answer.find(f"{{{DISCO_INFO}}}query")
        identities = [(i.get("category"), i.get("type"), i.get("name"))
                      for i in query.findall(f"{{{DISCO_INFO}}}identity")]
        assert ("component", "generic", name) in identities, show(answer)
        features = {f.get("var") for f in query.findall(f"{{{DISCO_INFO}}}feature")}
        assert {XMQ_COMMAND, XMQ_TOPIC, DISCO_INFO, DISCO_ITEMS} <= features, show(answer)


async def test_host_disco_items_lists_the_queue_routes(server):
    async with Peer(server, "alice") as alice:
        answer = await alice.iq(f"<iq type='get' id='{new_id()}' to='localhost'><query xmlns='{DISCO_ITEMS}'/></iq>")
        assert answer.get("type") == "result", show(answer)
        jids = {i.get("jid") for i in answer.iter(f"{{{DISCO_ITEMS}}}item")}
        assert {Q_ANY, Q_ALL} <= jids, show(answer)


async def test_route_disco_items_lists_topics(server):
    topic = fresh_topic("listed")
    async with signed_in_peers(server, "carol", "dave") as (carol, dave):
        await carol.sub(Q_ANY, topic)
        await dave.sub(Q_ANY, topic)
        answer = await carol.iq(f"<iq type='get' id='{new_id()}' to='{Q_ANY}'><query xmlns='{DISCO_ITEMS}'/></iq>")
        assert answer.get("type") == "result", show(answer)
        items = [i for i in answer.iter(f"{{{DISCO_ITEMS}}}item")
                 if topic in (i.get("node"), i.get("name")) or topic in (i.get("name") or "")]
        assert len(items) == 1, show(answer)
        assert "2" in (items[0].get("name") or ""), f"eligible consumer count missing: {show(answer)}"


# --------------------------------------------------------------------------- least-load


async def test_least_load_queue_picks_the_lowest_load(make_server):
    route = "ll.localhost"
    server = started(make_server, "xmq-least-load",
                     queues=[{"route": route, "type": "any", "balance": "least-load"}])
    topic = "work"
    async with signed_in_peers(server, "alice", "carol", "dave", "erin") as (alice, carol, dave, erin):
        await carol.sub(route, topic, load=50)
        await dave.sub(route, topic, load=10)
        await erin.sub(route, topic, load=30)
        await alice.send("".join(msg(route, topic, f"a{i}") for i in range(6)))
        assert sorted(body_of(m) for m in await dave.messages(6)) == [f"a{i}" for i in range(6)]
        await carol.silence(0.3)
        await erin.silence(0.1)

        # dave reports load 70 by presence: erin (30) is now the lowest
        await dave.send(f"<presence to='{route}'><xmq xmlns='xmq:load' load='70'/></presence>")
        await dave.barrier()
        await alice.send("".join(msg(route, topic, f"b{i}") for i in range(4)))
        assert sorted(body_of(m) for m in await erin.messages(4)) == [f"b{i}" for i in range(4)]
        await carol.silence(0.3)
        await dave.silence(0.1)

        # a tie (carol and erin at 20): rotation between the two
        await carol.sub(route, topic, load=20)
        await erin.sub(route, topic, load=20)
        await alice.send("".join(msg(route, topic, f"c{i}") for i in range(10)))
        got_c = await carol.gather(2.0, is_message)
        got_e = await erin.gather(0.5, is_message)
        assert (len(got_c), len(got_e)) == (5, 5), (
            f"tie should rotate: carol got {[body_of(m) for m in got_c]}, erin {[body_of(m) for m in got_e]}")
        await dave.silence(0.1)


# --------------------------------------------------------------------------- allow lists


async def test_publish_and_subscribe_allow_lists(make_server):
    private, team = "private.localhost", "team.localhost"
    server = started(make_server, "xmq-acl", queues=[
        {"route": private, "type": "any", "publish": ["alice@localhost"], "subscribe": ["carol@localhost"]},
        {"route": team, "type": "all", "publish": ["*@localhost"], "subscribe": ["localhost"]},
    ])
    async with signed_in_peers(server, "alice", "bob", "carol") as (alice, bob, carol):
        # subscribe list
        answer = await bob.command(private, command="sub", topic="t", ttl=60, load=1)
        assert answer.get("type") == "error" and stanza_error(answer)[0] == "forbidden", show(answer)
        await carol.sub(private, "t")

        # publish list: bob is refused, with nothing delivered
        await bob.send(f"<message type='chat' to='{private}' id='b1'><body>let me in</body>"
                       f"<xmq xmlns='xmq:topic' topic='t'/></message>")
        err = await bob.expect_error("forbidden")
        assert err.get("id") == "b1" and err.get("from") == private
        answer = await bob.iq(f"<iq type='get' id='{new_id()}' to='{private}'><q xmlns='urn:example'/>"
                              f"<xmq xmlns='xmq:topic' topic='t'/></iq>")
        assert stanza_error(answer)[0] == "forbidden", show(answer)
        await carol.silence(0.5)

        # alice may
        await alice.publish(private, "t", "from alice")
        m = await carol.next_message()
        assert body_of(m) == "from alice" and m.get("from") == alice.jid

        # patterns: everyone of localhost on the team queue
        await bob.sub(team, "t")
        await carol.sub(team, "t")
        await bob.publish(team, "t", "hello team")
        assert body_of(await carol.next_message()) == "hello team"
        assert body_of(await bob.next_message()) == "hello team"


# --------------------------------------------------------------------------- SIGHUP reload


async def test_sighup_adds_and_removes_queues_and_keeps_connections(make_server):
    server = started(make_server, "xmq-reload")
    q3 = "queue3.localhost"
    async with signed_in_peers(server, "alice", "carol") as (alice, carol), \
               signed_in(server, "dave", resource="slix") as dave:
        await carol.sub(Q_ANY, "kept")

        # add queue3
        await reload_config(server, queues=[{"route": Q_ANY, "type": "any"},
                                            {"route": Q_ALL, "type": "all"},
                                            {"route": q3, "type": "any"}])
        assert server.alive()
        for peer in (alice, carol):
            await peer.barrier()  # connections stayed up
        await dave.ping_server()
        # subscriptions of a route that stays are kept
        await alice.publish(Q_ANY, "kept", "after reload")
        assert body_of(await carol.next_message()) == "after reload"
        # the new route works
        await carol.sub(q3, "new")
        await alice.publish(q3, "new", "on queue3")
        m = await carol.next_message()
        assert body_of(m) == "on queue3" and m.get("from") == alice.jid
        answer = await alice.iq(f"<iq type='get' id='{new_id()}' to='localhost'><query xmlns='{DISCO_ITEMS}'/></iq>")
        assert q3 in {i.get("jid") for i in answer.iter(f"{{{DISCO_ITEMS}}}item")}, show(answer)

        # remove queue1
        await reload_config(server, queues=[{"route": Q_ALL, "type": "all"},
                                            {"route": q3, "type": "any"}])
        assert server.alive()
        await alice.barrier()
        await carol.barrier()
        await dave.ping_server()
        await alice.send(msg(Q_ANY, "kept", "to a removed queue"))
        await alice.expect_error("remote-server-not-found")
        answer = await carol.command(Q_ANY, command="sub", topic="kept", ttl=60, load=1)
        assert answer.get("type") == "error" and stanza_error(answer)[0] == "remote-server-not-found", show(answer)
        await carol.silence(0.3, is_delivery, "delivery")
        answer = await alice.iq(f"<iq type='get' id='{new_id()}' to='localhost'><query xmlns='{DISCO_ITEMS}'/></iq>")
        jids = {i.get("jid") for i in answer.iter(f"{{{DISCO_ITEMS}}}item")}
        assert Q_ANY not in jids and q3 in jids, show(answer)
        # queue3 still works
        await alice.publish(q3, "new", "still queue3")
        assert body_of(await carol.next_message()) == "still queue3"


async def test_sighup_with_a_bad_queue_is_refused_and_changes_nothing(make_server):
    server = started(make_server, "xmq-badreload")
    async with signed_in_peers(server, "alice", "carol") as (alice, carol):
        await carol.sub(Q_ANY, "t")
        with pytest.raises(AssertionError, match="reload refused"):
            await reload_config(server, queues=[{"route": "queue9.elsewhere.example", "type": "any"}])
        assert server.alive()
        await alice.publish(Q_ANY, "t", "old config")
        assert body_of(await carol.next_message()) == "old config"


# --------------------------------------------------------------------------- keys, hosts, config


async def test_subscriptions_are_per_full_jid(server):
    topic = fresh_topic("perjid")
    async with Peer(server, "alice") as alice, Peer(server, "carol", resource="one") as one, \
               Peer(server, "carol", resource="two") as two:
        await one.sub(Q_ALL, topic)
        await two.sub(Q_ALL, topic)
        await alice.publish(Q_ALL, topic, "both resources")
        for peer in (one, two):
            m = await peer.next_message()
            assert body_of(m) == "both resources" and m.get("to") == peer.jid
        # one resource leaving the topic does not affect the other
        await one.unsub(Q_ALL, topic)
        await alice.publish(Q_ALL, topic, "two only")
        assert body_of(await two.next_message()) == "two only"
        await one.silence(0.3)


async def test_default_allow_lists_are_the_users_of_the_parent_host(make_server):
    server = started(make_server, "xmq-twohosts", hosts=("localhost", "other.example"),
                     users={"alice": USERS["alice"], "carol": USERS["carol"], "olga@other.example": "olga-secret"})
    async with signed_in_peers(server, "alice", "carol") as (alice, carol), \
               Peer(server, "olga", domain="other.example") as olga:
        answer = await olga.command(Q_ANY, command="sub", topic="t", ttl=60, load=1)
        assert stanza_error(answer)[0] == "forbidden", show(answer)
        await carol.sub(Q_ANY, "t")
        await olga.publish(Q_ANY, "t", "from another host")
        await olga.expect_error("forbidden")
        await carol.silence(0.3)
        await alice.publish(Q_ANY, "t", "from the parent host")
        assert body_of(await carol.next_message()) == "from the parent host"


def test_route_outside_the_served_hosts_is_a_config_error_naming_it(make_server):
    server = make_server("xmq-badroute")
    configure_xmq(server, queues=[{"route": "queue1.elsewhere.example", "type": "any"}])
    with pytest.raises(AssertionError) as refused:
        server.start()
    assert "queue1.elsewhere.example" in str(refused.value)
    assert not server.alive()


async def test_configured_route_is_normalised_to_lower_case(make_server):
    server = started(make_server, "xmq-upper", queues=[{"route": "Upper.LOCALHOST", "type": "all"}])
    async with signed_in_peers(server, "alice", "carol") as (alice, carol):
        await carol.sub("upper.localhost", "t")
        await alice.publish("upper.localhost", "t", "lower-case route")
        assert body_of(await carol.next_message()) == "lower-case route"
