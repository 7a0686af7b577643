"""OMEMO end to end between two real implementations' sessions, through xmqd's PEP.

Each client is python-omemo (Debian's python3-omemo with the OMEMO 2 backend
python3-twomemo and the legacy OMEMO 0.3 backend python3-oldmemo) over a slixmpp
session (omemo_client.py): it publishes its device list and bundle with
publish-options access_model=open, fetches the peer's keys over PEP, builds an
X3DH session and sends a double-ratchet encrypted message that the other
decrypts. A stranger (no roster entry) can do it, in both OMEMO versions; a
contact with +notify learns of a new device from the device list
notification, and its next message reaches both devices.
"""

from __future__ import annotations

import pytest

from im_helpers import make_both
from pep_helpers import session

omemo_client = pytest.importorskip("omemo_client", reason="python3-omemo, -twomemo, -oldmemo (packaging/install-deps.sh)")
OmemoDevice, TWO, OLD = omemo_client.OmemoDevice, omemo_client.TWO, omemo_client.OLD
DEVICES = omemo_client.DEVICES_NODE


async def test_strangers_exchange_messages_in_both_omemo_versions(module_server):
    async with session(module_server, "alice", "omemo") as alice, session(module_server, "bob", "omemo") as bob:
        await alice.available()
        await bob.available()
        a = await OmemoDevice.create(alice)
        b = await OmemoDevice.create(bob)

        await a.send(bob.bare, "meet at the fountain", TWO)
        assert await b.receive(alice.bare) == (TWO, "meet at the fountain")
        await b.send(alice.bare, "at noon", OLD)
        assert await a.receive(bob.bare) == (OLD, "at noon")
        # The session continues (no new key exchange): the ratchet moved on.
        await a.send(bob.bare, "bring the letter", TWO)
        assert await b.receive(alice.bare) == (TWO, "bring the letter")


async def test_a_new_device_reaches_contacts_and_gets_their_messages(module_server):
    interests = (DEVICES[TWO], DEVICES[OLD])
    async with session(module_server, "carol", "phone", interests=interests) as carol, \
            session(module_server, "dave", "phone", interests=interests) as dave:
        await carol.available()
        await dave.available()
        await make_both(carol.watched, dave.watched)
        c = await OmemoDevice.create(carol)
        d1 = await OmemoDevice.create(dave)
        await c.send(dave.bare, "hello", TWO)
        assert await d1.receive(carol.bare) == (TWO, "hello")

        async with session(module_server, "dave", "laptop", interests=interests) as laptop:
            await laptop.available()
            d2 = await OmemoDevice.create(laptop)
            # Carol learns of the new device from the notification, as clients do.
            ids = await c.device_list_update(dave.bare, TWO)
            while await d2.device_id() not in ids:
                ids = await c.device_list_update(dave.bare, TWO)
            assert await d1.device_id() in ids

            await c.send(dave.bare, "to both of your devices", TWO)
            assert await d1.receive(carol.bare) == (TWO, "to both of your devices")
            assert await d2.receive(carol.bare) == (TWO, "to both of your devices")
