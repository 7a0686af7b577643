"""Stream management (XEP-0198) on the wire: enable, acks, the XEP's errors, resumption
on plain TCP, direct TLS and WebSocket (also while the old connection is still half-open),
exactly-once in-order resend of what was not acknowledged, expiry and graceful stop to
offline storage, the per-account hibernation limit, real client libraries (slixmpp,
aioxmpp), and kill -9 loops proving that an <a/> covers only stored messages: in offline
storage for an account without a session, in the archive for a live session.
"""

from __future__ import annotations

import asyncio
import base64
import random
import ssl
import time
import xml.etree.ElementTree as ET

import pytest
import websockets

from conftest import USERS
from protocol import BIND_NS, SASL_NS, STANZAS_ERR_NS, STREAMS_ERR_NS
from raw_stream import RawStream
from web_helpers import XmqdWeb

SM = "urn:xmpp:sm:3"
FRAMING = "urn:ietf:params:xml:ns:xmpp-framing"
MESSAGE = "{jabber:client}message"


def chat(to: str, ident: str) -> str:
    return f"<message to='{to}' type='chat' id='{ident}'><body>{ident}</body></message>"


@pytest.fixture(scope="module")
def web(tmp_path_factory, tls_cert):
    """xmqd with c2s, direct TLS and HTTP (WebSocket) listeners, stream management at its defaults."""
    cert, key = tls_cert
    server = XmqdWeb(tmp_path_factory.mktemp("smweb"), cert, key, name="smweb")
    for user, password in USERS.items():
        server.add_user(user, password)
    server.start()
    yield server
    assert server.stop() == 0


def with_sm_options(server, **options):
    server.write_config()
    with open(server.config_path, "a") as f:
        f.write("\n[modules.stream_management]\n" + "".join(f"{k} = {v}\n" for k, v in options.items()))


async def log_says(server, text: str):
    """Waits for a log line without blocking the event loop (whose sockets must go on)."""
    await asyncio.to_thread(server.wait_for_log, text)


async def next_stanza(stream: RawStream, timeout=10) -> ET.Element | None:
    """The next element but the server's own ack requests."""
    while True:
        elem = await stream.next_element(timeout)
        if elem is None or elem.tag != f"{{{SM}}}r":
            return elem


async def enabled_session(server, user: str, resource: str, *, direct_tls=False) -> tuple[RawStream, str]:
    stream = RawStream(server, direct_tls=direct_tls)
    await stream.__aenter__()
    await stream.sign_in(user, resource=resource)
    await stream.say(f"<enable xmlns='{SM}' resume='true'/>")
    enabled = await stream.expect(f"{{{SM}}}enabled")
    assert enabled.get("resume") == "true" and enabled.get("id"), stream.conversation()
    return stream, enabled.get("id")


async def authenticated(server, user: str, *, direct_tls=False) -> RawStream:
    """Signed in on a new connection, the stream restarted, nothing bound."""
    stream = RawStream(server, direct_tls=direct_tls)
    await stream.__aenter__()
    await stream.open_stream()
    await stream.features()
    if not direct_tls:
        await stream.starttls()
        await stream.open_stream()
        await stream.features()
    answer = await stream.auth_plain(user, USERS[user])
    assert answer.tag == f"{{{SASL_NS}}}success", stream.conversation()
    stream.restart_stream()
    await stream.open_stream()
    features = await stream.features()
    assert features.find(f"{{{SM}}}sm") is not None, stream.conversation()
    return stream


async def messages_until_quiet(stream: RawStream, count: int) -> list[str]:
    got = []
    while len(got) < count:
        elem = await next_stanza(stream)
        assert elem is not None, stream.conversation()
        if elem.tag == MESSAGE:
            got.append(elem.get("id"))
    return got


async def send_and_confirm(sender: RawStream, stanzas: str):
    """Sends, then waits for the ack of everything sent so far (the messages were routed)."""
    await sender.say(stanzas + f"<r xmlns='{SM}'/>")
    await sender.expect(f"{{{SM}}}a")


async def signed_in_sender(server, user="alice") -> RawStream:
    sender = RawStream(server)
    await sender.__aenter__()
    await sender.sign_in(user, resource=f"s{random.randrange(1 << 20)}")
    await sender.say(f"<enable xmlns='{SM}'/>")
    await sender.expect(f"{{{SM}}}enabled")
    return sender


