"""Group chat (XEP-0045) with slixmpp's xep_0045 plugin against the real server.

Each test uses a room of its own on conference.localhost: discovery, joining with
history, messages between two clients, a nick change, kick and ban, and the owner's
configuration form.
"""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from slixmpp.exceptions import PresenceError

from protocol import STEP_TIMEOUT
from xmpp_client import Client

MUC_USER = "http://jabber.org/protocol/muc#user"
DELAY = "urn:xmpp:delay"
DISCO_INFO = "http://jabber.org/protocol/disco#info"
DISCO_ITEMS = "http://jabber.org/protocol/disco#items"


class MucClient(Client):
    """A slixmpp session with the xep_0045 plugin; groupchat messages and room presence in queues."""

    def __init__(self, server, user, resource="muc"):
        super().__init__(server, user, resource=resource)
        self.xmpp.register_plugin("xep_0030")
        self.xmpp.register_plugin("xep_0045")
        self.muc = self.xmpp.plugin["xep_0045"]
        self.groupchat: asyncio.Queue = asyncio.Queue()
        self.room_presence: asyncio.Queue = asyncio.Queue()
        self.xmpp.add_event_handler("groupchat_message", self.groupchat.put_nowait)
        self.xmpp.add_event_handler("groupchat_presence", self.room_presence.put_nowait)

    async def next_groupchat(self, timeout=STEP_TIMEOUT):
        """The next live groupchat message with a body (history, with its delay, skipped)."""
        while True:
            try:
                msg = await asyncio.wait_for(self.groupchat.get(), timeout)
            except asyncio.TimeoutError:
                raise AssertionError(f"{self.jid}: no groupchat message within {timeout}s") from None
            if msg["body"] and msg.xml.find(f"{{{DELAY}}}delay") is None:
                return msg

    async def next_groupchat_subject(self, timeout=STEP_TIMEOUT):
        """The next groupchat message that sets a subject (slixmpp gives those no groupchat_message event)."""
        while True:
            msg = await self.next_message(timeout)
            if msg["type"] == "groupchat" and msg["subject"]:
                return msg

    async def next_room_presence(self, sender: str, timeout=STEP_TIMEOUT, *, unavailable: bool | None = None):
        """The next room presence from `sender` (room@service/nick), of availability `unavailable` if given."""
        while True:
            try:
                p = await asyncio.wait_for(self.room_presence.get(), timeout)
            except asyncio.TimeoutError:
                raise AssertionError(f"{self.jid}: no presence from {sender} within {timeout}s") from None
            if p["from"].full == sender and (unavailable is None or (p["type"] == "unavailable") == unavailable):
                return p


def status_codes(stanza) -> set[int]:
    x = stanza.xml.find(f"{{{MUC_USER}}}x")
    return {int(s.get("code")) for s in x.findall(f"{{{MUC_USER}}}status")} if x is not None else set()


@contextlib.asynccontextmanager
async def clients(server, *users):
    made = [MucClient(server, user) for user in users]
    for c in made:
        await c.sign_in()
    try:
        yield made
    finally:
        for c in made:
            await c.sign_out()


def room_of(server, name):
    return f"{name}@conference.{server.domain}"


async def test_service_is_discovered_with_its_public_rooms(server):
    async with clients(server, "alice") as (alice,):
        items = await alice.iq("get", server.domain, f"<query xmlns='{DISCO_ITEMS}'/>")
        jids = [i.get("jid") for i in items.xml.find(f"{{{DISCO_ITEMS}}}query")]
        assert f"conference.{server.domain}" in jids
        info = await alice.iq("get", f"conference.{server.domain}", f"<query xmlns='{DISCO_INFO}'/>")
        identity = info.xml.find(f"{{{DISCO_INFO}}}query/{{{DISCO_INFO}}}identity")
        assert (identity.get("category"), identity.get("type")) == ("conference", "text")
        room = room_of(server, "lobby")
        await alice.muc.join_muc_wait(room, "Alice", timeout=STEP_TIMEOUT)
        rooms = await alice.iq("get", f"conference.{server.domain}", f"<query xmlns='{DISCO_ITEMS}'/>")
        assert room in [i.get("jid") for i in rooms.xml.find(f"{{{DISCO_ITEMS}}}query")]
        room_info = await alice.iq("get", room, f"<query xmlns='{DISCO_INFO}'/>")
        features = {f.get("var") for f in room_info.xml.find(f"{{{DISCO_INFO}}}query").findall(f"{{{DISCO_INFO}}}feature")}
        assert {"http://jabber.org/protocol/muc", "muc_public", "muc_open", "urn:xmpp:occupant-id:0"} <= features


