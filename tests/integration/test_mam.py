"""Message archives (XEP-0313) and stanza ids (XEP-0359) against the real server.

With raw iqs and with slixmpp's xep_0313 plugin: both parties' archives, the
stanza-id on the live message (and a forged one removed), paging both ways
until the end, unknown ids, max='0', the archive metadata (#extended),
preferences never and roster, offline
messages for a client that never asks the archive, the archive going with
its account, and an XEP-0227 export then import carrying it.
"""

from __future__ import annotations

import sqlite3

import pytest

from xmpp_client import Client, error_condition, signed_in

MAM = "urn:xmpp:mam:2"
SID = "urn:xmpp:sid:0"
RSM = "http://jabber.org/protocol/rsm"


async def mam_client(server, user: str, resource: str = "mam") -> Client:
    c = Client(server, user, resource=resource)
    c.xmpp.register_plugin("xep_0313")
    await c.sign_in()
    return c


def stanza_ids(message) -> list[tuple[str, str]]:
    return [(e.get("by"), e.get("id")) for e in message.xml.findall(f"{{{SID}}}stanza-id")]


async def send_and_receive(sender: Client, receiver: Client, bodies: list[str]) -> list:
    got = []
    for body in bodies:
        sender.send_message(receiver.bare, body)
        got.append(await receiver.next_message())
    return got


async def archive_bodies(client: Client, **kw) -> list[str]:
    result = await client.xmpp["xep_0313"].retrieve(**kw)
    return [m["mam_result"]["forwarded"]["stanza"]["body"] for m in result["mam"]["results"]]


async def test_both_archives_and_the_live_stanza_id(server):
    alice = await mam_client(server, "alice")
    bob = await mam_client(server, "bob")
    try:
        await alice.available()
        live = await send_and_receive(bob, alice, ["one", "two"])
        ids = [stanza_ids(m) for m in live]
        assert all(len(i) == 1 and i[0][0] == "alice@localhost" for i in ids), ids

        result = await alice.xmpp["xep_0313"].retrieve(with_jid="bob@localhost")
        results = result["mam"]["results"]
        assert [r["mam_result"]["id"] for r in results][-2:] == [i[0][1] for i in ids]
        assert [r["mam_result"]["forwarded"]["stanza"]["body"] for r in results][-2:] == ["one", "two"]
        assert results[-1]["mam_result"]["forwarded"]["delay"]["stamp"] is not None
        assert (await archive_bodies(bob, with_jid="alice@localhost"))[-2:] == ["one", "two"]
    finally:
        await alice.sign_out()
        await bob.sign_out()


async def test_a_forged_stanza_id_is_removed_and_the_origin_id_kept(server):
    async with signed_in(server, "carol", resource="live") as carol, signed_in(server, "dave") as dave:
        await carol.available()
        dave.send_raw("<message to='carol@localhost' type='chat' id='f1'><body>trust me</body>"
                      "<stanza-id xmlns='urn:xmpp:sid:0' by='carol@localhost' id='forged'/>"
                      "<origin-id xmlns='urn:xmpp:sid:0' id='o-1'/></message>")
        m = await carol.next_message()
        ids = stanza_ids(m)
        assert len(ids) == 1 and ids[0][1] != "forged", ids
        assert m.xml.find(f"{{{SID}}}origin-id").get("id") == "o-1"


async def test_archive_metadata_names_the_first_and_last_message_for_slixmpp(make_server):
    server = make_server("mam-metadata")
    server.start()
    erin = await mam_client(server, "erin")
    dave = await mam_client(server, "dave")
    try:
        empty = await erin.xmpp["xep_0313"].get_archive_metadata()
        assert empty.xml.find(f"{{{MAM}}}metadata") is not None
        assert len(empty.xml.find(f"{{{MAM}}}metadata")) == 0
        await erin.available()
        live = await send_and_receive(dave, erin, ["first", "middle", "last"])
        metadata = (await erin.xmpp["xep_0313"].get_archive_metadata())["mam_metadata"]
        assert metadata["start"]["id"] == stanza_ids(live[0])[0][1]
        assert metadata["end"]["id"] == stanza_ids(live[-1])[0][1]
        assert metadata["start"]["timestamp"] <= metadata["end"]["timestamp"]
    finally:
        await erin.sign_out()
        await dave.sign_out()