# -- errors ----------------------------------------------------------------------------


async def test_enable_before_bind_and_twice_fail_with_unexpected_request(web):
    stream = await authenticated(web, "bob")
    await stream.say(f"<enable xmlns='{SM}'/>")
    failed = await stream.expect(f"{{{SM}}}failed")
    assert failed.find(f"{{{STANZAS_ERR_NS}}}unexpected-request") is not None
    await stream.say(f"<iq type='set' id='b'><bind xmlns='{BIND_NS}'/></iq>")
    await stream.expect("{jabber:client}iq")
    await stream.say(f"<enable xmlns='{SM}'/>")
    await stream.expect(f"{{{SM}}}enabled")
    await stream.say(f"<enable xmlns='{SM}'/>")
    failed = await stream.expect(f"{{{SM}}}failed")
    assert failed.find(f"{{{STANZAS_ERR_NS}}}unexpected-request") is not None
    await stream.__aexit__(None, None, None)


async def test_h_above_what_was_sent_is_handled_count_too_high(web):
    stream, _ = await enabled_session(web, "bob", "high")
    await stream.say(f"<a xmlns='{SM}' h='7'/>")
    while True:
        elem = await stream.next_element()
        assert elem is not None, stream.conversation()
        if elem.tag == "{http://etherx.jabber.org/streams}error":
            break
    assert elem.find(f"{{{STREAMS_ERR_NS}}}undefined-condition") is not None
    too_high = elem.find(f"{{{SM}}}handled-count-too-high")
    assert too_high is not None and too_high.get("h") == "7" and too_high.get("send-count") == "0"
    await stream.closed()
    await stream.__aexit__(None, None, None)


async def test_resuming_an_unknown_id_or_another_accounts_session_is_item_not_found(web):
    carol, ident = await enabled_session(web, "carol", "phone")
    for user, previd in (("dave", ident), ("carol", "not-an-id")):
        other = await authenticated(web, user)
        await other.say(f"<resume xmlns='{SM}' previd='{previd}' h='0'/>")
        failed = await other.expect(f"{{{SM}}}failed")
        assert failed.find(f"{{{STANZAS_ERR_NS}}}item-not-found") is not None
        # The stream goes on: a bind still works.
        await other.say(f"<iq type='set' id='b'><bind xmlns='{BIND_NS}'/></iq>")
        assert (await other.expect("{jabber:client}iq")).get("type") == "result"
        await other.__aexit__(None, None, None)
    await carol.__aexit__(None, None, None)


async def test_a_flood_of_r_is_answered_and_the_server_stays_up(web):
    stream, _ = await enabled_session(web, "erin", "flood")
    await stream.say(f"<r xmlns='{SM}'/>" * 2000)
    answers = 0
    while answers < 2000:
        elem = await stream.next_element()
        assert elem is not None and elem.tag == f"{{{SM}}}a", stream.conversation()[-500:]
        answers += 1
    await stream.__aexit__(None, None, None)
    assert web.alive()


# -- resumption ------------------------------------------------------------------------


async def resume_raw(web, *, direct_tls: bool, old_half_open: bool):
    tag = f"{'tls' if direct_tls else 'tcp'}-{'half' if old_half_open else 'cut'}"
    old, ident = await enabled_session(web, "carol", f"res-{tag}", direct_tls=direct_tls)
    sender = await signed_in_sender(web)
    to = f"carol@localhost/res-{tag}"
    await send_and_confirm(sender, chat(to, f"{tag}-1") + chat(to, f"{tag}-2"))
    assert await messages_until_quiet(old, 2) == [f"{tag}-1", f"{tag}-2"]
    await old.say(f"<a xmlns='{SM}' h='1'/>")  # the first handled, the second not
    if not old_half_open:
        old.writer.transport.abort()
        await log_says(web, f"carol@localhost/res-{tag} hibernated")
    await send_and_confirm(sender, chat(to, f"{tag}-3"))

    new = await authenticated(web, "carol", direct_tls=direct_tls)
    await new.say(f"<resume xmlns='{SM}' previd='{ident}' h='1'/>")
    resumed = await new.expect(f"{{{SM}}}resumed")
    assert resumed.get("previd") == ident and resumed.get("h") == "0"
    assert await messages_until_quiet(new, 2) == [f"{tag}-2", f"{tag}-3"]
    await send_and_confirm(sender, chat(to, f"{tag}-4"))
    assert await messages_until_quiet(new, 1) == [f"{tag}-4"]  # nothing resent twice in between
    await new.say(f"<a xmlns='{SM}' h='4'/><r xmlns='{SM}'/>")
    assert (await new.expect(f"{{{SM}}}a")).get("h") == "0"
    if old_half_open:
        await old.closed()  # the server closed the old connection
    for s in (old, new, sender):
        await s.__aexit__(None, None, None)


