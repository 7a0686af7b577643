"""Avatars in PEP (XEP-0084) and in the vCard (XEP-0153) kept in step (XEP-0398).

A client that publishes its avatar over PEP finds it in its vCard (where group
chats and older clients look); one that sets a vCard PHOTO finds it published in
the avatar data and metadata nodes, and contacts with +notify are told; switching
the avatar off over PEP removes the PHOTO.
"""

from __future__ import annotations

import base64
import hashlib

from im_helpers import make_both
from pep_helpers import EVENT, PUBSUB, publish, session, until

DATA = "urn:xmpp:avatar:data"
METADATA = "urn:xmpp:avatar:metadata"
VCARD = "vcard-temp"
DISCO_INFO = "http://jabber.org/protocol/disco#info"

IMAGE = bytes(range(256)) * 4
IMAGE_B64 = base64.b64encode(IMAGE).decode()
IMAGE_ID = hashlib.sha1(IMAGE).hexdigest()


async def vcard_of(client, owner=None):
    answer = await client.iq("get", owner, f"<vCard xmlns='{VCARD}'/>")
    assert answer["type"] == "result", answer
    return answer.xml.find(f"{{{VCARD}}}vCard")


def photo_of(vcard):
    photo = vcard.find(f"{{{VCARD}}}PHOTO") if vcard is not None else None
    if photo is None:
        return None
    return photo.findtext(f"{{{VCARD}}}TYPE"), "".join(photo.findtext(f"{{{VCARD}}}BINVAL").split())


async def test_account_advertises_the_conversion(module_server):
    async with session(module_server, "alice", "disco") as alice:
        answer = await alice.iq("get", alice.bare, f"<query xmlns='{DISCO_INFO}'/>")
        assert "urn:xmpp:pep-vcard-conversion:0" in {f.get("var") for f in answer.xml.iter(f"{{{DISCO_INFO}}}feature")}


async def test_pep_avatar_lands_in_the_vcard_and_off_removes_it(module_server):
    async with session(module_server, "alice", "pep") as alice, session(module_server, "bob", "reader") as bob:
        await alice.iq("set", None, f"<vCard xmlns='{VCARD}'><FN>Alice</FN></vCard>")
        answer = await alice.iq("set", None, publish(DATA, IMAGE_ID, f"<data xmlns='{DATA}'>{IMAGE_B64}</data>"))
        assert answer["type"] == "result", answer
        answer = await alice.iq("set", None, publish(
            METADATA, IMAGE_ID, f"<metadata xmlns='{METADATA}'><info bytes='{len(IMAGE)}' id='{IMAGE_ID}' "
                                f"type='image/png' width='32' height='32'/></metadata>"))
        assert answer["type"] == "result", answer
        card = await until(lambda v: photo_of(v) is not None, lambda: vcard_of(bob, alice.bare))
        assert photo_of(card) == ("image/png", IMAGE_B64)
        assert card.findtext(f"{{{VCARD}}}FN") == "Alice"  # the rest of the vCard is kept

        answer = await alice.iq("set", None, publish(METADATA, "off", f"<metadata xmlns='{METADATA}'/>"))
        assert answer["type"] == "result", answer
        card = await until(lambda v: photo_of(v) is None, lambda: vcard_of(alice))
        assert card.findtext(f"{{{VCARD}}}FN") == "Alice"


async def test_a_metadata_item_with_the_wrong_hash_does_not_change_the_vcard(module_server):
    async with session(module_server, "carol", "pep") as carol:
        await carol.iq("set", None, f"<vCard xmlns='{VCARD}'><FN>Carol</FN></vCard>")
        wrong = "0" * 40
        await carol.iq("set", None, publish(DATA, wrong, f"<data xmlns='{DATA}'>{IMAGE_B64}</data>"))
        answer = await carol.iq("set", None, publish(
            METADATA, wrong, f"<metadata xmlns='{METADATA}'><info bytes='{len(IMAGE)}' id='{wrong}' type='image/png'/></metadata>"))
        assert answer["type"] == "result"
        await carol.ping_server()
        await carol.ping_server()
        assert photo_of(await vcard_of(carol)) is None


async def test_vcard_photo_is_published_over_pep_and_notifies_contacts(module_server):
    async with session(module_server, "dave", "vcard") as dave, \
            session(module_server, "erin", "watcher", avatar=True) as erin:
        await dave.available()
        await erin.available()
        await make_both(dave.watched, erin.watched)
        await erin.ping_server()
        answer = await dave.iq("set", None, f"<vCard xmlns='{VCARD}'><FN>Dave</FN><PHOTO><TYPE>image/jpeg</TYPE>"
                                            f"<BINVAL>{IMAGE_B64}</BINVAL></PHOTO></vCard>")
        assert answer["type"] == "result", answer
        items = await erin.next_event(METADATA)
        info = items.find(f"{{{EVENT}}}item/{{{METADATA}}}metadata/{{{METADATA}}}info")
        assert info.get("id") == IMAGE_ID and info.get("type") == "image/jpeg" and info.get("bytes") == str(len(IMAGE))
        answer = await erin.iq("get", dave.bare, f"<pubsub xmlns='{PUBSUB}'><items node='{DATA}'><item id='{IMAGE_ID}'/></items></pubsub>")
        assert answer["type"] == "result", answer
        data = answer.xml.find(f".//{{{DATA}}}data")
        assert base64.b64decode(data.text) == IMAGE
