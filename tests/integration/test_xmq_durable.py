"""Durable XMQ queues (docs/xmq.md "Durable queues"): what a durable queue accepted
survives `kill -9` and a graceful restart.

Crash test, modelled on test_crash_durability.py: a publisher sends batches of
stanzas to a durable acked ANY queue (JOBS) and a durable acked ALL queue (FEED),
each batch followed by a ping; the ping's answer comes after the commit of every
stanza before it, so its batch is "accepted". Consumers (an ANY worker, and a
durable ALL subscriber whose full JID is the same every round) acknowledge what
they get in groups. At a random moment the server gets SIGKILL, restarts on the
same data directory, and the consumers come back. In the end every accepted stanza
has been delivered and acknowledged at least once, no delivery whose ack was
answered ever comes back, and a delivery id seen again always carries a higher
attempt. The last round runs without a kill until everything accepted is
acknowledged, then the server stops with SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time

from xmq_helpers import CLIENT, Peer, configure_xmq, new_id, show

JOBS = "jobs.localhost"
FEED = "feed.localhost"
DELIVERY = "{xmq:delivery}xmq"
QUEUES = (
    {"route": JOBS, "type": "any", "delivery": "acked", "prefetch": 10, "hold": 100000, "max_attempts": 1000,
     "durable": True},
    {"route": FEED, "type": "all", "delivery": "acked", "hold": 100000, "max_attempts": 1000, "durable": True},
)
TOPIC = "work"
ROUNDS = 6  # with a kill; then one without
BATCH = 5
ACK_EVERY = 4


def restart(server):
    server.pick_ports()  # the killed process's sockets may linger
    configure_xmq(server, check_expires_time=3600, queues=QUEUES)
    server.start()


class Ledger:
    """What the test saw, across rounds."""

    def __init__(self):
        self.accepted = {JOBS: set(), FEED: set()}      # bodies whose batch's ping was answered
        self.ack_sent = {JOBS: set(), FEED: set()}      # bodies an ack was sent for
        self.ack_answered = {JOBS: set(), FEED: set()}  # delivery ids whose ack got its result
        self.attempts = {JOBS: {}, FEED: {}}            # delivery id -> highest attempt seen
        self.redeliveries = 0
        self.problems: list[str] = []


async def consume(peer: Peer, route: str, ledger: Ledger):
    """Acks deliveries in groups until the stream ends."""
    pending: list[tuple[str, str]] = []  # (delivery id, body) not yet in an ack
    asked: dict[str, list[tuple[str, str]]] = {}  # ack iq id -> what it settles

    async def ack_pending():
        if not pending:
            return
        iq_id = new_id("ack")
        asked[iq_id] = list(pending)
        ledger.ack_sent[route].update(body for _, body in pending)
        ids = " ".join(d for d, _ in pending)
        pending.clear()
        await peer.send(f"<iq type='set' id='{iq_id}' to='{route}'><xmq xmlns='xmq:command' command='ack' "
                        f"id='{ids}'/></iq>")

    while True:
        try:
            elem = await peer.raw.next_element(0.3)
        except AssertionError:  # quiet for a while: ack what is left
            # Python 3.11's wait_for can turn a cancel that meets its timeout into
            # the timeout: the task is still being cancelled, so it must end.
            if asyncio.current_task().cancelling():
                raise asyncio.CancelledError from None
            with contextlib.suppress(ConnectionError):
                await ack_pending()
            continue
        except ConnectionError:
            return
        if elem is None:
            return
        if elem.tag == f"{CLIENT}iq" and elem.get("id") in asked:
            settled = asked.pop(elem.get("id"))
            if elem.get("type") != "result":
                ledger.problems.append(f"{route}: ack refused: {show(elem)}")
            else:
                ledger.ack_answered[route].update(d for d, _ in settled)
            continue
        tag = elem.find(DELIVERY)
        if elem.tag != f"{CLIENT}message" or tag is None:
            continue
        ident, attempt, body = tag.get("id"), int(tag.get("attempt")), elem.findtext(f"{CLIENT}body")
        if ident in ledger.ack_answered[route]:
            ledger.problems.append(f"{route}: {body} ({ident}) came back after its ack was answered")
        before = ledger.attempts[route].get(ident)
        if before is not None:
            ledger.redeliveries += 1
            if attempt <= before:
                ledger.problems.append(f"{route}: {body} ({ident}) came again with attempt {attempt} after {before}")
        ledger.attempts[route][ident] = max(attempt, before or 0)
        pending.append((ident, body))
        if len(pending) >= ACK_EVERY:
            with contextlib.suppress(ConnectionError):
                await ack_pending()


async def publish(peer: Peer, round_no: int, ledger: Ledger, stop: asyncio.Event):
    """Batches to both queues, each followed by a ping; returns at the stream's end or on `stop`."""
    seq = 0
    while not stop.is_set():
        batch = {JOBS: [], FEED: []}
        stanzas = []
        for _ in range(BATCH):
            for route, prefix in ((JOBS, "j"), (FEED, "f")):
                body = f"{prefix}-{round_no}-{seq}"
                batch[route].append(body)
                stanzas.append(f"<message to='{route}' id='{body}'><body>{body}</body>"
                               f"<xmq xmlns='xmq:topic' topic='{TOPIC}'/></message>")
            seq += 1
        ping = new_id("ping")
        stanzas.append(f"<iq type='get' id='{ping}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")
        try:
            await peer.send("".join(stanzas))
            while True:
                elem = await peer.raw.next_element(10)
                if elem is None:
                    return
                if elem.tag == f"{CLIENT}iq" and elem.get("id") == ping:
                    for route, bodies in batch.items():
                        ledger.accepted[route].update(bodies)
                    break
                if elem.get("type") == "error":
                    ledger.problems.append(f"publisher got an error: {show(elem)}")
        except (ConnectionError, AssertionError):
            return