async def test_join_history_and_messages_between_two_clients(server):
    room = room_of(server, "verona")
    async with clients(server, "alice", "bob") as (alice, bob):
        own, subject, occupants, history = await alice.muc.join_muc_wait(room, "Alice", timeout=STEP_TIMEOUT)
        assert {110, 201} <= status_codes(own)
        assert occupants == [] or all(p["from"].resource == "Alice" for p in occupants)
        for i in range(3):
            alice.xmpp.send_message(mto=room, mbody=f"line {i}", mtype="groupchat")
            echo = await alice.next_groupchat()
            assert echo["body"] == f"line {i}" and echo["from"].full == f"{room}/Alice"

        own, subject, occupants, history = await bob.muc.join_muc_wait(room, "Bob", maxstanzas=2,
                                                                       timeout=STEP_TIMEOUT)
        assert 110 in status_codes(own)
        assert sorted(p["from"].resource for p in occupants) == ["Alice", "Bob"]  # slixmpp lists itself too
        assert [m["body"] for m in history] == ["line 1", "line 2"]
        for m in history:
            delay = m.xml.find(f"{{{DELAY}}}delay")
            assert delay is not None and delay.get("from") == room and delay.get("stamp")
        joined = await alice.next_room_presence(f"{room}/Bob")
        assert joined["type"] != "unavailable"

        bob.xmpp.send_message(mto=room, mbody="hello Alice", mtype="groupchat")
        got = await alice.next_groupchat()
        assert (got["body"], got["from"].full) == ("hello Alice", f"{room}/Bob")
        mine = await bob.next_groupchat()
        assert mine["body"] == "hello Alice"

        # A private message between occupants.
        bob.xmpp.send_message(mto=f"{room}/Alice", mbody="just you", mtype="chat")
        while True:
            pm = await alice.next_message()
            if pm["type"] == "chat":
                break
        assert pm["body"] == "just you" and pm["from"].full == f"{room}/Bob"
        assert pm.xml.find(f"{{{MUC_USER}}}x") is not None


async def test_nick_change_and_leave(server):
    room = room_of(server, "garden")
    async with clients(server, "alice", "bob", "carol") as (alice, bob, carol):
        await alice.muc.join_muc_wait(room, "Alice", timeout=STEP_TIMEOUT)
        await bob.muc.join_muc_wait(room, "Bob", timeout=STEP_TIMEOUT)
        await alice.next_room_presence(f"{room}/Bob")
        bob.xmpp.send_presence(pto=f"{room}/Robert")
        changed = await alice.next_room_presence(f"{room}/Bob")
        assert changed["type"] == "unavailable" and 303 in status_codes(changed)
        assert changed.xml.find(f"{{{MUC_USER}}}x/{{{MUC_USER}}}item").get("nick") == "Robert"
        back = await alice.next_room_presence(f"{room}/Robert")
        assert back["type"] != "unavailable"
        # A nick in use by someone else is a conflict.
        with pytest.raises(PresenceError) as refused:
            await carol.muc.join_muc_wait(room, "Robert", timeout=STEP_TIMEOUT)
        assert refused.value.condition == "conflict"

        await bob.sign_out()  # the session's end is the occupant's leave
        gone = await alice.next_room_presence(f"{room}/Robert")
        assert gone["type"] == "unavailable"


