"""Presence subscriptions (RFC 6121 §3) and presence (§4) between local accounts.

Each test is a conversation between two or three real clients (slixmpp, and
aioxmpp for a second library): who asks to subscribe, who approves, and who
then sees whose presence, and who does not.
"""

import asyncio

from im_helpers import AioClient, make_both, watched

XMQD_OPTIONS = {"users": {name: f"{name}-pw" for name in (
    "anna", "ben", "cleo", "dan", "eve", "fay", "gus", "hal", "ida", "jon", "kim", "lou")}}


async def test_handshake_both_directions_ends_in_both(server):
    async with watched(server, "anna") as anna, watched(server, "ben") as ben:
        await anna.available()
        await ben.available()
        await anna.roster()
        await ben.roster()

        anna.presence("ben@localhost", "subscribe")
        push = await anna.next_push()  # §3.1.2: the contact joins anna's roster, asked
        assert (push.get("jid"), push.get("subscription"), push.get("ask")) == ("ben@localhost", "none", "subscribe")
        req = await ben.next_presence(sender="anna@localhost", ptype="subscribe")
        assert req["from"].full == "anna@localhost"  # stamped with the bare JID

        ben.presence("anna@localhost", "subscribed")
        assert (await ben.next_push()).get("subscription") == "from"
        push = await anna.next_push()
        assert (push.get("subscription"), push.get("ask")) == ("to", None)
        # anna now sees ben's presence at once (§3.1.6)
        seen = await anna.next_presence(sender="ben@localhost", ptype="available")
        assert seen["from"].full == ben.jid

        ben.presence("anna@localhost", "subscribe")
        await anna.next_presence(sender="ben@localhost", ptype="subscribe")
        anna.presence("ben@localhost", "subscribed")
        await anna.ping_server()
        await ben.ping_server()
        assert await anna.subscription("ben@localhost") == ("both", None)
        assert await ben.subscription("anna@localhost") == ("both", None)


async def test_presence_reaches_exactly_the_subscribed_contacts(server):
    async with watched(server, "cleo") as cleo, watched(server, "dan") as dan, watched(server, "eve") as eve:
        for c in (cleo, dan, eve):
            await c.available()
        await make_both(cleo, dan)
        for c in (cleo, dan, eve):
            c.drain()
        # eve has no subscription to cleo: she sees nothing of cleo.
        cleo.presence(extra="<show>away</show><status>lunch</status>")
        p = await dan.next_presence(sender="cleo@localhost", ptype="available")
        assert p["status"] == "lunch" and p["show"] == "away"
        await eve.no_presence(1.0, sender="cleo@localhost")

        # Connection lost, not a clean close: dan still learns cleo is gone.
        cleo.xmpp.abort()
        p = await dan.next_presence(sender="cleo@localhost", ptype="unavailable")
        assert p["from"].full == cleo.jid
        await eve.no_presence(1.0, sender="cleo@localhost")


async def test_initial_presence_gets_the_contacts_presence(server):
    async with watched(server, "fay") as fay, watched(server, "gus") as gus:
        await fay.available()
        await gus.available()
        await make_both(fay, gus)
    # gus is online with a status; fay logs in later and learns it from the probe.
    async with watched(server, "gus", resource="desk") as gus:
        gus.presence(extra="<status>here</status>")
        await gus.ping_server()
        async with watched(server, "fay", resource="phone") as fay:
            fay.presence(extra="<priority>5</priority>")
            p = await fay.next_presence(sender="gus@localhost/desk", ptype="available")
            assert p["status"] == "here"
            # and gus sees fay's initial presence, with its priority
            p = await gus.next_presence(sender="fay@localhost/phone", ptype="available")
            assert p["priority"] == 5
            # A clean unavailable is broadcast too.
            fay.presence(ptype="unavailable")
            await gus.next_presence(sender="fay@localhost/phone", ptype="unavailable")