async def test_resume_on_plain_tcp_sends_the_unacknowledged_in_order_once(web):
    await resume_raw(web, direct_tls=False, old_half_open=False)


async def test_resume_on_direct_tls(web):
    await resume_raw(web, direct_tls=True, old_half_open=False)


async def test_resume_while_the_old_connection_is_half_open_closes_it(web):
    await resume_raw(web, direct_tls=False, old_half_open=True)


async def test_resume_over_websocket(web):
    old, ident = await enabled_session(web, "dave", "ws")
    sender = await signed_in_sender(web)
    await send_and_confirm(sender, chat("dave@localhost/ws", "ws-1"))
    assert await messages_until_quiet(old, 1) == ["ws-1"]
    old.writer.transport.abort()
    await log_says(web, "dave@localhost/ws hibernated")
    await send_and_confirm(sender, chat("dave@localhost/ws", "ws-2"))

    ws = await asyncio.wait_for(websockets.connect(web.ws_url, subprotocols=["xmpp"]), 10)
    try:
        async def recv():
            return ET.fromstring(await asyncio.wait_for(ws.recv(), 10))

        await ws.send(f"<open xmlns='{FRAMING}' to='localhost' version='1.0'/>")
        await recv()
        await recv()
        token = base64.b64encode(f"\0dave\0{USERS['dave']}".encode()).decode()
        await ws.send(f"<auth xmlns='{SASL_NS}' mechanism='PLAIN'>{token}</auth>")
        assert (await recv()).tag == f"{{{SASL_NS}}}success"
        await ws.send(f"<open xmlns='{FRAMING}' to='localhost' version='1.0'/>")
        await recv()
        features = await recv()
        assert features.find(f"{{{SM}}}sm") is not None
        await ws.send(f"<resume xmlns='{SM}' previd='{ident}' h='0'/>")
        resumed = await recv()
        assert resumed.tag == f"{{{SM}}}resumed", ET.tostring(resumed)
        got = []
        while len(got) < 2:
            elem = await recv()
            if elem.tag == MESSAGE:
                got.append(elem.get("id"))
        assert got == ["ws-1", "ws-2"]  # neither was acknowledged
    finally:
        await ws.close()
        await sender.__aexit__(None, None, None)
        await old.__aexit__(None, None, None)


# -- what becomes of unacknowledged messages -----------------------------------------


async def drain_offline(server, user: str) -> list[str]:
    got = []
    stream = RawStream(server)
    await stream.__aenter__()
    await stream.sign_in(user, resource=f"drain{random.randrange(1 << 20)}")
    await stream.say("<presence/><iq type='get' id='drained' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")
    while True:
        elem = await stream.next_element(10)
        assert elem is not None, stream.conversation()[-2000:]
        if elem.tag == MESSAGE:
            got.append(elem.get("id"))
        elif elem.tag == "{jabber:client}iq" and elem.get("id") == "drained":
            break
    await stream.__aexit__(None, None, None)
    return got


async def test_expired_hibernation_hands_unacknowledged_messages_to_offline_storage(make_server):
    server = make_server("smexpiry")
    with_sm_options(server, max_resume_seconds=2)
    server.start()
    old, ident = await enabled_session(server, "carol", "exp")
    sender = await signed_in_sender(server)
    await send_and_confirm(sender, chat("carol@localhost/exp", "e1"))
    assert await messages_until_quiet(old, 1) == ["e1"]
    old.writer.transport.abort()
    await log_says(server, "carol@localhost/exp hibernated")
    await send_and_confirm(sender, chat("carol@localhost/exp", "e2"))
    await log_says(server, "resumption time passed")
    # Not bounced to the sender.
    await sender.say("<iq type='get' id='p' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")
    assert (await sender.expect("{jabber:client}iq")).get("id") == "p"
    late = await authenticated(server, "carol")
    await late.say(f"<resume xmlns='{SM}' previd='{ident}' h='0'/>")
    assert (await late.expect(f"{{{SM}}}failed")).find(f"{{{STANZAS_ERR_NS}}}item-not-found") is not None
    await late.__aexit__(None, None, None)
    assert await drain_offline(server, "carol") == ["e1", "e2"]
    await sender.__aexit__(None, None, None)
    await old.__aexit__(None, None, None)
    assert server.stop() == 0