async def test_kick_and_ban(server):
    room = room_of(server, "court")
    async with clients(server, "alice", "bob", "carol") as (alice, bob, carol):
        await alice.muc.join_muc_wait(room, "Alice", timeout=STEP_TIMEOUT)
        await bob.muc.join_muc_wait(room, "Bob", timeout=STEP_TIMEOUT)
        await carol.muc.join_muc_wait(room, "Carol", timeout=STEP_TIMEOUT)
        await alice.muc.set_role(room, "Bob", "none", reason="Out", timeout=STEP_TIMEOUT)
        kicked = await bob.next_room_presence(f"{room}/Bob", unavailable=True)
        assert kicked["type"] == "unavailable" and {110, 307} <= status_codes(kicked)
        await alice.muc.set_affiliation(room, "outcast", jid=carol.bare, timeout=STEP_TIMEOUT)
        banned = await carol.next_room_presence(f"{room}/Carol", unavailable=True)
        assert banned["type"] == "unavailable" and {110, 301} <= status_codes(banned)
        outcasts = await alice.muc.get_affiliation_list(room, "outcast", timeout=STEP_TIMEOUT)
        assert [str(j) for j in outcasts] == [carol.bare]
        with pytest.raises(PresenceError) as refused:
            await carol.muc.join_muc_wait(room, "Carol", timeout=STEP_TIMEOUT)
        assert refused.value.condition == "forbidden"
        # Bob was only kicked: he may come back.
        own, *_ = await bob.muc.join_muc_wait(room, "Bob", timeout=STEP_TIMEOUT)
        assert 110 in status_codes(own)


async def test_owner_configures_the_room(server):
    room = room_of(server, "council")
    async with clients(server, "alice", "dave") as (alice, dave):
        await alice.muc.join_muc_wait(room, "Alice", timeout=STEP_TIMEOUT)
        form = await alice.muc.get_room_config(room, timeout=STEP_TIMEOUT)
        fields = form.get_fields()
        assert "muc#roomconfig_membersonly" in fields and "muc#roomconfig_roomname" in fields
        form.set_values({"muc#roomconfig_roomname": "The Council", "muc#roomconfig_membersonly": True})
        await alice.muc.set_room_config(room, form, timeout=STEP_TIMEOUT)
        info = await alice.iq("get", room, f"<query xmlns='{DISCO_INFO}'/>")
        query = info.xml.find(f"{{{DISCO_INFO}}}query")
        assert query.find(f"{{{DISCO_INFO}}}identity").get("name") == "The Council"
        assert "muc_membersonly" in {f.get("var") for f in query.findall(f"{{{DISCO_INFO}}}feature")}
        with pytest.raises(PresenceError) as refused:
            await dave.muc.join_muc_wait(room, "Dave", timeout=STEP_TIMEOUT)
        assert refused.value.condition == "registration-required"
        await alice.muc.set_affiliation(room, "member", jid=dave.bare, timeout=STEP_TIMEOUT)
        own, *_ = await dave.muc.join_muc_wait(room, "Dave", timeout=STEP_TIMEOUT)
        assert 110 in status_codes(own)


async def test_persistent_room_survives_a_restart(fresh_server):
    server = fresh_server
    room = room_of(server, "archive")
    async with clients(server, "alice") as (alice,):
        await alice.muc.join_muc_wait(room, "Alice", timeout=STEP_TIMEOUT)
        form = await alice.muc.get_room_config(room, timeout=STEP_TIMEOUT)
        form.set_values({"muc#roomconfig_persistentroom": True, "muc#roomconfig_roomname": "Kept"})
        await alice.muc.set_room_config(room, form, timeout=STEP_TIMEOUT)
        await alice.muc.set_affiliation(room, "member", jid=f"bob@{server.domain}", timeout=STEP_TIMEOUT)
        alice.xmpp.send_message(mto=room, msubject="Still here", mtype="groupchat")
        await alice.next_groupchat_subject()
    assert server.stop() == 0
    server.start()
    async with clients(server, "alice", "bob") as (alice, bob):
        info = await bob.iq("get", room, f"<query xmlns='{DISCO_INFO}'/>")
        query = info.xml.find(f"{{{DISCO_INFO}}}query")
        assert query is not None, f"the room is gone after the restart: {info}"
        assert query.find(f"{{{DISCO_INFO}}}identity").get("name") == "Kept"
        assert "muc_persistent" in {f.get("var") for f in query.findall(f"{{{DISCO_INFO}}}feature")}
        own, subject, _, _ = await alice.muc.join_muc_wait(room, "Alice", timeout=STEP_TIMEOUT)
        assert 201 not in status_codes(own)
        assert subject["subject"] == "Still here"
        members = await alice.muc.get_affiliation_list(room, "member", timeout=STEP_TIMEOUT)
        assert [str(j) for j in members] == [f"bob@{server.domain}"]


