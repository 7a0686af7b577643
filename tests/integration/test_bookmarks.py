"""Bookmarks in three views kept in step (XEP-0402 #compat / #compat-pep, XEP-0048, XEP-0411).

A legacy client (private XML, XEP-0049) and a modern one (XEP-0402 items in PEP,
with +notify) share one account's bookmarks: what one writes, the other reads and
is notified of; the PEP node storage:bookmarks says the same; extensions the legacy
client cannot see survive its writes; its <url/> bookmarks survive the modern
client's.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from pep_helpers import EVENT, PUBSUB, items_get, publish, session, until

BOOKMARKS = "urn:xmpp:bookmarks:1"
LEGACY = "storage:bookmarks"
PRIVATE = "jabber:iq:private"
DISCO_INFO = "http://jabber.org/protocol/disco#info"
NODE_OPTIONS = {"pubsub#persist_items": "true", "pubsub#max_items": "max",
                "pubsub#send_last_published_item": "never", "pubsub#access_model": "whitelist"}


async def private_get(client) -> ET.Element:
    answer = await client.iq("get", None, f"<query xmlns='{PRIVATE}'><storage xmlns='{LEGACY}'/></query>")
    assert answer["type"] == "result", answer
    return answer.xml.find(f"{{{PRIVATE}}}query/{{{LEGACY}}}storage")


async def private_set(client, inner: str):
    answer = await client.iq("set", None, f"<query xmlns='{PRIVATE}'><storage xmlns='{LEGACY}'>{inner}</storage></query>")
    assert answer["type"] == "result", answer


def legacy_rooms(storage: ET.Element) -> dict[str, ET.Element]:
    return {c.get("jid"): c for c in storage.findall(f"{{{LEGACY}}}conference")}


async def bookmark_items(client, node=BOOKMARKS) -> dict[str, ET.Element]:
    answer = await client.iq("get", None, items_get(node))
    if answer["type"] != "result":
        return {}
    return {item.get("id"): list(item)[0] for item in answer.xml.iter(f"{{{PUBSUB}}}item")}


async def test_account_advertises_the_conversions(module_server):
    async with session(module_server, "alice", "disco") as alice:
        answer = await alice.iq("get", alice.bare, f"<query xmlns='{DISCO_INFO}'/>")
        features = {f.get("var") for f in answer.xml.iter(f"{{{DISCO_INFO}}}feature")}
        assert {f"{BOOKMARKS}#compat", f"{BOOKMARKS}#compat-pep", "urn:xmpp:bookmarks-conversion:0",
                PRIVATE} <= features


async def test_a_legacy_write_becomes_items_and_notifies_the_modern_client(module_server):
    async with session(module_server, "bob", "modern", interests=(BOOKMARKS,)) as modern, \
            session(module_server, "bob", "legacy") as legacy:
        await modern.available()
        await legacy.available()
        await modern.ping_server()
        await private_set(legacy,
                          "<conference jid='council@muc.example' name='Council' autojoin='true'><nick>Puck</nick></conference>"
                          "<conference jid='tea@muc.example' name='Tea'/>"
                          "<url name='Works' url='https://example.org/'/>")
        seen = set()
        while seen != {"council@muc.example", "tea@muc.example"}:
            items = await modern.next_event(BOOKMARKS)
            seen |= {i.get("id") for i in items.findall(f"{{{EVENT}}}item")}
        items = await bookmark_items(modern)
        council = items["council@muc.example"]
        assert council.get("name") == "Council" and council.get("autojoin") in ("true", "1")
        assert council.findtext(f"{{{BOOKMARKS}}}nick") == "Puck"
        assert items["tea@muc.example"].get("autojoin") in ("false", "0", None)
        # The XEP-0048 PEP view says the same.
        legacy_pep = await until(lambda i: "current" in i, lambda: bookmark_items(modern, LEGACY))
        assert set(legacy_rooms(legacy_pep["current"])) == {"council@muc.example", "tea@muc.example"}
        # The legacy client's url bookmark is still in its private storage.
        assert (await private_get(legacy)).find(f"{{{LEGACY}}}url") is not None


async def test_modern_publish_and_retract_reach_private_storage_and_keep_urls(module_server):
    async with session(module_server, "carol", "modern") as modern, session(module_server, "carol", "legacy") as legacy:
        await private_set(legacy, "<url name='Works' url='https://example.org/'/>")
        payload = (f"<conference xmlns='{BOOKMARKS}' name='Garden' autojoin='true'><nick>Juliet</nick>"
                   f"<extensions><state xmlns='urn:example:client'/></extensions></conference>")
        answer = await modern.iq("set", None, publish(BOOKMARKS, "garden@muc.example", payload, NODE_OPTIONS))
        assert answer["type"] == "result", answer
        storage = await until(lambda s: "garden@muc.example" in legacy_rooms(s), lambda: private_get(legacy))
        room = legacy_rooms(storage)["garden@muc.example"]
        assert room.get("name") == "Garden" and room.get("autojoin") in ("true", "1")
        assert room.findtext(f"{{{LEGACY}}}nick") == "Juliet"
        assert storage.find(f"{{{LEGACY}}}url") is not None

        # The legacy client renames the room: the item changes, its extensions stay.
        await private_set(legacy, "<conference jid='garden@muc.example' name='Orchard' autojoin='true'>"
                                  "<nick>Juliet</nick></conference><url name='Works' url='https://example.org/'/>")
        item = (await until(lambda i: i.get("garden@muc.example") is not None and
                            i["garden@muc.example"].get("name") == "Orchard", lambda: bookmark_items(modern)))
        assert item["garden@muc.example"].find(f"{{{BOOKMARKS}}}extensions/{{urn:example:client}}state") is not None

        answer = await modern.iq("set", None, f"<pubsub xmlns='{PUBSUB}'><retract node='{BOOKMARKS}' notify='true'>"
                                              f"<item id='garden@muc.example'/></retract></pubsub>")
        assert answer["type"] == "result", answer
        storage = await until(lambda s: not legacy_rooms(s), lambda: private_get(legacy))
        assert storage.find(f"{{{LEGACY}}}url") is not None


async def test_a_legacy_removal_retracts_the_item(module_server):
    async with session(module_server, "dave", "modern", interests=(BOOKMARKS,)) as modern, \
            session(module_server, "dave", "legacy") as legacy:
        await modern.available()
        await private_set(legacy, "<conference jid='a@muc.example' name='A'/><conference jid='b@muc.example' name='B'/>")
        await until(lambda i: set(i) == {"a@muc.example", "b@muc.example"}, lambda: bookmark_items(modern))
        await private_set(legacy, "<conference jid='b@muc.example' name='B'/>")
        while True:
            items = await modern.next_event(BOOKMARKS)
            retract = items.find(f"{{{EVENT}}}retract")
            if retract is not None:
                assert retract.get("id") == "a@muc.example"
                break
        assert set(await bookmark_items(modern)) == {"b@muc.example"}


async def test_slixmpp_xep_0048_client_over_private_and_over_pep(module_server):
    """slixmpp's own XEP-0048 plugin as the legacy client: it stores through private XML
    (XEP-0049) and reads the list back through PEP storage:bookmarks (XEP-0223)."""
    from slixmpp.exceptions import IqError
    from slixmpp.plugins.xep_0048 import Bookmarks

    async with session(module_server, "erin", "legacy") as legacy, session(module_server, "erin", "modern") as modern:
        for plugin in ("xep_0049", "xep_0223", "xep_0048"):
            legacy.xmpp.register_plugin(plugin)
        bookmarks = Bookmarks()
        bookmarks.add_conference("library@muc.example", "Erin", name="Library", autojoin=True)
        await legacy.xmpp["xep_0048"].set_bookmarks(bookmarks, method="xep_0049")
        items = await until(lambda i: "library@muc.example" in i, lambda: bookmark_items(modern))
        assert items["library@muc.example"].findtext(f"{{{BOOKMARKS}}}nick") == "Erin"

        # The PEP storage:bookmarks item is written after the XEP-0402 items it is
        # derived from: until then the node may not exist yet.
        async def pep_view():
            try:
                answer = await legacy.xmpp["xep_0048"].get_bookmarks(method="xep_0223")
            except IqError as error:
                assert error.condition == "item-not-found", error
                return []
            return [c.get("jid") for c in answer.xml.findall(f".//{{{LEGACY}}}conference")]

        await until(lambda jids: jids == ["library@muc.example"], pep_view)
