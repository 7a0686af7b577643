"""Reliable XMQ queues end to end (docs/xmq.md "Reliable queues"): the delivery
tag, ack and nack, redelivery after a consumer's session ends, prefetch, the
hold and resource-constraint, dead letters, iq requests settled by their answer,
durable subscriptions across a reconnect, the topic stats form, and `xmqd queues`.

Queues of the shared server:
  jobs.localhost  ANY, acked, prefetch 2, hold 3, max_attempts 2, dead_letter dead.localhost
  feed.localhost  ALL, acked, hold 10
  dead.localhost  ANY (receives the dead letters)
Topics are unique per test. Nothing here waits for ack_timeout or hold_ttl
(the engine's own tests cover time with an injected clock).
"""

import uuid

import pytest

from xmq_helpers import (CLIENT, DISCO_INFO, DISCO_ITEMS, Q_ALL, Q_ANY, Peer, body_of, configure_xmq, new_id,
                         restart_if_dead, show, signed_in_peers, stanza_error, started_xmq_server)

JOBS = "jobs.localhost"
FEED = "feed.localhost"
DEAD = "dead.localhost"
DELIVERY = "xmq:delivery"
DATA_FORMS = "jabber:x:data"

QUEUES = (
    {"route": Q_ANY, "type": "any"},
    {"route": Q_ALL, "type": "all"},
    {"route": JOBS, "type": "any", "delivery": "acked", "prefetch": 2, "hold": 3, "max_attempts": 2,
     "dead_letter": DEAD},
    {"route": FEED, "type": "all", "delivery": "acked", "hold": 10},
    {"route": DEAD, "type": "any"},
)


def fresh_topic(name="t") -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"


def tag(e):
    return e.find(f"{{{DELIVERY}}}xmq")


def is_delivery(e):
    return e.tag in (f"{CLIENT}message", f"{CLIENT}iq") and e.get("type") != "error" \
        and e.get("type") not in ("result",) and e.find("{xmq:topic}xmq") is not None


@pytest.fixture(scope="module")
def reliable_server(make_server):
    with started_xmq_server(make_server, "xmqrel", check_expires_time=3600, queues=QUEUES) as server:
        yield server


@pytest.fixture
def server(reliable_server):
    return restart_if_dead(reliable_server)


async def delivery(peer: Peer):
    return await peer.next(is_delivery, what="delivery")


async def ack(peer: Peer, route: str, ids: str):
    answer = await peer.command(route, command="ack", id=ids)
    assert answer.get("type") == "result", show(answer)


async def test_acked_delivery_carries_a_tag_and_ack_settles_it(server):
    topic = fresh_topic("ack")
    async with signed_in_peers(server, "alice", "carol") as (alice, worker):
        await worker.sub(JOBS, topic)
        await alice.publish(JOBS, topic, "job1",
                            extra="<xmq xmlns='xmq:delivery' id='forged' attempt='7'/>")
        got = await delivery(worker)
        assert body_of(got) == "job1" and got.get("from") == alice.jid
        assert list(got)[-1].tag == f"{{{DELIVERY}}}xmq", show(got)   # after the original children
        assert tag(got).get("id") != "forged" and tag(got).get("attempt") == "1"
        d = tag(got).get("id")
        await ack(worker, JOBS, d)
        again = await worker.command(JOBS, command="ack", id=d)
        assert stanza_error(again)[0] == "item-not-found", show(again)
        assert d in stanza_error(again)[1]
        missing = await worker.command(JOBS, command="ack")
        assert stanza_error(missing)[0] == "bad-request"


async def test_ack_of_another_consumers_delivery_is_refused_and_settles_nothing(server):
    topic = fresh_topic("theirs")
    async with signed_in_peers(server, "alice", "carol", "dave") as (alice, carol, dave):
        await carol.sub(JOBS, topic)
        await dave.sub(JOBS, topic)
        await alice.publish(JOBS, topic, "one")
        await alice.publish(JOBS, topic, "two")
        mine = tag(await delivery(carol)).get("id")
        theirs = tag(await delivery(dave)).get("id")
        refused = await carol.command(JOBS, command="ack", id=f"{mine} {theirs}")
        assert stanza_error(refused)[0] == "item-not-found" and theirs in stanza_error(refused)[1]
        await ack(carol, JOBS, mine)  # still unsettled, so this works
        await ack(dave, JOBS, theirs)