async def test_paging_both_ways_with_slixmpp_until_the_end(make_server):
    server = make_server("mam-paging")
    server.start()
    try:
        async with signed_in(server, "bob") as bob:
            for i in range(7):
                bob.send_message("alice@localhost", f"m{i}")
            await bob.ping_server()
        alice = await mam_client(server, "alice")
        try:
            forward = [m["mam_result"]["forwarded"]["stanza"]["body"]
                       async for m in alice.xmpp["xep_0313"].iterate(rsm={"max": 3})]
            assert forward == [f"m{i}" for i in range(7)]
            backward = [m["mam_result"]["forwarded"]["stanza"]["body"]
                        async for m in alice.xmpp["xep_0313"].iterate(rsm={"max": 3}, reverse=True)]
            assert backward == [f"m{i}" for i in reversed(range(7))]

            # Raw: the last page, max='0', unknown ids, a bad field.
            answer = await alice.iq("set", None, f"<query xmlns='{MAM}'><set xmlns='{RSM}'><max>2</max>"
                                                 "<before/></set></query>")
            fin = answer.xml.find(f"{{{MAM}}}fin")
            assert fin.get("complete") is None
            assert fin.find(f"{{{RSM}}}set/{{{RSM}}}first") is not None
            answer = await alice.iq("set", None, f"<query xmlns='{MAM}'><set xmlns='{RSM}'><max>0</max></set>"
                                                 "</query>")
            assert answer.xml.findtext(f"{{{MAM}}}fin/{{{RSM}}}set/{{{RSM}}}count") == "7"
            for bad in (f"<set xmlns='{RSM}'><after>no-such-id</after></set>",
                        "<x xmlns='jabber:x:data' type='submit'><field var='after-id'><value>nope</value>"
                        "</field></x>"):
                answer = await alice.iq("set", None, f"<query xmlns='{MAM}'>{bad}</query>")
                assert error_condition(answer) == "item-not-found", answer
            answer = await alice.iq("set", None, f"<query xmlns='{MAM}'><x xmlns='jabber:x:data' type='submit'>"
                                                 "<field var='colour'><value>red</value></field></x></query>")
            assert error_condition(answer) == "bad-request", answer
        finally:
            await alice.sign_out()
    finally:
        server.stop()


async def test_preferences_never_and_roster(make_server):
    server = make_server("mam-prefs")
    server.start()
    try:
        erin = await mam_client(server, "erin")
        try:
            await erin.available()
            answer = await erin.iq("set", None, f"<prefs xmlns='{MAM}' default='never'/>")
            assert answer["type"] == "result", answer
            async with signed_in(server, "dave") as dave:
                live = await send_and_receive(dave, erin, ["not kept"])
                assert stanza_ids(live[0]) == []
                assert await archive_bodies(erin) == []
                # Roster: dave is not a contact, carol is.
                await erin.iq("set", None, "<query xmlns='jabber:iq:roster'><item jid='carol@localhost'/></query>")
                await erin.iq("set", None, f"<prefs xmlns='{MAM}' default='roster'/>")
                await send_and_receive(dave, erin, ["stranger"])
                async with signed_in(server, "carol") as carol:
                    await send_and_receive(carol, erin, ["friend"])
                assert await archive_bodies(erin) == ["friend"]
        finally:
            await erin.sign_out()
    finally:
        server.stop()


async def test_offline_messages_still_reach_a_client_without_mam(make_server):
    server = make_server("mam-offline")
    server.start()
    try:
        async with signed_in(server, "bob") as bob:
            bob.send_message("alice@localhost", "while you were out")
            await bob.ping_server()
        async with signed_in(server, "alice") as alice:
            await alice.available()
            m = await alice.next_message()
            assert m["body"] == "while you were out"
            assert stanza_ids(m)[0][0] == "alice@localhost"
    finally:
        server.stop()


def archive_rows(server, user: str) -> int:
    db = sqlite3.connect(f"file:{server.data_dir / 'xmqd.sqlite'}?mode=ro", uri=True)
    try:
        return db.execute("SELECT COUNT(*) FROM archive_messages WHERE user = ? AND domain = 'localhost'",
                          (user,)).fetchone()[0]
    finally:
        db.close()


async def test_deleting_an_account_deletes_its_archive(make_server):
    server = make_server("mam-deletion")
    server.start()
    try:
        async with signed_in(server, "bob") as bob:
            bob.send_message("alice@localhost", "soon gone")
            await bob.ping_server()
        assert archive_rows(server, "alice") == 1
        r = server.admin("deluser", "alice@localhost")
        assert r.returncode == 0, r.stderr
        assert archive_rows(server, "alice") == 0
        assert archive_rows(server, "bob") == 1  # bob's own copy is his
    finally:
        server.stop()


async def test_export_then_import_carries_the_archive(make_server, tmp_path):
    first = make_server("mam-export")
    first.start()
    try:
        alice = await mam_client(first, "alice")
        try:
            await alice.available()
            async with signed_in(first, "bob") as bob:
                live = await send_and_receive(bob, alice, ["kept", "across"])
            ids = [stanza_ids(m)[0][1] for m in live]
            await alice.iq("set", None, f"<prefs xmlns='{MAM}' default='roster'/>")
        finally:
            await alice.sign_out()
    finally:
        first.stop()
    exported = tmp_path / "export.xml"
    r = first.admin("export", "-o", str(exported))
    assert r.returncode == 0, r.stderr
    assert "4 archived messages" in r.stderr, r.stderr  # alice's two and bob's two

    second = make_server("mam-import", users={})
    r = second.admin("import", str(exported))
    assert r.returncode == 0, r.stderr
    second.passwords.update(first.passwords)
    second.start()
    try:
        alice = await mam_client(second, "alice")
        try:
            result = await alice.xmpp["xep_0313"].retrieve()
            results = result["mam"]["results"]
            assert [r["mam_result"]["id"] for r in results] == ids
            assert [r["mam_result"]["forwarded"]["stanza"]["body"] for r in results] == ["kept", "across"]
            prefs = await alice.iq("get", None, f"<prefs xmlns='{MAM}'/>")
            assert prefs.xml.find(f"{{{MAM}}}prefs").get("default") == "roster"
        finally:
            await alice.sign_out()
    finally:
        second.stop()
