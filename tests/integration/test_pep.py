"""Personal eventing (XEP-0163) with real clients.

slixmpp's xep_0060 / xep_0163 / xep_0084 plugins between accounts that are
contacts: a publish reaches the contact's resources whose caps (XEP-0115) say
NODE+notify and no other; the last item reaches a resource that becomes
available; the owner's other resource gets it; OMEMO bundles (both
namespaces) open to a stranger, device lists to contacts; items survive a
restart; the XEP-0060 errors for bad requests and limits.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from im_helpers import make_both
from pep_helpers import DATA, EVENT, PUBSUB, error_of, items_get, publish, session

OWNER = "http://jabber.org/protocol/pubsub#owner"
METADATA = "urn:xmpp:avatar:metadata"
DEVICES = "urn:xmpp:omemo:2:devices"
LEGACY_DEVICES = "eu.siacs.conversations.axolotl.devicelist"
BUNDLES = "urn:xmpp:omemo:2:bundles"
LEGACY_BUNDLE = "eu.siacs.conversations.axolotl.bundles:123"


@pytest.fixture(scope="module")
def pep_server(make_server):
    server = make_server("pep")
    server.module_options["pep"] = {"max_nodes": 12, "max_item_bytes": 4096}
    server.write_config()
    server.start()
    yield server
    assert server.stop() == 0


def devicelist(*ids: int) -> str:
    return "<devices xmlns='urn:xmpp:omemo:2'>" + "".join(f"<device id='{i}'/>" for i in ids) + "</devices>"


async def test_avatar_metadata_reaches_contacts_with_notify_and_last_item_on_available(pep_server):
    async with session(pep_server, "alice", "phone", avatar=True) as alice, \
            session(pep_server, "bob", "laptop", avatar=True) as bob, \
            session(pep_server, "bob", "plain") as plain:
        for c in (alice, bob, plain):
            await c.available()
        await make_both(alice.watched, bob.watched)

        info = {"id": "abc123", "type": "image/png", "bytes": "42", "width": "8", "height": "8"}
        await alice.xmpp["xep_0084"].publish_avatar_metadata(items=[info])
        for c in (bob, alice):  # the contact's and the publisher's own resource with +notify
            items = await c.next_event(METADATA)
            assert items.find(f"{{{EVENT}}}item").get("id") == "abc123"
        await plain.no_event()

        # A contact's resource that becomes available later gets the last item.
        async with session(pep_server, "bob", "tablet", avatar=True) as tablet:
            await tablet.available()
            items = await tablet.next_event(METADATA)
            assert items.find(f"{{{EVENT}}}item").get("id") == "abc123"
            # The owner's other resource gets it too.
            async with session(pep_server, "alice", "desktop", avatar=True) as desktop:
                await desktop.available()
                assert (await desktop.next_event(METADATA)).find(f"{{{EVENT}}}item").get("id") == "abc123"
                # And a new publish reaches every interested resource, once.
                await alice.xmpp["xep_0084"].publish_avatar_metadata(items=[dict(info, id="def456")])
                for c in (bob, tablet, desktop, alice):
                    assert (await c.next_event(METADATA)).find(f"{{{EVENT}}}item").get("id") == "def456"
                await tablet.no_event(0.5)


async def test_omemo_device_lists_reach_contacts_and_bundles_are_open_to_strangers(pep_server):
    async with session(pep_server, "carol", "omemo") as carol, \
            session(pep_server, "dave", "omemo", interests=(DEVICES, LEGACY_DEVICES)) as dave, \
            session(pep_server, "erin", "stranger") as erin:
        await carol.available()
        await dave.available()
        await make_both(carol.watched, dave.watched)

        open_model = {"pubsub#access_model": "open"}
        for node, payload in ((DEVICES, devicelist(1, 2)),
                              (LEGACY_DEVICES, "<list xmlns='eu.siacs.conversations.axolotl'><device id='7'/></list>")):
            answer = await carol.iq("set", None, publish(node, "current", payload, open_model))
            assert answer["type"] == "result", answer
            items = await dave.next_event(node)
            assert items.find(f"{{{EVENT}}}item").get("id") == "current"

        bundle = "<bundle xmlns='urn:xmpp:omemo:2'><spk id='1'>a2V5</spk></bundle>"
        legacy = "<bundle xmlns='eu.siacs.conversations.axolotl'><signedPreKeyPublic>a2V5</signedPreKeyPublic></bundle>"
        many = dict(open_model, **{"pubsub#max_items": "max"})
        assert (await carol.iq("set", None, publish(BUNDLES, "1", bundle, many)))["type"] == "result"
        assert (await carol.iq("set", None, publish(LEGACY_BUNDLE, "current", legacy, open_model)))["type"] == "result"
        # A non-contact fetches both bundles (slixmpp's own get_items) ...
        for node in (BUNDLES, LEGACY_BUNDLE):
            got = await erin.xmpp["xep_0060"].get_items(carol.bare, node)
            assert got.xml.find(f".//{{{PUBSUB}}}item") is not None, got
        # ... but not a node with the default presence access model.
        mood = "<mood xmlns='http://jabber.org/protocol/mood'><happy/></mood>"
        assert (await carol.iq("set", None, publish("urn:xmpp:mood", "current", mood)))["type"] == "result"
        answer = await erin.iq("get", carol.bare, items_get("urn:xmpp:mood"))
        assert error_of(answer) == ("error", "not-authorized", "presence-subscription-required")
        # The contact may.
        assert (await dave.iq("get", carol.bare, items_get("urn:xmpp:mood")))["type"] == "result"


async def test_disco_says_pep_with_publish_options(pep_server):
    async with session(pep_server, "erin", "disco") as erin:
        for jid in ("alice@localhost", pep_server.domain):
            info = await erin.xmpp["xep_0030"].get_info(jid=jid)
            identities = {(i[0], i[1]) for i in info["disco_info"]["identities"]}
            assert ("pubsub", "pep") in identities, info
        info = await erin.xmpp["xep_0030"].get_info(jid="alice@localhost")
        features = set(info["disco_info"]["features"])
        for feature in ("publish", "publish-options", "subscribe", "auto-create", "last-published",
                        "filtered-notifications", "config-node", "retract-items", "delete-items"):
            assert f"{PUBSUB}#{feature}" in features, features


async def test_owner_configuration_errors_and_limits(pep_server):
    async with session(pep_server, "alice", "errors") as alice, session(pep_server, "erin", "errors") as erin:
        node = "urn:xmpp:test:config"
        assert (await alice.iq("set", None, publish(node, "1", "<x xmlns='urn:test'/>")))["type"] == "result"
        # publish-options that differ from the node's configuration.
        answer = await alice.iq("set", None, publish(node, "2", "<x xmlns='urn:test'/>",
                                                     {"pubsub#access_model": "open"}))
        assert error_of(answer) == ("error", "conflict", "precondition-not-met")

        # Configuration: the owner reads and changes it; another account may not.
        config = await alice.xmpp["xep_0060"].get_node_config(None, node)
        form = config.xml.find(f".//{{{DATA}}}x")
        assert form is not None
        submit = (f"<pubsub xmlns='{OWNER}'><configure node='{node}'><x xmlns='{DATA}' type='submit'>"
                  f"<field var='FORM_TYPE' type='hidden'><value>{PUBSUB}#node_config</value></field>"
                  f"<field var='pubsub#access_model'><value>open</value></field></x></configure></pubsub>")
        assert (await alice.iq("set", None, submit))["type"] == "result"
        answer = await alice.iq("set", None, publish(node, "3", "<x xmlns='urn:test'/>",
                                                     {"pubsub#access_model": "open"}))
        assert answer["type"] == "result", answer
        configure = f"<pubsub xmlns='{OWNER}'><configure node='{node}'/></pubsub>"
        assert error_of(await erin.iq("get", alice.bare, configure))[1] == "forbidden"
        assert error_of(await erin.iq("set", alice.bare, submit))[1] == "forbidden"
        # Publishing into another account's PEP.
        assert error_of(await erin.iq("set", alice.bare, publish(node, "4", "<x xmlns='urn:test'/>")))[1] == "forbidden"
        # An unknown access model.
        answer = await alice.iq("set", None, publish(node, "5", "<x xmlns='urn:test'/>",
                                                     {"pubsub#access_model": "everyone"}))
        assert error_of(answer) == ("error", "bad-request", "invalid-options")
        # Oversized item (max_item_bytes = 4096).
        answer = await alice.iq("set", None, publish(node, "6", f"<x xmlns='urn:test'>{'y' * 5000}</x>"))
        assert error_of(answer) == ("error", "not-acceptable", "payload-too-big")
        # Too many nodes (max_nodes = 12 for the account).
        refused = None
        for i in range(13):
            answer = await alice.iq("set", None, publish(f"urn:xmpp:test:many:{i}", "1", "<x xmlns='urn:test'/>"))
            if answer["type"] == "error":
                refused = answer
                break
        assert refused is not None
        assert error_of(refused)[1] == "policy-violation"


async def test_items_survive_a_restart(make_server):
    server = make_server("pep-restart")
    server.start()
    try:
        async with session(server, "alice", "before") as alice:
            bundle = "<bundle xmlns='eu.siacs.conversations.axolotl'>kept</bundle>"
            answer = await alice.iq("set", None, publish(LEGACY_BUNDLE, "current", bundle,
                                                         {"pubsub#access_model": "open"}))
            assert answer["type"] == "result", answer
        assert server.stop() == 0
        server.start()
        async with session(server, "bob", "after") as bob:
            got = await bob.iq("get", "alice@localhost", items_get(LEGACY_BUNDLE))
            assert got["type"] == "result", got
            assert "kept" in ET.tostring(got.xml, encoding="unicode")
    finally:
        server.stop()


async def test_nickname_reaches_contacts_with_slixmpp_xep_0172(pep_server):
    nick_node = "http://jabber.org/protocol/nick"
    async with session(pep_server, "erin", "phone") as erin, \
            session(pep_server, "dave", "nick", interests=(nick_node,)) as dave:
        for c in (erin, dave):
            await c.available()
        await make_both(erin.watched, dave.watched)
        erin.xmpp.register_plugin("xep_0172")
        await erin.xmpp["xep_0172"].publish_nick("Erin the Bold")
        items = await dave.next_event(nick_node)
        nick = items.find(f"{{{EVENT}}}item/{{{nick_node}}}nick")
        assert nick is not None and nick.text == "Erin the Bold"