async def test_nack_requeues_with_attempt_two_then_dead_letters(server):
    topic = fresh_topic("nack")
    async with signed_in_peers(server, "alice", "carol", "erin") as (alice, worker, dead):
        await worker.sub(JOBS, topic)
        await dead.sub(DEAD, topic)
        await alice.publish(JOBS, topic, "poison")
        first = await delivery(worker)
        d = tag(first).get("id")
        answer = await worker.command(JOBS, command="nack", id=d)
        assert answer.get("type") == "result"
        second = await delivery(worker)
        assert tag(second).get("id") == d and tag(second).get("attempt") == "2"
        await worker.command(JOBS, command="nack", id=d)  # max_attempts = 2: dead-lettered
        letter = await delivery(dead)
        assert body_of(letter) == "poison" and letter.get("from") == alice.jid
        assert tag(letter) is None, show(letter)


async def test_nack_requeue_false_dead_letters_at_once(server):
    topic = fresh_topic("reject")
    async with signed_in_peers(server, "alice", "carol", "erin") as (alice, worker, dead):
        await worker.sub(JOBS, topic)
        await dead.sub(DEAD, topic)
        await alice.publish(JOBS, topic, "bad")
        d = tag(await delivery(worker)).get("id")
        answer = await worker.command(JOBS, command="nack", id=d, requeue="false")
        assert answer.get("type") == "result"
        assert body_of(await delivery(dead)) == "bad"


async def test_redelivery_after_the_consumers_session_ends(server):
    topic = fresh_topic("crash")
    async with signed_in_peers(server, "alice", "dave") as (alice, survivor):
        async with Peer(server, "carol") as crashing:
            await crashing.sub(JOBS, topic)
            await alice.publish(JOBS, topic, "work")
            d = tag(await delivery(crashing)).get("id")
            await survivor.sub(JOBS, topic)
            crashing.cut()  # connection lost, never acked
        again = await delivery(survivor)
        assert tag(again).get("id") == d and tag(again).get("attempt") == "2"
        assert body_of(again) == "work"
        await ack(survivor, JOBS, d)


async def test_prefetch_then_hold_then_resource_constraint(server):
    topic = fresh_topic("pf")
    async with signed_in_peers(server, "alice", "carol") as (alice, worker):
        await worker.sub(JOBS, topic)
        for i in range(6):  # prefetch 2 + hold 3, then full
            await alice.publish(JOBS, topic, f"m{i}")
        err = await alice.expect_error("resource-constraint")
        assert err.get("from") == JOBS and err.find(f"{CLIENT}error").get("type") == "wait"
        first = [await delivery(worker) for _ in range(2)]
        assert [body_of(e) for e in first] == ["m0", "m1"]
        await worker.silence(0.3, is_delivery, "delivery beyond prefetch")
        await ack(worker, JOBS, " ".join(tag(e).get("id") for e in first))
        nxt = [await delivery(worker) for _ in range(2)]
        assert [body_of(e) for e in nxt] == ["m2", "m3"]
        await ack(worker, JOBS, tag(nxt[0]).get("id"))
        assert body_of(await delivery(worker)) == "m4"


async def test_hold_keeps_stanzas_until_a_consumer_subscribes(server):
    topic = fresh_topic("hold")
    async with signed_in_peers(server, "alice", "carol") as (alice, worker):
        await alice.publish(JOBS, topic, "early")
        await alice.barrier()
        await alice.silence(0.2, lambda e: e.get("type") == "error", "error")
        await worker.sub(JOBS, topic)
        got = await delivery(worker)
        assert body_of(got) == "early"


async def test_iq_through_acked_queue_is_settled_by_the_answer(server):
    topic = fresh_topic("rpc")
    async with signed_in_peers(server, "alice", "dave") as (alice, second):
        async with Peer(server, "carol") as first:
            await first.sub(JOBS, topic)
            await alice.send(f"<iq type='get' id='rpc1' to='{JOBS}'><q xmlns='urn:example'/>"
                             f"<xmq xmlns='xmq:topic' topic='{topic}'/></iq>")
            req = await delivery(first)
            assert req.get("id") == "rpc1" and tag(req).get("attempt") == "1"
            await second.sub(JOBS, topic)
            await first.unsub(JOBS, topic)  # leaves without answering: redelivered to the second
            req2 = await delivery(second)
            assert tag(req2).get("id") == tag(req).get("id") and tag(req2).get("attempt") == "2"
            # The first consumer's late answer is dropped; the second one's reaches alice.
            await first.send(f"<iq type='result' id='rpc1' to='{alice.jid}'><late xmlns='urn:example'/></iq>")
            await first.barrier()
            await second.send(f"<iq type='result' id='rpc1' to='{alice.jid}'><ok xmlns='urn:example'/></iq>")
            answer = await alice.next(lambda e: e.tag == f"{CLIENT}iq" and e.get("id") == "rpc1", what="answer")
            assert answer.get("from") == second.jid and answer.find("{urn:example}ok") is not None, show(answer)
            await alice.silence(0.3, lambda e: e.get("id") == "rpc1", "second answer")


