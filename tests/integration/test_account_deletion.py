"""Deleting an account (`xmqd deluser`): everything of the user goes, and its contacts are told.

With the server running, deluser reaches it through its control socket: alice's
session ends with <not-authorized/>, bob (subscribed both ways) sees her go
unavailable, gets unsubscribe and unsubscribed and a roster push to 'none'
(RFC 6121 §3.2, §3.3; XEP-0077 §3.2). With the server stopped, deluser changes
the store itself: bob sees the same roster at his next login. Either way a new
account of the same name starts with nothing: no roster, offline messages,
vCard, private XML or block list.
"""

import asyncio
import sqlite3
import stat

from im_helpers import make_both, watched
from xmpp_client import Client

XMQD_OPTIONS = {"users": {"alice": "alice-pw", "bob": "bob-pw", "carol": "carol-pw", "dave": "dave-pw"}}

VCARD = "vcard-temp"
PRIVATE = "jabber:iq:private"
BLOCKING = "urn:xmpp:blocking"
NOTES = "<notes xmlns='urn:test:notes'><note>buy milk</note></notes>"
ACCOUNT_TABLES = ("accounts", "account_secrets", "roster_items", "roster_versions", "offline_messages",
                  "user_documents", "last_activity", "blocklist")


def rows_of(server, user: str) -> dict[str, int]:
    """How many rows each account table holds for user@localhost (read beside the running server)."""
    db = sqlite3.connect(f"file:{server.data_dir / 'xmqd.sqlite'}?mode=ro", uri=True)
    try:
        return {t: db.execute(f"SELECT COUNT(*) FROM {t} WHERE user = ? AND domain = 'localhost'",
                              (user,)).fetchone()[0] for t in ACCOUNT_TABLES}
    finally:
        db.close()


async def give_alice_her_things(alice):
    """A vCard, private XML and a block list entry."""
    card = f"<vCard xmlns='{VCARD}'><FN>Alice Liddell</FN></vCard>"
    assert (await alice.iq("set", None, card))["type"] == "result"
    assert (await alice.iq("set", None, f"<query xmlns='{PRIVATE}'>{NOTES}</query>"))["type"] == "result"
    block = f"<block xmlns='{BLOCKING}'><item jid='dave@localhost'/></block>"
    assert (await alice.iq("set", None, block))["type"] == "result"


async def leave_alice_messages(server, count=2):
    """carol writes to alice's bare JID; alice has no resource that takes them, so they are kept."""
    carol = Client(server, "carol")
    await carol.sign_in()
    for i in range(count):
        carol.send_message("alice@localhost", f"note {i}")
    await carol.ping_server()
    await carol.sign_out()


async def assert_new_alice_starts_empty(server):
    server.add_user("alice", "new-alice-pw")
    async with watched(server, "alice") as alice:
        items, _, _ = await alice.roster()
        assert items == {}
        card = await alice.iq("get", None, f"<vCard xmlns='{VCARD}'/>")
        assert card["type"] == "result" and card.xml.find(f".//{{{VCARD}}}FN") is None
        notes = await alice.iq("get", None, f"<query xmlns='{PRIVATE}'><notes xmlns='urn:test:notes'/></query>")
        assert notes["type"] == "result" and notes.xml.find(".//{urn:test:notes}note") is None
        blocked = await alice.iq("get", None, f"<blocklist xmlns='{BLOCKING}'/>")
        assert blocked.xml.findall(f"{{{BLOCKING}}}blocklist/{{{BLOCKING}}}item") == []
        await alice.available()
        await alice.silence(1.0)  # no offline message of the old alice


async def presences_until(watcher, wanted: set, timeout=5.0) -> set:
    """Collect (from, type) of the presence `watcher` receives until all of `wanted` arrived."""
    seen = set()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not wanted <= seen and loop.time() < deadline:
        try:
            p = await asyncio.wait_for(watcher.presences.get(), deadline - loop.time())
        except asyncio.TimeoutError:
            break
        seen.add((p["from"].full, p.xml.get("type") or "available"))
    return seen


async def test_deluser_with_the_server_running(server):
    await leave_alice_messages(server)
    async with watched(server, "alice") as alice, watched(server, "bob") as bob:
        await bob.available()
        await bob.roster()  # bob asks for his roster, so he gets roster pushes
        await alice.available(priority=-1)  # available, yet bare-JID messages still go offline
        await make_both(alice, bob)
        await give_alice_her_things(alice)
        await leave_alice_messages(server)
        alice_full = alice.jid
        before = rows_of(server, "alice")
        assert before["offline_messages"] == 4 and before["roster_items"] == 1, before
        bob.drain()

        r = await asyncio.to_thread(server.admin, "deluser", "alice@localhost")
        assert r.returncode == 0, f"{r.stdout}{r.stderr}"
        assert "running server" in r.stdout, r.stdout

        # alice's stream ends: she is no longer authorized (XEP-0077 §3.2).
        assert await alice.next_stream_error() == "not-authorized"
        # bob sees her go, and both subscriptions cancelled.
        wanted = {(alice_full, "unavailable"), ("alice@localhost", "unsubscribe"),
                  ("alice@localhost", "unsubscribed")}
        seen = await presences_until(bob, wanted)
        assert wanted <= seen, seen
        subscriptions = []
        while not subscriptions or subscriptions[-1] != "none":
            push = await bob.next_push()
            assert push.get("jid") == "alice@localhost"
            subscriptions.append(push.get("subscription"))
        assert subscriptions == ["to", "none"]  # unsubscribe (A.3.3), then unsubscribed (A.3.4)
        assert await bob.subscription("alice@localhost") == ("none", None)

    assert set(rows_of(server, "alice").values()) == {0}
    assert "alice@localhost" not in server.admin("users").stdout.split()
    await assert_new_alice_starts_empty(server)


async def test_deluser_with_the_server_stopped(make_server):
    server = make_server("deletion-stopped", users={"alice": "alice-pw", "bob": "bob-pw", "carol": "carol-pw",
                                                    "dave": "dave-pw"})
    server.start()
    socket = server.data_dir / "xmqd.ctl"
    assert stat.S_IMODE(socket.stat().st_mode) == 0o600
    async with watched(server, "alice") as alice, watched(server, "bob") as bob, \
            watched(server, "carol") as carol:
        await alice.available()
        await bob.available()
        await make_both(alice, bob)
        carol.presence("alice@localhost", "subscribe")  # carol asks; alice never answers
        await carol.ping_server()
        await give_alice_her_things(alice)
    await leave_alice_messages(server)
    assert server.stop() == 0
    assert not socket.exists()  # removed at exit

    r = server.admin("deluser", "alice@localhost")
    assert r.returncode == 0, f"{r.stdout}{r.stderr}"
    assert "no server running" in r.stdout, r.stdout
    assert set(rows_of(server, "alice").values()) == {0}

    server.pick_ports()
    server.write_config()
    server.start()
    async with watched(server, "bob") as bob, watched(server, "carol") as carol:
        assert await bob.subscription("alice@localhost") == ("none", None)  # kept, with nothing left
        assert await carol.subscription("alice@localhost") == ("none", None)  # the request was denied
    await assert_new_alice_starts_empty(server)
    server.stop()


def test_deluser_of_an_unknown_user_through_the_running_server(server):
    r = server.admin("deluser", "nobody@localhost")
    assert r.returncode == 1
    assert "no such user" in r.stderr, r.stderr