async def test_graceful_stop_hands_hibernated_messages_to_offline_storage(make_server):
    server = make_server("smstop")
    server.start()
    old, _ = await enabled_session(server, "dave", "stop")
    sender = await signed_in_sender(server)
    await send_and_confirm(sender, chat("dave@localhost/stop", "s1"))
    assert await messages_until_quiet(old, 1) == ["s1"]
    old.writer.transport.abort()
    await log_says(server, "dave@localhost/stop hibernated")
    await send_and_confirm(sender, chat("dave@localhost/stop", "s2"))
    await sender.__aexit__(None, None, None)
    assert server.stop() == 0  # SIGTERM
    server.pick_ports()
    server.write_config()
    server.start()
    assert await drain_offline(server, "dave") == ["s1", "s2"]
    assert server.stop() == 0


async def test_an_account_keeps_at_most_max_hibernated_sessions(make_server):
    server = make_server("smlimit")
    with_sm_options(server, max_hibernated_per_account=1)
    server.start()
    sender = await signed_in_sender(server)
    first, first_id = await enabled_session(server, "erin", "one")
    await send_and_confirm(sender, chat("erin@localhost/one", "l1"))
    await messages_until_quiet(first, 1)
    first.writer.transport.abort()
    await log_says(server, "erin@localhost/one hibernated")
    second, _ = await enabled_session(server, "erin", "two")
    second.writer.transport.abort()
    await log_says(server, "erin@localhost/one detached session ended")
    late = await authenticated(server, "erin")
    await late.say(f"<resume xmlns='{SM}' previd='{first_id}' h='0'/>")
    assert (await late.expect(f"{{{SM}}}failed")).find(f"{{{STANZAS_ERR_NS}}}item-not-found") is not None
    await late.__aexit__(None, None, None)
    assert await drain_offline(server, "erin") == ["l1"]
    for s in (sender, first, second):
        await s.__aexit__(None, None, None)
    assert server.stop() == 0


# -- crash durability ----------------------------------------------------------------

ROUNDS = 8
BATCH = 4


async def send_acked_until_killed(stream: RawStream, round_no: int, sent: list, accepted: set):
    """Batches of chats to offline users, each followed by <r/>; an <a h/> accepts what it covers."""
    order: list[str] = []  # the ids in the order sent: h counts them
    seq = 0
    while True:
        stanzas = []
        for _ in range(BATCH):
            ident = f"k{round_no}-{seq}"
            stanzas.append(chat(("dave", "erin")[seq % 2] + "@localhost", ident))
            order.append(ident)
            seq += 1
        sent.extend(order[-BATCH:])
        try:
            await stream.say("".join(stanzas) + f"<r xmlns='{SM}'/>")
            while True:
                elem = await stream.next_element(5)
                if elem is None:
                    return
                if elem.tag == f"{{{SM}}}a":
                    accepted.update(order[:int(elem.get("h"))])
                    break
                assert elem.tag != MESSAGE or elem.get("type") != "error", stream.conversation()[-2000:]
        except (AssertionError, ConnectionError, OSError):
            return


async def test_every_message_covered_by_an_ack_survives_sigkill(make_server):
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    server = make_server("smcrash")
    server.extra_config.setdefault("limits", {}).update({"max_offline_messages": 100000, "inbound_rate": 0})
    server.write_config()
    server.start()
    received: set[str] = set()
    outstanding: set[str] = set()
    for round_no in range(ROUNDS + 1):
        for user in ("dave", "erin"):
            received.update(await drain_offline(server, user))
        missing = sorted(outstanding - received)
        assert not missing, f"seed {seed}, round {round_no}: acknowledged but lost: {missing[:10]}"
        if round_no == ROUNDS:
            break
        stream = await signed_in_sender(server)
        sent: list[str] = []
        accepted: set[str] = set()
        task = asyncio.ensure_future(send_acked_until_killed(stream, round_no, sent, accepted))
        await asyncio.sleep(rng.uniform(0.1, 0.4))
        server.proc.kill()  # SIGKILL to our own xmqd's PID
        server.wait()
        await task
        await stream.__aexit__(None, None, None)
        assert accepted, f"seed {seed}, round {round_no}: nothing acknowledged before the kill"
        outstanding |= accepted
        server.pick_ports()
        server.write_config()
        server.start()
    assert server.stop() == 0