async def test_durable_subscription_across_reconnect(server):
    topic = fresh_topic("durable")
    async with Peer(server, "alice") as alice:
        async with Peer(server, "carol", resource="box") as carol:
            answer = await carol.command(FEED, command="sub", topic=topic, ttl=60, durable="true")
            assert answer.get("type") == "result", show(answer)
            await alice.publish(FEED, topic, "m0")
            first = await delivery(carol)
            await carol.sign_out()  # m0 never acked
        await alice.publish(FEED, topic, "m1")
        await alice.publish(FEED, topic, "m2")
        await alice.barrier()
        async with Peer(server, "carol", resource="box") as carol:
            answer = await carol.command(FEED, command="sub", topic=topic, ttl=60, durable="true")
            assert answer.get("type") == "result"
            got = [await delivery(carol) for _ in range(3)]
            assert [body_of(e) for e in got] == ["m0", "m1", "m2"]
            assert tag(got[0]).get("id") == tag(first).get("id") and tag(got[0]).get("attempt") == "2"
            await ack(carol, FEED, " ".join(tag(e).get("id") for e in got))
            await carol.unsub(FEED, topic)
        bad = await alice.command(JOBS, command="sub", topic=topic, ttl=60, durable="true")
        assert stanza_error(bad)[0] == "bad-request"


async def test_disco_info_on_a_topic_carries_the_stats_form(server):
    topic = fresh_topic("stats")
    async with signed_in_peers(server, "alice", "carol") as (alice, worker):
        await worker.sub(JOBS, topic)
        for i in range(3):
            await alice.publish(JOBS, topic, f"s{i}")
        await worker.messages(2)
        answer = await alice.iq(f"<iq type='get' id='{new_id()}' to='{JOBS}'>"
                                f"<query xmlns='{DISCO_INFO}' node='{topic}'/></iq>")
        form = answer.find(f"{{{DISCO_INFO}}}query/{{{DATA_FORMS}}}x")
        assert form is not None, show(answer)
        fields = {f.get("var"): f.findtext(f"{{{DATA_FORMS}}}value") for f in form}
        assert fields == {"FORM_TYPE": "urn:xmq:stats", "consumers": "1", "held": "1", "unacked": "2"}
        items = await alice.iq(f"<iq type='get' id='{new_id()}' to='{JOBS}'><query xmlns='{DISCO_ITEMS}'/></iq>")
        names = [i.get("name") for i in items.iter(f"{{{DISCO_ITEMS}}}item") if i.get("node") == topic]
        assert names == [f"{topic} (1 consumer, 1 held, 2 unacked)"], show(items)


async def test_plain_queue_deliveries_carry_no_tag(server):
    topic = fresh_topic("plain")
    async with signed_in_peers(server, "alice", "carol") as (alice, worker):
        await worker.sub(Q_ANY, topic)
        await alice.publish(Q_ANY, topic, "x")
        assert tag(await delivery(worker)) is None


async def test_xmqd_queues_prints_what_the_running_server_holds(make_server):
    server = make_server("xmqcli")
    configure_xmq(server, check_expires_time=3600,
                  queues=({"route": JOBS, "type": "any", "delivery": "acked", "hold": 5}, {"route": Q_ALL, "type": "all"}))
    server.start()

    def table() -> dict:
        r = server.admin("queues")
        assert r.returncode == 0, r.stdout + r.stderr
        rows = [line.split() for line in r.stdout.splitlines()]
        return {row[0]: dict(zip(rows[0], row)) for row in rows[1:]}

    topic = fresh_topic("cli")
    async with signed_in_peers(server, "alice", "carol") as (alice, worker):
        for i in range(2):
            await alice.publish(JOBS, topic, f"m{i}")
        await alice.barrier()
        queues = table()
        assert set(queues) == {JOBS, Q_ALL}
        assert (queues[JOBS]["type"], queues[JOBS]["held"], queues[JOBS]["unacked"]) == ("any", "2", "0")
        await worker.sub(JOBS, topic)
        got = [await delivery(worker) for _ in range(2)]
        assert table()[JOBS]["held"] == "0" and table()[JOBS]["unacked"] == "2"
        await ack(worker, JOBS, tag(got[0]).get("id"))
        assert table()[JOBS]["unacked"] == "1" and table()[JOBS]["consumers"] == "1"
    assert server.stop() == 0
    r = server.admin("queues")
    assert r.returncode != 0 and "no server is running" in r.stderr
