"""Client state indication (XEP-0352): what an inactive client is spared, and when it gets it.

kit signs in with slixmpp's xep_0352 plugin (which sends <inactive/> and <active/> only
when the server offers the csi stream feature); lee and mo are contacts whose presence
and chat states kit sees. What kit receives is read in the order it arrived.
"""

import asyncio
import contextlib

from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath

from im_helpers import Watched, make_both, watched
from protocol import STEP_TIMEOUT
from raw_stream import RawStream
from xmpp_client import Client

CHAT_STATES = "http://jabber.org/protocol/chatstates"
CSI = "urn:xmpp:csi:0"

XMQD_OPTIONS = {"users": {name: f"{name}-pw" for name in ("kit", "lee", "mo", "ned")}}


def describe(xml) -> str:
    """'presence lee away', 'message lee composing', 'message lee body:hi'."""
    who = (xml.get("from") or "").split("@")[0]
    if xml.tag == "{jabber:client}presence":
        return f"presence {who} {xml.findtext('{jabber:client}show') or xml.get('type') or 'available'}"
    body = xml.findtext("{jabber:client}body")
    if body is not None:
        return f"message {who} body:{body}"
    states = [c.tag.split("}")[1] for c in xml if c.tag.startswith(f"{{{CHAT_STATES}}}")]
    return f"message {who} {' '.join(states)}"


class Arrivals:
    """Presence and messages from lee and mo, as kit's client read them, in order."""

    def __init__(self, client):
        self.queue: asyncio.Queue = asyncio.Queue()
        for kind in ("presence", "message"):
            client.xmpp.register_handler(Callback(f"arrivals {kind}", MatchXPath(f"{{jabber:client}}{kind}"),
                                                  self._on_stanza))

    def _on_stanza(self, stanza):
        if (stanza.xml.get("from") or "").split("@")[0] in ("lee", "mo"):
            self.queue.put_nowait(describe(stanza.xml))

    async def next(self, count: int) -> list[str]:
        out = []
        for _ in range(count):
            try:
                out.append(await asyncio.wait_for(self.queue.get(), STEP_TIMEOUT))
            except asyncio.TimeoutError:
                raise AssertionError(f"kit got only {out}") from None
        return out

    def forget(self):
        while not self.queue.empty():
            self.queue.get_nowait()

    async def nothing(self, seconds=1.0):
        try:
            got = await asyncio.wait_for(self.queue.get(), seconds)
        except asyncio.TimeoutError:
            return
        raise AssertionError(f"kit was inactive and got {got}")


def chat_state(client, to: str, state: str):
    client.send_raw(f"<message xmlns='jabber:client' to='{to}' type='chat'><{state} xmlns='{CHAT_STATES}'/></message>")


@contextlib.asynccontextmanager
async def csi_client(server, user):
    """A watched slixmpp session with the xep_0352 plugin (registered before login, to see the feature)."""
    client = Client(server, user, resource="phone")
    client.xmpp.register_plugin("xep_0352")
    kit = Watched(client)
    arrivals = Arrivals(client)
    await client.sign_in()
    try:
        yield kit, arrivals
    finally:
        await client.sign_out()


async def test_inactive_holds_presence_and_chat_states_until_a_message_or_active(server):
    async with csi_client(server, "kit") as (kit, arrivals), watched(server, "lee") as lee, \
            watched(server, "mo") as mo:
        csi = kit.client.xmpp.plugin["xep_0352"]
        assert csi.enabled, "no csi stream feature"
        for client in (kit, lee, mo):
            await client.available()
        for contact in (lee, mo):
            await make_both(kit, contact)
            await contact.ping_server()
        await kit.ping_server()
        arrivals.forget()

        csi.send_inactive()
        await kit.ping_server()  # <inactive/> taken
        # Each sender's ping answer says its stanza reached kit's session: the order is known.
        lee.presence(extra="<show>away</show>")
        chat_state(lee, kit.jid, "composing")
        await lee.ping_server()
        mo.presence(extra="<show>dnd</show>")
        await mo.ping_server()
        lee.presence(extra="<show>xa</show>")
        await lee.ping_server()
        await arrivals.nothing()

        lee.send_message(kit.jid, "up?")
        assert await arrivals.next(4) == ["message lee composing", "presence mo dnd", "presence lee xa",
                                          "message lee body:up?"]

        lee.presence(extra="<show>chat</show>")
        await lee.ping_server()
        mo.presence(extra="<show>away</show>")
        await mo.ping_server()
        lee.presence()
        await lee.ping_server()
        chat_state(mo, kit.jid, "paused")
        await mo.ping_server()
        await arrivals.nothing()
        csi.send_active()
        assert await arrivals.next(3) == ["presence mo away", "presence lee available", "message mo paused"]

        mo.presence(extra="<show>xa</show>")  # active again: at once
        assert await arrivals.next(1) == ["presence mo xa"]


async def test_the_feature_and_the_nonzas_on_the_wire(server):
    async with RawStream(server) as raw:
        await raw.open_stream()
        await raw.features()
        await raw.starttls()
        await raw.open_stream()
        await raw.features()
        assert (await raw.auth_plain("ned", "ned-pw")).tag.endswith("success")
        raw.restart_stream()
        await raw.open_stream()
        features = await raw.features()
        assert features.find(f"{{{CSI}}}csi") is not None, raw.conversation()
        await raw.say("<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>")
        await raw.expect("{jabber:client}iq")
        await raw.say(f"<inactive xmlns='{CSI}'/><iq type='get' id='p1' to='localhost'>"
                      "<ping xmlns='urn:xmpp:ping'/></iq>")
        answer = await raw.expect("{jabber:client}iq")  # the nonza has no answer; the ping has
        assert answer.get("id") == "p1"
        await raw.say(f"<active xmlns='{CSI}'/><hibernate xmlns='{CSI}'/>")
        assert await raw.stream_error() == "unsupported-stanza-type"
