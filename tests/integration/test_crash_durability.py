"""Crash durability (issue 8): what the server accepted survives a SIGKILL, once.

Senders send chat messages to offline users; after each batch they ping the server.
Stanzas of one stream are handled in order, and a session waits for the storage work
a stanza started before it reads the next one (StorageExecutor::fence), so when the
ping's result comes back every message sent before it is on disk: it is "accepted".
At a random moment the server is killed with SIGKILL; it restarts on the same data
directory and the recipients log in: every accepted message arrives exactly once, and
a message sent but not yet accepted arrives at most once. Twenty rounds, each
recipient's backlog drained at the start of the next one.
"""

from __future__ import annotations

import asyncio
import random
import time

from raw_stream import RawStream

SENDERS = ("alice", "bob")
RECIPIENTS = ("carol", "dave", "erin")
ROUNDS = 20
BATCH = 4


async def send_until_killed(stream: RawStream, sender: str, round_no: int, sent: list, accepted: set):
    """Batches of chats to the recipients, each followed by a ping; returns at the connection's end."""
    seq = 0
    while True:
        batch = []
        stanzas = []
        for _ in range(BATCH):
            ident = f"r{round_no}-{sender}-{seq}"
            to = RECIPIENTS[seq % len(RECIPIENTS)]
            stanzas.append(f"<message to='{to}@localhost' type='chat' id='{ident}'><body>{ident}</body></message>")
            batch.append(ident)
            seq += 1
        ping = f"ping-{round_no}-{sender}-{seq}"
        stanzas.append(f"<iq type='get' id='{ping}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")
        sent.extend(batch)
        await stream.say("".join(stanzas))
        while True:
            try:
                elem = await stream.next_element(5)
            except (AssertionError, ConnectionError):
                return
            if elem is None:
                return
            if elem.tag == "{jabber:client}iq" and elem.get("id") == ping:
                assert elem.get("type") == "result", stream.conversation()[-2000:]
                accepted.update(batch)
                break
            assert elem.tag != "{jabber:client}message" or elem.get("type") != "error", (
                f"a message was refused:\n{stream.conversation()[-2000:]}")


async def drain(server, user: str) -> list[str]:
    """Logs in as `user`, becomes available and returns the ids of the offline messages."""
    got = []
    async with RawStream(server) as stream:
        await stream.sign_in(user, resource="drain")
        # The flush the presence starts is fenced: its messages come before the ping's result.
        await stream.say("<presence/><iq type='get' id='drained' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")
        while True:
            elem = await stream.next_element(10)
            assert elem is not None, stream.conversation()[-2000:]
            if elem.tag == "{jabber:client}message":
                got.append(elem.get("id"))
            elif elem.tag == "{jabber:client}iq" and elem.get("id") == "drained":
                break
        await stream.say("</stream:stream>")
        await stream.closed()
    return got


def restart(server):
    server.pick_ports()  # the killed process's sockets may linger
    server.write_config()
    server.start()


async def test_every_accepted_message_survives_sigkill_exactly_once(make_server):
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    server = make_server("crash")
    server.extra_config.setdefault("limits", {}).update({"max_offline_messages": 100000, "inbound_rate": 0})
    server.write_config()
    server.start()
    received: dict[str, int] = {}
    all_sent: set[str] = set()
    outstanding: set[str] = set()  # accepted, not yet received
    started = time.monotonic()
    for round_no in range(ROUNDS + 1):
        # The previous round's messages, after the kill and restart.
        for user in RECIPIENTS:
            for ident in await drain(server, user):
                received[ident] = received.get(ident, 0) + 1
        twice = [i for i, n in received.items() if n > 1]
        assert not twice, f"seed {seed}, round {round_no}: delivered twice: {twice[:10]}"
        missing = sorted(i for i in outstanding if i not in received)
        assert not missing, f"seed {seed}, round {round_no}: accepted but lost: {missing[:10]}"
        assert set(received) <= all_sent
        if round_no == ROUNDS:
            break

        sent: list[str] = []
        accepted: set[str] = set()
        streams = [RawStream(server) for _ in SENDERS]
        for stream, sender in zip(streams, SENDERS):
            await stream.__aenter__()
            await stream.sign_in(sender, resource=f"r{round_no}")
        tasks = [asyncio.ensure_future(send_until_killed(s, name, round_no, sent, accepted))
                 for s, name in zip(streams, SENDERS)]
        await asyncio.sleep(rng.uniform(0.1, 0.5))
        server.proc.kill()  # SIGKILL to our own xmqd's PID, mid-stream
        server.wait()
        await asyncio.gather(*tasks)
        for stream in streams:
            await stream.__aexit__(None, None, None)
        assert accepted, f"seed {seed}, round {round_no}: nothing was accepted before the kill"
        all_sent.update(sent)
        outstanding |= accepted
        restart(server)
    assert len(outstanding) > 100
    print(f"{ROUNDS} rounds, {len(all_sent)} sent, {len(outstanding)} accepted, "
          f"{len(received)} delivered, {time.monotonic() - started:.1f}s (seed {seed})")