async def test_deleted_owner_leaves_and_admins_inherit_the_room(fresh_server):
    server = fresh_server
    room = room_of(server, "heirs")
    async with clients(server, "alice", "bob") as (alice, bob):
        await alice.muc.join_muc_wait(room, "Alice", timeout=STEP_TIMEOUT)
        await alice.muc.set_affiliation(room, "admin", jid=bob.bare, timeout=STEP_TIMEOUT)
        await bob.muc.join_muc_wait(room, "Bob", timeout=STEP_TIMEOUT)
        r = await asyncio.to_thread(server.admin, "deluser", alice.bare)
        assert r.returncode == 0, r.stdout + r.stderr
        gone = await bob.next_room_presence(f"{room}/Alice", unavailable=True)
        assert gone["type"] == "unavailable"
        owners = await bob.muc.get_affiliation_list(room, "owner", timeout=STEP_TIMEOUT)
        assert [str(j) for j in owners] == [bob.bare]


async def test_a_registered_nick_is_reserved_in_its_room(server):
    room = room_of(server, "registry")
    register = "jabber:iq:register"
    async with clients(server, "alice", "bob", "carol") as (alice, bob, carol):
        await alice.muc.join_muc_wait(room, "Alice", timeout=STEP_TIMEOUT)
        info = await bob.iq("get", room, f"<query xmlns='{DISCO_INFO}'/>")
        assert register in {f.get("var") for f in info.xml.find(f"{{{DISCO_INFO}}}query")
                            .findall(f"{{{DISCO_INFO}}}feature")}
        form = await bob.iq("get", room, f"<query xmlns='{register}'/>")
        fields = [f.get("var") for f in form.xml.iter("{jabber:x:data}field")]
        assert "muc#register_roomnick" in fields
        answer = await bob.iq("set", room, f"<query xmlns='{register}'><x xmlns='jabber:x:data' type='submit'>"
                                           "<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#register"
                                           "</value></field><field var='muc#register_roomnick'><value>Bobby</value>"
                                           "</field></x></query>")
        assert answer["type"] == "result"
        members = await alice.muc.get_affiliation_list(room, "member", timeout=STEP_TIMEOUT)
        assert [str(j) for j in members] == [bob.bare]
        with pytest.raises(PresenceError) as refused:
            await carol.muc.join_muc_wait(room, "Bobby", timeout=STEP_TIMEOUT)
        assert refused.value.condition == "conflict"
        own, *_ = await bob.muc.join_muc_wait(room, "Bobby", timeout=STEP_TIMEOUT)
        assert 110 in status_codes(own)
        reserved = await bob.iq("get", room, f"<query xmlns='{DISCO_INFO}' node='x-roomuser-item'/>")
        identity = reserved.xml.find(f"{{{DISCO_INFO}}}query/{{{DISCO_INFO}}}identity")
        assert identity is not None and identity.get("name") == "Bobby"


async def test_a_host_chooses_its_group_chat_domain(make_server):
    server = make_server("muc-domain")
    server.host_config["localhost"] = {"muc_domain": "rooms.localhost"}
    server.write_config()
    server.start()
    try:
        async with clients(server, "alice") as (alice,):
            items = await alice.iq("get", server.domain, f"<query xmlns='{DISCO_ITEMS}'/>")
            jids = [i.get("jid") for i in items.xml.find(f"{{{DISCO_ITEMS}}}query")]
            assert "rooms.localhost" in jids and "conference.localhost" not in jids
            own, *_ = await alice.muc.join_muc_wait("hall@rooms.localhost", "Alice", timeout=STEP_TIMEOUT)
            assert 110 in status_codes(own)
            gone = await alice.iq("get", "conference.localhost", f"<query xmlns='{DISCO_INFO}'/>")
            assert gone["type"] == "error"
    finally:
        server.stop()
