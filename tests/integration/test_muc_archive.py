"""Room archives (XEP-0313 on the room JID) with slixmpp's xep_0045 and xep_0313 plugins.

A late joiner pages back through a room's archive, live messages carry the room's
stanza-id (XEP-0359) under which the archive knows them, a persistent room's
discussion history comes back from its archive after a restart, who may read the
archive, and a destroyed room's archive goes with it.
"""

from __future__ import annotations

from protocol import STEP_TIMEOUT
from test_muc import DISCO_INFO, MucClient, room_of
from xmpp_client import error_condition

MAM = "urn:xmpp:mam:2"
SID = "urn:xmpp:sid:0"
RSM = "http://jabber.org/protocol/rsm"
FORWARD = "urn:xmpp:forward:0"


class ArchiveClient(MucClient):
    def __init__(self, server, user, resource="muc"):
        super().__init__(server, user, resource=resource)
        self.xmpp.register_plugin("xep_0313")
        self.mam = self.xmpp.plugin["xep_0313"]


async def sign_in(server, *users):
    made = [ArchiveClient(server, user) for user in users]
    for c in made:
        await c.sign_in()
    return made


async def sign_out(*made):
    for c in made:
        await c.sign_out()


def room_stanza_id(message, room):
    ids = [e.get("id") for e in message.xml.findall(f"{{{SID}}}stanza-id") if e.get("by") == room]
    assert len(ids) == 1, f"expected one stanza-id by {room}: {message}"
    return ids[0]


async def say(client, room, bodies):
    """Sends each body to the room and returns the room's stanza-id of each, from the echo (others' skipped)."""
    ids = []
    for body in bodies:
        client.xmpp.send_message(mto=room, mbody=body, mtype="groupchat")
        echo = await client.next_groupchat()
        while echo["body"] != body:
            echo = await client.next_groupchat()
        ids.append(room_stanza_id(echo, room))
    return ids


async def test_a_late_joiner_pages_back_through_the_room_archive(server):
    room = room_of(server, "chronicle")
    alice, bob, carol = await sign_in(server, "alice", "bob", "carol")
    try:
        await alice.muc.join_muc_wait(room, "Alice", timeout=STEP_TIMEOUT)
        await bob.muc.join_muc_wait(room, "Bob", timeout=STEP_TIMEOUT)
        ids = await say(alice, room, [f"a{i}" for i in range(4)])
        ids += await say(bob, room, [f"b{i}" for i in range(3)])

        info = await carol.iq("get", room, f"<query xmlns='{DISCO_INFO}'/>")
        features = {f.get("var") for f in info.xml.find(f"{{{DISCO_INFO}}}query").findall(f"{{{DISCO_INFO}}}feature")}
        assert {MAM, SID} <= features

        # Carol, not in the room (an open room: anyone who may enter may read), pages back.
        await carol.muc.join_muc_wait(room, "Carol", maxstanzas=0, timeout=STEP_TIMEOUT)
        backward = [m async for m in carol.mam.iterate(jid=room, rsm={"max": 3}, reverse=True)]
        bodies = [m["mam_result"]["forwarded"]["stanza"]["body"] for m in backward]
        assert bodies == ["b2", "b1", "b0", "a3", "a2", "a1", "a0"]
        assert [m["mam_result"]["id"] for m in backward] == list(reversed(ids))
        for m in backward:
            assert m["from"].full == room
            forwarded = m["mam_result"]["forwarded"]["stanza"]
            assert forwarded["from"].bare == room and forwarded["from"].resource in ("Alice", "Bob")
            assert forwarded["type"] == "groupchat"

        # `with` an occupant JID selects that nick's messages; after-id bounds them.
        only_bob = await carol.mam.retrieve(jid=room, with_jid=f"{room}/Bob")
        assert [r["mam_result"]["forwarded"]["stanza"]["body"] for r in only_bob["mam"]["results"]] == \
            ["b0", "b1", "b2"]
        answer = await carol.iq("set", room,
                                f"<query xmlns='{MAM}' queryid='q'><x xmlns='jabber:x:data' type='submit'>"
                                f"<field var='FORM_TYPE' type='hidden'><value>{MAM}</value></field>"
                                f"<field var='after-id'><value>{ids[4]}</value></field></x>"
                                f"<set xmlns='{RSM}'><max>10</max></set></query>")
        fin = answer.xml.find(f"{{{MAM}}}fin")
        assert fin.get("complete") == "true"
        assert fin.findtext(f"{{{RSM}}}set/{{{RSM}}}first") == ids[5]
        assert fin.findtext(f"{{{RSM}}}set/{{{RSM}}}last") == ids[6]
    finally:
        await sign_out(alice, bob, carol)


