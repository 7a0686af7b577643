"""Message carbons (XEP-0280) between real clients: two resources of one account and a contact.

slixmpp's xep_0280 plugin enables carbons and recognises the copies (its carbon_received
and carbon_sent events fire only for copies from the account's own bare JID); a raw
stream checks the wire form of a copy.
"""

import asyncio
import contextlib

from protocol import STEP_TIMEOUT
from raw_stream import RawStream
from xmpp_client import Client

CARBONS = "urn:xmpp:carbons:2"
FORWARD = "urn:xmpp:forward:0"

XMQD_OPTIONS = {"users": {name: f"{name}-pw" for name in ("amy", "bo", "cy", "di", "ed", "flo", "gil", "hu")}}


class CarbonClient(Client):
    """A slixmpp session with the xep_0280 plugin, its copies in queues of their own."""

    def __init__(self, server, user, resource):
        super().__init__(server, user, resource=resource)
        self.xmpp.register_plugin("xep_0280")
        self.received_copies: asyncio.Queue = asyncio.Queue()
        self.sent_copies: asyncio.Queue = asyncio.Queue()
        self.xmpp.add_event_handler("carbon_received", self.received_copies.put_nowait)
        self.xmpp.add_event_handler("carbon_sent", self.sent_copies.put_nowait)

    async def enable(self):
        answer = await self.xmpp.plugin["xep_0280"].enable(timeout=STEP_TIMEOUT)
        assert answer["type"] == "result"

    async def disable(self):
        answer = await self.xmpp.plugin["xep_0280"].disable(timeout=STEP_TIMEOUT)
        assert answer["type"] == "result"

    async def next_original(self, timeout=STEP_TIMEOUT):
        """The next message that is not a carbon copy."""
        while True:
            msg = await self.next_message(timeout)
            if msg.xml.find(f"{{{CARBONS}}}received") is None and msg.xml.find(f"{{{CARBONS}}}sent") is None:
                return msg


@contextlib.asynccontextmanager
async def three(server, user, contact):
    """user/phone and user/laptop with carbons enabled, and contact/desk; all available."""
    phone = CarbonClient(server, user, "phone")
    laptop = CarbonClient(server, user, "laptop")
    other = CarbonClient(server, contact, "desk")
    for c in (phone, laptop, other):
        await c.sign_in()
    try:
        for c in (phone, laptop, other):
            await c.available()
        await phone.enable()
        await laptop.enable()
        yield phone, laptop, other
    finally:
        for c in (phone, laptop, other):
            await c.sign_out()


async def forwarded_body(queue: asyncio.Queue, side: str) -> tuple[str, str, str]:
    copy = await asyncio.wait_for(queue.get(), STEP_TIMEOUT)
    inner = copy.xml.find(f"{{{CARBONS}}}{side}/{{{FORWARD}}}forwarded/{{jabber:client}}message")
    assert inner is not None, f"no forwarded message in {copy}"
    return inner.get("from"), inner.get("to"), inner.findtext("{jabber:client}body")


async def test_received_and_sent_copies_reach_the_other_resource(server):
    async with three(server, "amy", "bo") as (phone, laptop, bo):
        bo.send_message(phone.jid, "to the phone")
        assert (await phone.next_original())["body"] == "to the phone"
        assert await forwarded_body(laptop.received_copies, "received") == (bo.jid, phone.jid, "to the phone")
        assert phone.received_copies.empty()

        phone.send_message(bo.jid, "from the phone")
        assert (await bo.next_original())["body"] == "from the phone"
        assert await forwarded_body(laptop.sent_copies, "sent") == (phone.jid, bo.jid, "from the phone")
        await bo.ping_server()
        await phone.ping_server()
        assert phone.sent_copies.empty() and phone.received_copies.empty()


async def test_to_the_bare_jid_the_top_resource_gets_the_original_the_other_a_copy(server):
    async with three(server, "cy", "di") as (phone, laptop, di):
        await phone.available(priority=5)
        di.send_message("cy@localhost", "whoever is there")
        assert (await phone.next_original())["body"] == "whoever is there"
        assert await forwarded_body(laptop.received_copies, "received") == (di.jid, "cy@localhost",
                                                                            "whoever is there")
        await phone.ping_server()
        await laptop.ping_server()
        assert phone.received_copies.empty()
        # laptop got the copy only, no original
        only = laptop.messages.get_nowait()
        assert only.xml.find(f"{{{CARBONS}}}received") is not None
        assert laptop.messages.empty()


async def test_private_and_no_copy_are_not_copied_and_private_is_stripped(server):
    async with three(server, "ed", "flo") as (phone, laptop, flo):
        flo.send_raw(f"<message xmlns='jabber:client' to='{phone.jid}' type='chat'><body>secret</body>"
                     f"<private xmlns='{CARBONS}'/></message>")
        original = await phone.next_original()
        assert original["body"] == "secret"
        assert original.xml.find(f"{{{CARBONS}}}private") is None
        phone.send_raw(f"<message xmlns='jabber:client' to='{flo.jid}' type='chat'><body>hush</body>"
                       "<no-copy xmlns='urn:xmpp:hints'/></message>")
        assert (await flo.next_original())["body"] == "hush"
        await laptop.silence(1.0)


async def test_disable_stops_the_copies(server):
    async with three(server, "gil", "hu") as (phone, laptop, hu):
        await laptop.disable()
        hu.send_message(phone.jid, "one")
        phone.send_message(hu.jid, "two")
        assert (await phone.next_original())["body"] == "one"
        assert (await hu.next_original())["body"] == "two"
        await laptop.silence(1.0)


async def test_the_copy_on_the_wire(server):
    async with RawStream(server) as laptop, RawStream(server) as phone:
        laptop_jid = await laptop.sign_in("amy", resource="raw-laptop")
        phone_jid = await phone.sign_in("amy", resource="raw-phone")
        await laptop.say("<iq type='get' id='d1' to='localhost'>"
                         "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>")
        info = await laptop.expect("{jabber:client}iq")
        assert CARBONS in [f.get("var") for f in info.iter("{http://jabber.org/protocol/disco#info}feature")]
        await laptop.say(f"<iq type='set' id='e1'><enable xmlns='{CARBONS}'/></iq>")
        answer = await laptop.expect("{jabber:client}iq")
        assert (answer.get("type"), answer.get("id"), answer.get("from")) == ("result", "e1", "amy@localhost")

        await phone.say("<message to='bo@localhost' type='chat' id='w1'><body>wire</body></message>")
        copy = await laptop.expect("{jabber:client}message")
        assert (copy.get("from"), copy.get("to"), copy.get("type")) == ("amy@localhost", laptop_jid, "chat")
        inner = copy.find(f"{{{CARBONS}}}sent/{{{FORWARD}}}forwarded/{{jabber:client}}message")
        assert inner is not None, laptop.conversation()
        assert (inner.get("from"), inner.get("to"), inner.get("id")) == (phone_jid, "bo@localhost", "w1")
        assert inner.findtext("{jabber:client}body") == "wire"