async def test_pending_request_is_stored_and_resent_at_login(server):
    async with watched(server, "hal") as hal:
        await hal.available()
        hal.presence("ida@localhost", "subscribe")  # ida is offline
        await hal.ping_server()
        assert await hal.subscription("ida@localhost") == ("none", "subscribe")
    async with watched(server, "ida") as ida:
        ida.presence()  # initial presence: the waiting request arrives
        await ida.next_presence(sender="hal@localhost", ptype="subscribe")
        ida.presence("hal@localhost", "subscribed")
        await ida.ping_server()
        assert await ida.subscription("hal@localhost") == ("from", None)
    async with watched(server, "hal") as hal:
        await hal.available()
        assert await hal.subscription("ida@localhost") == ("to", None)


async def test_unsubscribe_and_denial(server):
    async with watched(server, "jon") as jon, watched(server, "kim") as kim:
        await jon.available()
        await kim.available()
        await make_both(jon, kim)
        # kim cancels jon's subscription to her: jon sees her go unavailable.
        kim.presence("jon@localhost", "unsubscribed")
        await jon.next_presence(sender="kim@localhost", ptype="unsubscribed")
        await jon.next_presence(sender="kim@localhost", ptype="unavailable")
        await jon.ping_server()
        assert await jon.subscription("kim@localhost") == ("from", None)
        assert await kim.subscription("jon@localhost") == ("to", None)
        # An approval of a request that never came is not routed.
        kim.drain()
        jon.presence("kim@localhost", "subscribed")
        await kim.no_presence(1.0, sender="jon@localhost")
        # Removing the item cancels what is left, both sides.
        await jon.iq("set", None, "<query xmlns='jabber:iq:roster'><item jid='kim@localhost' "
                                  "subscription='remove'/></query>")
        await kim.next_presence(sender="jon@localhost", ptype="unsubscribed")
        await kim.ping_server()
        assert await kim.subscription("jon@localhost") == ("none", None)
        assert await jon.subscription("kim@localhost") is None


async def test_directed_presence_is_undone_when_going_offline(server):
    async with watched(server, "lou") as lou, watched(server, "eve", resource="watch") as eve:
        await lou.available()
        await eve.available()
        lou.presence("eve@localhost/watch")  # no subscription: directed presence
        await eve.next_presence(sender="lou@localhost", ptype="available")
        await lou.sign_out()
        p = await eve.next_presence(sender="lou@localhost", ptype="unavailable")
        assert p["from"].full == lou.jid


async def test_aioxmpp_subscribes_and_sees_slixmpp_contact(server):
    async with watched(server, "ben", resource="sli") as ben:
        await ben.available()
        await ben.roster()
        async with AioClient(server, "dan", services=("RosterClient", "PresenceClient")) as dan:
            aioxmpp = dan.aioxmpp
            roster = dan.services["RosterClient"]
            presence = dan.services["PresenceClient"]
            seen = asyncio.get_running_loop().create_future()

            def on_available(full_jid, stanza):
                if str(full_jid.bare()) == "ben@localhost" and not seen.done():
                    seen.set_result(str(full_jid))

            presence.on_available.connect(on_available)
            roster.subscribe(aioxmpp.JID.fromstr("ben@localhost"))
            await ben.next_presence(sender="dan@localhost", ptype="subscribe")
            ben.presence("dan@localhost", "subscribed")
            assert await asyncio.wait_for(seen, 10) == ben.jid
            await ben.ping_server()
            assert (await ben.subscription("dan@localhost"))[0] in ("from", "both")
            # aioxmpp's own roster shows the subscription it now has.
            for _ in range(50):
                item = roster.items.get(aioxmpp.JID.fromstr("ben@localhost"))
                if item is not None and item.subscription in ("to", "both"):
                    break
                await asyncio.sleep(0.1)
            assert item is not None and item.subscription in ("to", "both")