async def archived_bodies(server, user: str) -> set[str]:
    """Every body in the account's archive (XEP-0313), paged forward until complete."""
    stream = RawStream(server)
    await stream.__aenter__()
    await stream.sign_in(user, resource=f"mam{random.randrange(1 << 20)}")
    bodies: set[str] = set()
    after = ""
    for page in range(1000):  # bounded: 250 a page
        rsm = "<max>250</max>" + (f"<after>{after}</after>" if after else "")
        await stream.say(f"<iq type='set' id='p{page}'><query xmlns='urn:xmpp:mam:2' queryid='q'>"
                         f"<set xmlns='http://jabber.org/protocol/rsm'>{rsm}</set></query></iq>")
        while True:
            elem = await stream.next_element(10)
            assert elem is not None, stream.conversation()[-2000:]
            if elem.tag == MESSAGE:
                body = elem.find(".//{jabber:client}body")
                if body is not None:
                    bodies.add(body.text)
            elif elem.tag == "{jabber:client}iq":
                assert elem.get("type") == "result", stream.conversation()[-2000:]
                break
        fin = elem.find("{urn:xmpp:mam:2}fin")
        last = fin.find("{http://jabber.org/protocol/rsm}set/{http://jabber.org/protocol/rsm}last")
        if fin.get("complete") == "true" or last is None:
            break
        after = last.text
    await stream.__aexit__(None, None, None)
    return bodies