async def test_only_members_read_a_members_only_room_and_banned_users_never(server):
    room = room_of(server, "cellar")
    alice, dave = await sign_in(server, "alice", "dave")
    try:
        await alice.muc.join_muc_wait(room, "Alice", timeout=STEP_TIMEOUT)
        await say(alice, room, ["kept"])
        form = await alice.muc.get_room_config(room, timeout=STEP_TIMEOUT)
        form.set_values({"muc#roomconfig_membersonly": True})
        await alice.muc.set_room_config(room, form, timeout=STEP_TIMEOUT)
        query = f"<query xmlns='{MAM}'/>"
        refused = await dave.iq("set", room, query)
        assert error_condition(refused) == "forbidden"
        await alice.muc.set_affiliation(room, "member", jid=dave.bare, timeout=STEP_TIMEOUT)
        result = await dave.mam.retrieve(jid=room)
        assert [r["mam_result"]["forwarded"]["stanza"]["body"] for r in result["mam"]["results"]] == ["kept"]
        await alice.muc.set_affiliation(room, "outcast", jid=dave.bare, timeout=STEP_TIMEOUT)
        assert error_condition(await dave.iq("set", room, query)) == "forbidden"
    finally:
        await sign_out(alice, dave)


async def test_history_of_a_persistent_room_comes_from_its_archive_after_a_restart(fresh_server):
    server = fresh_server
    room = room_of(server, "annals")
    (alice,) = await sign_in(server, "alice")
    try:
        await alice.muc.join_muc_wait(room, "Alice", timeout=STEP_TIMEOUT)
        form = await alice.muc.get_room_config(room, timeout=STEP_TIMEOUT)
        form.set_values({"muc#roomconfig_persistentroom": True})
        await alice.muc.set_room_config(room, form, timeout=STEP_TIMEOUT)
        ids = await say(alice, room, [f"line {i}" for i in range(5)])
        await alice.ping_server()
    finally:
        await sign_out(alice)
    assert server.stop() == 0
    server.start()
    (bob,) = await sign_in(server, "bob")
    try:
        _, _, _, history = await bob.muc.join_muc_wait(room, "Bob", maxstanzas=3, timeout=STEP_TIMEOUT)
        assert [m["body"] for m in history] == ["line 2", "line 3", "line 4"]
        assert [room_stanza_id(m, room) for m in history] == ids[2:]
        result = await bob.mam.retrieve(jid=room)
        assert [r["mam_result"]["id"] for r in result["mam"]["results"]] == ids
    finally:
        await sign_out(bob)


async def test_a_destroyed_room_takes_its_archive_with_it(server):
    room = room_of(server, "ephemera")
    (alice,) = await sign_in(server, "alice")
    try:
        await alice.muc.join_muc_wait(room, "Alice", timeout=STEP_TIMEOUT)
        await say(alice, room, ["gone soon"])
        assert len((await alice.mam.retrieve(jid=room))["mam"]["results"]) == 1
        await alice.muc.destroy(room, reason="done", timeout=STEP_TIMEOUT)
        # Made anew; the query runs on the storage thread after the deletion (jobs run in order).
        await alice.muc.join_muc_wait(room, "Alice", timeout=STEP_TIMEOUT)
        assert list((await alice.mam.retrieve(jid=room))["mam"]["results"]) == []
    finally:
        await sign_out(alice)