@contextlib.asynccontextmanager
async def consumers(server, ledger: Ledger):
    """The ANY worker and the durable ALL subscriber (same full JID every time), subscribed."""
    async with Peer(server, "dave", resource="worker") as worker, \
            Peer(server, "carol", resource="subscriber") as subscriber:
        answer = await worker.command(JOBS, command="sub", topic=TOPIC, ttl=3600)
        assert answer.get("type") == "result", show(answer)
        answer = await subscriber.command(FEED, command="sub", topic=TOPIC, ttl=3600, durable="true")
        assert answer.get("type") == "result", show(answer)
        tasks = [asyncio.ensure_future(consume(worker, JOBS, ledger)),
                 asyncio.ensure_future(consume(subscriber, FEED, ledger))]
        try:
            yield tasks
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


async def test_durable_queues_keep_every_accepted_stanza_through_sigkill(make_server):
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    server = make_server("xmqdurable")
    server.extra_config.setdefault("limits", {}).update({"inbound_rate": 0})
    configure_xmq(server, check_expires_time=3600, queues=QUEUES)
    server.start()
    ledger = Ledger()
    started = time.monotonic()
    for round_no in range(ROUNDS + 1):
        last = round_no == ROUNDS
        async with consumers(server, ledger):
            async with Peer(server, "alice", resource=f"pub{round_no}") as publisher:
                stop = asyncio.Event()
                task = asyncio.ensure_future(publish(publisher, round_no, ledger, stop))
                await asyncio.sleep(rng.uniform(0.3, 1.2))
                if not last:
                    server.proc.kill()  # SIGKILL to our own xmqd's PID, mid-stream
                    server.wait()
                stop.set()
                await task
            if last:
                # No kill: wait (bounded) until every accepted stanza is acknowledged.
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline and any(
                        ledger.accepted[r] - ledger.ack_sent[r] for r in (JOBS, FEED)):
                    await asyncio.sleep(0.2)
        assert not ledger.problems, f"seed {seed}, round {round_no}:\n" + "\n".join(ledger.problems[:10])
        if not last:
            restart(server)
    for route in (JOBS, FEED):
        missing = sorted(ledger.accepted[route] - ledger.ack_sent[route])
        assert not missing, f"seed {seed}: {route}: accepted but never delivered and acked: {missing[:10]}"
        assert len(ledger.accepted[route]) > 50, f"seed {seed}: {route}: too little accepted to mean anything"
    assert ledger.redeliveries > 0, f"seed {seed}: no kill left a delivery unacknowledged"
    assert server.stop() == 0, server.log()[-4000:]
    print(f"{ROUNDS} kills, accepted {len(ledger.accepted[JOBS])} + {len(ledger.accepted[FEED])}, "
          f"{ledger.redeliveries} redeliveries, {time.monotonic() - started:.1f}s (seed {seed})")