async def test_every_acknowledged_message_to_a_live_session_is_in_the_archive_after_sigkill(make_server):
    """The recipient is online with stream management and acknowledges nothing: what the
    server accepted (the sender got an <a/> covering it) is only in the session's queue and
    the archive when the server is killed; after the restart the archive has all of it."""
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    server = make_server("smcrashmam")
    server.extra_config.setdefault("limits", {}).update({"inbound_rate": 0})
    server.write_config()
    server.start()
    outstanding: set[str] = set()
    for round_no in range(ROUNDS // 2):
        recipient, _ = await enabled_session(server, "dave", f"live{round_no}")
        await recipient.say("<presence/>")
        stream = await signed_in_sender(server)
        accepted: set[str] = set()
        sent: list[str] = []

        async def send_to_dave():
            seq = 0
            order: list[str] = []
            while True:
                batch = [f"m{round_no}-{seq + i}" for i in range(BATCH)]
                seq += BATCH
                order.extend(batch)
                sent.extend(batch)
                try:
                    await stream.say("".join(chat("dave@localhost", i) for i in batch) + f"<r xmlns='{SM}'/>")
                    while True:
                        elem = await stream.next_element(5)
                        if elem is None:
                            return
                        if elem.tag == f"{{{SM}}}a":
                            accepted.update(order[:int(elem.get("h"))])
                            break
                except (ConnectionError, OSError):
                    return

        task = asyncio.ensure_future(send_to_dave())
        await asyncio.sleep(rng.uniform(0.1, 0.4))
        server.proc.kill()  # SIGKILL to our own xmqd's PID
        server.wait()
        await task
        for s in (stream, recipient):
            await s.__aexit__(None, None, None)
        assert accepted, f"seed {seed}, round {round_no}: nothing acknowledged before the kill"
        outstanding |= accepted
        server.pick_ports()
        server.write_config()
        server.start()
        missing = sorted(outstanding - await archived_bodies(server, "dave"))
        assert not missing, f"seed {seed}, round {round_no}: acknowledged but not archived: {missing[:10]}"
    assert server.stop() == 0


# -- real client libraries -----------------------------------------------------------


async def test_slixmpp_enables_and_resumes_after_the_socket_is_cut(web):
    from xmpp_client import Client

    client = Client(web, "erin", resource="sli")
    client.xmpp.register_plugin("xep_0198")
    enabled = asyncio.Event()
    resumed = asyncio.Event()
    client.xmpp.add_event_handler("sm_enabled", lambda _: enabled.set())
    client.xmpp.add_event_handler("session_resumed", lambda _: resumed.set())
    await client.sign_in()
    await asyncio.wait_for(enabled.wait(), 10)
    sender = await signed_in_sender(web)
    await send_and_confirm(sender, chat("erin@localhost/sli", "sli-1"))
    assert (await asyncio.wait_for(client.messages.get(), 10))["id"] == "sli-1"

    client.xmpp.transport.abort()  # the socket is cut under the client
    await log_says(web, "erin@localhost/sli hibernated")
    await send_and_confirm(sender, chat("erin@localhost/sli", "sli-2"))
    client.xmpp.connect(("127.0.0.1", web.c2s_port), force_starttls=True)
    await asyncio.wait_for(resumed.wait(), 10)
    got = []
    while "sli-2" not in got:
        got.append((await asyncio.wait_for(client.messages.get(), 10))["id"])
    assert got.count("sli-2") == 1
    await log_says(web, "erin@localhost/sli attached to stream")
    await client.sign_out()
    await sender.__aexit__(None, None, None)


async def test_aioxmpp_enables_stream_management_with_resumption_and_gets_its_acks(web):
    import aioxmpp
    from im_helpers import AioClient

    async with AioClient(web, "dave", resource="aio") as aio:
        stream = aio.client.stream
        assert stream.sm_enabled and stream.sm_resumable
        received = asyncio.Queue()
        stream.register_message_callback(aioxmpp.MessageType.CHAT, None, received.put_nowait)
        sender = await signed_in_sender(web)
        await send_and_confirm(sender, chat("dave@localhost/aio", "aio-1"))
        assert (await asyncio.wait_for(received.get(), 10)).id_ == "aio-1"
        # Its own messages are acknowledged: aioxmpp's queue of unacknowledged stanzas empties.
        for n in range(3):
            msg = aioxmpp.Message(to=aioxmpp.JID.fromstr("alice@localhost"), type_=aioxmpp.MessageType.CHAT)
            msg.body[None] = f"aio-out-{n}"
            await asyncio.wait_for(aio.client.send(msg), 10)
        for _ in range(100):
            if not stream.sm_unacked_list:
                break
            await asyncio.sleep(0.1)
        assert not stream.sm_unacked_list
        await sender.__aexit__(None, None, None)


async def test_aioxmpp_resumes_after_its_network_drops(web):
    """aioxmpp reconnects on its own after a reset (not after a clean close) and resumes:
    what was sent while its network was silent arrives once, without a new session."""
    import aioxmpp
    from im_helpers import AioClient
    from link_proxy import LinkProxy
    from xmqd_process import free_port

    port = free_port({web.c2s_port, web.tls_port, web.http_port, web.https_port})
    async with LinkProxy(port, web.c2s_port) as proxy, AioClient(web, "dave", resource="aio-net", port=port) as aio:
        resumed = asyncio.Event()
        aio.client.on_stream_resumed.connect(lambda: resumed.set())
        destroyed = []
        aio.client.on_stream_destroyed.connect(lambda *args: destroyed.append(args))
        received = asyncio.Queue()
        aio.client.stream.register_message_callback(aioxmpp.MessageType.CHAT, None, received.put_nowait)
        sender = await signed_in_sender(web)
        await send_and_confirm(sender, chat("dave@localhost/aio-net", "net-1"))
        assert (await asyncio.wait_for(received.get(), 10)).id_ == "net-1"

        proxy.blackhole()  # the radio drops: what the server sends now never arrives
        await send_and_confirm(sender, chat("dave@localhost/aio-net", "net-2"))
        proxy.cut()  # then the old connection is gone for both ends
        await log_says(web, "dave@localhost/aio-net hibernated")
        await asyncio.wait_for(resumed.wait(), 20)  # aioxmpp's first retry comes after 1 s
        got = []
        while "net-2" not in got:
            got.append((await asyncio.wait_for(received.get(), 10)).id_)
        assert got == ["net-2"] and not destroyed
        assert proxy.accepted == 2
        await send_and_confirm(sender, chat("dave@localhost/aio-net", "net-3"))
        assert (await asyncio.wait_for(received.get(), 10)).id_ == "net-3"
        await sender.__aexit__(None, None, None)
