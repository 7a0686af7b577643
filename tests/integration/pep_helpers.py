"""PEP clients for the integration tests (test_pep, test_bookmarks, test_pep_vcard_conversion,
test_omemo): a slixmpp session with the XEP-0030/0115/0060/0163 plugins whose caps say
NODE+notify for the nodes it is interested in, and the request payloads they send.
"""

from __future__ import annotations

import asyncio
import contextlib
import xml.etree.ElementTree as ET

from im_helpers import Watched
from protocol import STEP_TIMEOUT
from xmpp_client import Client

PUBSUB = "http://jabber.org/protocol/pubsub"
EVENT = "http://jabber.org/protocol/pubsub#event"
ERRORS = "http://jabber.org/protocol/pubsub#errors"
STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"
DATA = "jabber:x:data"


class PepClient(Client):
    """A slixmpp session with the PEP plugins; `interests`: nodes it wants (+notify)."""

    def __init__(self, server, user, resource, interests=(), avatar=False):
        super().__init__(server, user, resource=resource)
        for plugin in ("xep_0030", "xep_0115", "xep_0060", "xep_0163"):
            self.xmpp.register_plugin(plugin)
        if avatar:
            self.xmpp.register_plugin("xep_0084")  # +notify for the avatar metadata
        for node in interests:
            self.xmpp["xep_0163"].add_interest(node)
        self.watched = Watched(self)

    async def sign_in(self, timeout=STEP_TIMEOUT):
        await super().sign_in(timeout)
        await asyncio.wait_for(self.xmpp["xep_0115"].update_caps(broadcast=False), timeout)

    async def next_event(self, node: str, timeout=STEP_TIMEOUT) -> ET.Element:
        """The next pubsub event of `node` (other messages skipped): its <items/>."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            msg = await self.next_message(max(deadline - asyncio.get_running_loop().time(), 0.01))
            items = msg.xml.find(f"{{{EVENT}}}event/{{{EVENT}}}items")
            if items is not None and items.get("node") == node:
                assert msg["type"] == "headline"
                return items

    async def no_event(self, seconds=1.0):
        deadline = asyncio.get_running_loop().time() + seconds
        while (left := deadline - asyncio.get_running_loop().time()) > 0:
            try:
                msg = await asyncio.wait_for(self.messages.get(), left)
            except asyncio.TimeoutError:
                return
            assert msg.xml.find(f"{{{EVENT}}}event") is None, f"{self.jid}: unexpected event {msg}"


@contextlib.asynccontextmanager
async def session(server, user, resource, **kw):
    client = PepClient(server, user, resource, **kw)
    await client.sign_in()
    try:
        yield client
    finally:
        await client.sign_out()


def publish(node: str, item_id: str, payload: str, options: dict | None = None) -> str:
    form = ""
    if options is not None:
        fields = "".join(f"<field var='{k}'><value>{v}</value></field>" for k, v in options.items())
        form = (f"<publish-options><x xmlns='{DATA}' type='submit'><field var='FORM_TYPE' type='hidden'>"
                f"<value>{PUBSUB}#publish-options</value></field>{fields}</x></publish-options>")
    return (f"<pubsub xmlns='{PUBSUB}'><publish node='{node}'><item id='{item_id}'>{payload}</item></publish>"
            f"{form}</pubsub>")


def items_get(node: str) -> str:
    return f"<pubsub xmlns='{PUBSUB}'><items node='{node}'/></pubsub>"


def error_of(answer) -> tuple[str, str | None, str | None]:
    """(type, defined condition, pubsub#errors condition)."""
    error = answer.xml.find("{jabber:client}error")
    assert error is not None, f"no error in {answer}"
    defined = next((c.tag.split("}")[1] for c in error if c.tag.startswith(f"{{{STANZAS}}}") and
                    not c.tag.endswith("}text")), None)
    specific = next((c.tag.split("}")[1] for c in error if c.tag.startswith(f"{{{ERRORS}}}")), None)
    return answer["type"], defined, specific


async def until(predicate, read, rounds=100):
    """`await read()` until `predicate` holds on it, bounded in rounds (a conversion the
    server makes after answering a write lands a moment later)."""
    for _ in range(rounds):
        value = await read()
        if predicate(value):
            return value
        await asyncio.sleep(0.05)
    raise AssertionError(f"never held; last read: {value}")
