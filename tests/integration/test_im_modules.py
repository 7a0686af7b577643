"""Everyday IM XEPs: vcard-temp (0054), private XML storage (0049), entity time (0202),
last activity (0012) and disco#info of an account answered by the server.
"""

import asyncio
import datetime

from im_helpers import AioClient, make_both, watched
from xmpp_client import error_condition

XMQD_OPTIONS = {"users": {name: f"{name}-pw" for name in ("uma", "vic", "wes", "xia", "yan", "zed")}}

VCARD = "vcard-temp"
PRIVATE = "jabber:iq:private"
LAST = "jabber:iq:last"
TIME = "urn:xmpp:time"
DISCO_INFO = "http://jabber.org/protocol/disco#info"


async def test_vcard_is_stored_and_read_by_others(server):
    async with watched(server, "vic") as vic, watched(server, "wes") as wes:
        # No vCard yet: the owner reads an empty one, others get item-not-found.
        mine = await vic.iq("get", None, f"<vCard xmlns='{VCARD}'/>")
        assert mine["type"] == "result" and mine.xml.find(f"{{{VCARD}}}vCard") is not None
        assert error_condition(await wes.iq("get", "vic@localhost", f"<vCard xmlns='{VCARD}'/>")) == "item-not-found"

        card = f"<vCard xmlns='{VCARD}'><FN>Vic Tor</FN><NICKNAME>vic</NICKNAME></vCard>"
        assert (await vic.iq("set", None, card))["type"] == "result"
        got = await wes.iq("get", "vic@localhost", f"<vCard xmlns='{VCARD}'/>")
        assert got.xml.find(f"{{{VCARD}}}vCard/{{{VCARD}}}FN").text == "Vic Tor"
        # Only the owner writes it.
        assert error_condition(await wes.iq("set", "vic@localhost", card)) == "forbidden"
        # No such account.
        assert error_condition(await wes.iq("get", "nobody@localhost", f"<vCard xmlns='{VCARD}'/>")) \
            == "service-unavailable"


async def test_private_storage_is_private(server):
    async with watched(server, "wes") as wes, watched(server, "xia") as xia:
        doc = "<storage xmlns='storage:bookmarks'><conference jid='room@muc' name='Room'/></storage>"
        empty = await wes.iq("get", None, f"<query xmlns='{PRIVATE}'><storage xmlns='storage:bookmarks'/></query>")
        assert empty.xml.find(f"{{{PRIVATE}}}query/{{storage:bookmarks}}storage") is not None
        assert (await wes.iq("set", None, f"<query xmlns='{PRIVATE}'>{doc}</query>"))["type"] == "result"
        got = await wes.iq("get", None, f"<query xmlns='{PRIVATE}'><storage xmlns='storage:bookmarks'/></query>")
        conf = got.xml.find(f"{{{PRIVATE}}}query/{{storage:bookmarks}}storage/{{storage:bookmarks}}conference")
        assert conf is not None and conf.get("name") == "Room"
        # Nobody else reads it; reserved namespaces are refused.
        other = await xia.iq("get", "wes@localhost",
                             f"<query xmlns='{PRIVATE}'><storage xmlns='storage:bookmarks'/></query>")
        assert error_condition(other) == "forbidden"
        bad = await wes.iq("set", None, f"<query xmlns='{PRIVATE}'><x xmlns='jabber:client'/></query>")
        assert error_condition(bad) == "not-acceptable"