async def test_held_stanzas_unacked_deliveries_and_durable_subscriptions_survive_a_restart(make_server):
    server = make_server("xmqdurable2")
    configure_xmq(server, check_expires_time=3600, queues=QUEUES)
    server.start()
    topic = "restart"
    async with Peer(server, "carol", resource="subscriber") as subscriber:
        answer = await subscriber.command(FEED, command="sub", topic=topic, ttl=60, durable="true")
        assert answer.get("type") == "result", show(answer)
        await subscriber.sign_out()  # away: its copies are kept
    async with Peer(server, "alice") as publisher:
        for i in range(3):
            await publisher.publish(JOBS, topic, f"job{i}")  # no consumer: held
        for i in range(2):
            await publisher.publish(FEED, topic, f"event{i}")
        await publisher.barrier()
    async with Peer(server, "dave") as worker:
        await worker.sub(JOBS, topic)
        first = await worker.messages(3)
        assert [m.findtext(f"{CLIENT}body") for m in first] == ["job0", "job1", "job2"]
        assert all(m.find(DELIVERY).get("attempt") == "1" for m in first)
        answer = await worker.command(JOBS, command="ack", id=first[0].find(DELIVERY).get("id"))
        assert answer.get("type") == "result", show(answer)
    table = server.admin("queues")
    assert table.returncode == 0 and "any,durable" in table.stdout and "all,durable" in table.stdout, table.stdout

    assert server.stop() == 0, server.log()[-4000:]
    server.pick_ports()
    configure_xmq(server, check_expires_time=3600, queues=QUEUES)
    server.start()
    assert "xmq: jobs.localhost restored" in server.log()

    async with Peer(server, "dave") as worker:
        await worker.sub(JOBS, topic)
        again = await worker.messages(2)
        assert [m.findtext(f"{CLIENT}body") for m in again] == ["job1", "job2"]
        assert [m.find(DELIVERY).get("id") for m in again] == [m.find(DELIVERY).get("id") for m in first[1:]]
        assert all(m.find(DELIVERY).get("attempt") == "2" for m in again)
        await worker.silence(0.5, lambda e: e.tag == f"{CLIENT}message", "message (job0 was acked)")
    async with Peer(server, "carol", resource="subscriber") as subscriber:
        answer = await subscriber.command(FEED, command="sub", topic=topic, ttl=60, durable="true")
        assert answer.get("type") == "result", show(answer)
        events = await subscriber.messages(2)
        assert [m.findtext(f"{CLIENT}body") for m in events] == ["event0", "event1"]
        assert all(m.find(DELIVERY).get("attempt") == "1" for m in events)
    assert server.stop() == 0, server.log()[-4000:]


async def test_deleting_an_account_ends_its_durable_subscriptions(make_server):
    """A durable subscription outlives its sessions, not its account: `xmqd deluser`
    ends it, drops what was kept for it, and a restart does not bring it back."""
    server = make_server("xmqdurable3")
    configure_xmq(server, check_expires_time=3600, queues=QUEUES)
    server.start()
    topic = "deletion"

    def feed_row() -> dict:
        r = server.admin("queues")
        assert r.returncode == 0, r.stdout + r.stderr
        rows = [line.split() for line in r.stdout.splitlines()]
        return {row[0]: dict(zip(rows[0], row)) for row in rows[1:]}[FEED]

    async with Peer(server, "carol", resource="subscriber") as subscriber:
        answer = await subscriber.command(FEED, command="sub", topic=topic, ttl=60, durable="true")
        assert answer.get("type") == "result", show(answer)
        await subscriber.sign_out()  # away: its copies are kept
    async with Peer(server, "alice") as publisher:
        for i in range(2):
            await publisher.publish(FEED, topic, f"event{i}")
        await publisher.barrier()
    assert (feed_row()["consumers"], feed_row()["held"]) == ("1", "2")

    r = await asyncio.to_thread(server.admin, "deluser", "carol@localhost")
    assert r.returncode == 0, r.stdout + r.stderr
    assert (feed_row()["consumers"], feed_row()["held"]) == ("0", "0")

    assert server.stop() == 0, server.log()[-4000:]
    server.pick_ports()
    configure_xmq(server, check_expires_time=3600, queues=QUEUES)
    server.start()
    assert (feed_row()["consumers"], feed_row()["held"]) == ("0", "0")
    assert server.stop() == 0, server.log()[-4000:]