async def test_entity_time_and_server_uptime(server):
    async with watched(server, "vic") as vic:
        answer = await vic.iq("get", "localhost", f"<time xmlns='{TIME}'/>")
        utc = answer.xml.find(f"{{{TIME}}}time/{{{TIME}}}utc").text
        assert answer.xml.find(f"{{{TIME}}}time/{{{TIME}}}tzo").text == "+00:00"
        then = datetime.datetime.strptime(utc, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
        assert abs((datetime.datetime.now(datetime.timezone.utc) - then).total_seconds()) < 60
        up = await vic.iq("get", "localhost", f"<query xmlns='{LAST}'/>")
        assert int(up.xml.find(f"{{{LAST}}}query").get("seconds")) >= 0


async def test_last_activity_of_a_contact(server):
    async with watched(server, "vic", resource="a") as vic, watched(server, "xia") as xia:
        await vic.available()
        await xia.available()
        await make_both(vic, xia)
        online = await xia.iq("get", "vic@localhost", f"<query xmlns='{LAST}'/>")
        assert online.xml.find(f"{{{LAST}}}query").get("seconds") == "0"
        vic.presence(ptype="unavailable", extra="<status>gone fishing</status>")
        await vic.ping_server()
        await asyncio.sleep(1.2)
        offline = await xia.iq("get", "vic@localhost", f"<query xmlns='{LAST}'/>")
        q = offline.xml.find(f"{{{LAST}}}query")
        assert int(q.get("seconds")) >= 1 and q.text == "gone fishing"
    async with watched(server, "wes") as wes:  # not a contact of vic's
        assert error_condition(await wes.iq("get", "vic@localhost", f"<query xmlns='{LAST}'/>")) == "forbidden"


async def test_disco_info_of_an_account_with_aioxmpp(server):
    async with AioClient(server, "wes") as wes:
        import aioxmpp.disco
        disco = wes.client.summon(aioxmpp.DiscoClient)
        info = await asyncio.wait_for(disco.query_info(wes.aioxmpp.JID.fromstr("vic@localhost")), 10)
        assert any(i.category == "account" and i.type_ == "registered" for i in info.identities)
        assert VCARD in info.features
        assert PRIVATE in info.features
        server_info = await asyncio.wait_for(disco.query_info(wes.aioxmpp.JID.fromstr("localhost")), 10)
        assert PRIVATE in server_info.features
        # An account that does not exist.
        try:
            await asyncio.wait_for(disco.query_info(wes.aioxmpp.JID.fromstr("nobody@localhost"),
                                                    require_fresh=True), 10)
            raise AssertionError("disco#info of a missing account answered")
        except aioxmpp.errors.XMPPCancelError as e:
            assert e.condition == aioxmpp.ErrorCondition.SERVICE_UNAVAILABLE


BLOCKING = "urn:xmpp:blocking"


async def test_blocked_contacts_get_nothing(server):
    async with watched(server, "wes") as wes, watched(server, "xia") as xia:
        await wes.available()
        await xia.available()
        await make_both(wes, xia)
        await wes.iq("get", None, f"<blocklist xmlns='{BLOCKING}'/>")  # asks for pushes
        wes.drain()
        xia.drain()

        answer = await wes.iq("set", None, f"<block xmlns='{BLOCKING}'><item jid='xia@localhost'/></block>")
        assert answer["type"] == "result"
        # §3.3: xia, who saw wes's presence, sees wes go away.
        await xia.next_presence(sender=wes.bare, ptype="unavailable")
        listed = await wes.iq("get", None, f"<blocklist xmlns='{BLOCKING}'/>")
        items = listed.xml.findall(f"{{{BLOCKING}}}blocklist/{{{BLOCKING}}}item")
        assert [i.get("jid") for i in items] == ["xia@localhost"]

        # Nothing of wes reaches xia: presence, messages, iqs.
        wes.presence(extra="<status>secret</status>")
        await xia.no_presence(1.0, sender=wes.bare)
        wes.send_message(xia.jid, "psst")
        err = await wes.next_message()
        assert error_condition(err) == "not-acceptable"
        assert err.xml.find("{jabber:client}error/{urn:xmpp:blocking:errors}blocked") is not None
        await xia.silence(1.0)
        # And nothing of xia reaches wes.
        xia.send_message(wes.jid, "hello?")
        assert error_condition(await xia.next_message()) == "service-unavailable"
        await wes.silence(1.0)
        ping = await xia.iq("get", wes.jid, "<ping xmlns='urn:xmpp:ping'/>")
        assert error_condition(ping) == "service-unavailable"

        # Unblocking restores the conversation.
        assert (await wes.iq("set", None, f"<unblock xmlns='{BLOCKING}'/>"))["type"] == "result"
        xia.send_message(wes.jid, "back")
        assert (await wes.next_message())["body"] == "back"


async def test_unblocking_gives_back_the_users_presence(server):
    """XEP-0191 §3.4 and §3.5: the unblocked contact gets the user's current presence
    from each available resource, if its subscription lets it see that presence."""
    async with watched(server, "yan", resource="desk") as desk, watched(server, "yan", resource="phone") as phone, \
            watched(server, "zed") as zed, watched(server, "uma") as uma:
        for c in (desk, phone, zed, uma):
            await c.available()
        await make_both(desk, zed)  # zed sees yan's presence; uma does not
        desk.presence(extra="<status>at my desk</status>")
        phone.presence(extra="<show>away</show><status>on the road</status>")
        await zed.next_presence(sender=phone.jid, ptype="available")
        for c in (desk, phone, zed, uma):
            await c.ping_server()
            c.drain()

        block = f"<block xmlns='{BLOCKING}'><item jid='zed@localhost'/><item jid='uma@localhost'/></block>"
        assert (await desk.iq("set", None, block))["type"] == "result"
        await zed.next_presence(sender=desk.jid, ptype="unavailable")
        await zed.next_presence(sender=phone.jid, ptype="unavailable")

        # Unblocking one contact: zed sees yan again, as yan is now on each resource.
        unblock = f"<unblock xmlns='{BLOCKING}'><item jid='zed@localhost'/></unblock>"
        assert (await desk.iq("set", None, unblock))["type"] == "result"
        seen = {}
        for _ in range(2):
            p = await zed.next_presence(sender="yan@localhost", ptype="available")
            seen[p["from"].full] = (p["show"], p["status"])
        assert seen == {desk.jid: ("", "at my desk"), phone.jid: ("away", "on the road")}
        await uma.no_presence(1.0, sender="yan@localhost")  # never allowed to see yan

        # Unblocking everyone: the same for every contact that was blocked.
        await desk.iq("set", None, f"<block xmlns='{BLOCKING}'><item jid='zed@localhost'/></block>")
        await zed.next_presence(sender=desk.jid, ptype="unavailable")
        await zed.next_presence(sender=phone.jid, ptype="unavailable")
        assert (await phone.iq("set", None, f"<unblock xmlns='{BLOCKING}'/>"))["type"] == "result"
        seen = {}
        for _ in range(2):
            p = await zed.next_presence(sender="yan@localhost", ptype="available")
            seen[p["from"].full] = p["status"]
        assert seen == {desk.jid: "at my desk", phone.jid: "on the road"}
        await uma.no_presence(1.0, sender="yan@localhost")


async def test_blocklist_survives_restart_and_disco_advertises_it(make_server):
    server = make_server("blocking-restart", users={"vic": "vic-pw", "wes": "wes-pw"})
    server.start()
    async with watched(server, "vic") as vic:
        info = await vic.iq("get", "localhost", f"<query xmlns='{DISCO_INFO}'/>")
        features = [f.get("var") for f in info.xml.findall(f"{{{DISCO_INFO}}}query/{{{DISCO_INFO}}}feature")]
        for feature in (BLOCKING, VCARD, LAST, TIME, "msgoffline"):
            assert feature in features
        await vic.iq("set", None, f"<block xmlns='{BLOCKING}'><item jid='wes@localhost'/></block>")
    assert server.stop() == 0
    server.pick_ports()
    server.write_config()
    server.start()
    async with watched(server, "vic") as vic, watched(server, "wes") as wes:
        await vic.available()
        wes.send_message("vic@localhost", "let me in")
        assert error_condition(await wes.next_message()) == "service-unavailable"
        await vic.silence(1.0)
    server.stop()
