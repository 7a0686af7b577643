"""Rosters (RFC 6121 §2) with versioning (XEP-0237): get, set, remove, pushes, limits.

A conversation per test: the client asks, the server answers and pushes.
"""

import pytest

from im_helpers import ROSTER_NS, watched
from raw_stream import RawStream
from xmpp_client import error_condition

XMQD_OPTIONS = {"users": {"rosa": "rosa-pw", "ralf": "ralf-pw", "rita": "rita-pw", "remy": "remy-pw"}}


def item_xml(jid, name=None, groups=(), subscription=None):
    attrs = f" jid='{jid}'" + (f" name='{name}'" if name else "") + \
        (f" subscription='{subscription}'" if subscription else "")
    inner = "".join(f"<group>{g}</group>" for g in groups)
    return f"<query xmlns='{ROSTER_NS}'><item{attrs}>{inner}</item></query>"


async def test_set_get_version_and_remove(server):
    async with watched(server, "rosa") as rosa:
        items, ver0, _ = await rosa.roster(ver="")
        assert items == {} and ver0 is not None

        answer = await rosa.iq("set", None, item_xml("ralf@localhost", "Ralf", ["Friends", "Work"]))
        assert answer["type"] == "result"
        push = await rosa.next_push()
        assert (push.get("jid"), push.get("name"), push.get("subscription")) == ("ralf@localhost", "Ralf", "none")

        items, ver1, _ = await rosa.roster(ver=ver0)
        assert items == {"ralf@localhost": ("none", None, "Ralf", ["Friends", "Work"])}
        assert ver1 != ver0

        # XEP-0237: the cached version is current, so the answer is empty.
        items, ver, answer = await rosa.roster(ver=ver1)
        assert items is None and answer.xml.find(f"{{{ROSTER_NS}}}query") is None

        # Renaming keeps the item, changes the version.
        await rosa.iq("set", None, item_xml("ralf@localhost", "R.", ["Work"]))
        await rosa.next_push()
        items, ver2, _ = await rosa.roster(ver=ver1)
        assert items["ralf@localhost"][2:] == ("R.", ["Work"]) and ver2 != ver1

        answer = await rosa.iq("set", None, item_xml("ralf@localhost", subscription="remove"))
        assert answer["type"] == "result"
        push = await rosa.next_push()
        assert (push.get("jid"), push.get("subscription")) == ("ralf@localhost", "remove")
        items, _, _ = await rosa.roster()
        assert items == {}

        # Removing what is not there.
        answer = await rosa.iq("set", None, item_xml("ralf@localhost", subscription="remove"))
        assert error_condition(answer) == "item-not-found"


async def test_bad_roster_sets_are_refused(server):
    async with watched(server, "rita") as rita:
        two = f"<query xmlns='{ROSTER_NS}'><item jid='a@localhost'/><item jid='b@localhost'/></query>"
        assert error_condition(await rita.iq("set", None, two)) == "bad-request"
        dup = item_xml("a@localhost", groups=["G", "G"])
        assert error_condition(await rita.iq("set", None, dup)) == "bad-request"
        long_name = item_xml("a@localhost", name="n" * 2000)
        assert error_condition(await rita.iq("set", None, long_name)) == "not-acceptable"
        empty_group = item_xml("a@localhost", groups=[""])
        assert error_condition(await rita.iq("set", None, empty_group)) == "not-acceptable"
        no_jid = f"<query xmlns='{ROSTER_NS}'><item name='x'/></query>"
        assert error_condition(await rita.iq("set", None, no_jid)) == "bad-request"
        # Someone else's roster is not ours to read.
        other = await rita.iq("get", "rosa@localhost", f"<query xmlns='{ROSTER_NS}'/>")
        assert error_condition(other) == "forbidden"
        items, _, _ = await rita.roster()
        assert items == {}


async def test_pushes_reach_every_resource_that_asked_for_the_roster(server):
    async with watched(server, "remy", resource="one") as one, \
               watched(server, "remy", resource="two") as two, \
               watched(server, "remy", resource="three") as three:
        await one.roster()
        await two.roster()
        await three.ping_server()  # never asked for the roster
        await one.iq("set", None, item_xml("rosa@localhost", "Rosa"))
        assert (await one.next_push()).get("jid") == "rosa@localhost"
        assert (await two.next_push()).get("jid") == "rosa@localhost"
        await three.no_push(1.0)
        await one.iq("set", None, item_xml("rosa@localhost", subscription="remove"))
        assert (await two.next_push()).get("subscription") == "remove"


async def test_roster_versioning_is_a_stream_feature(server):
    async with RawStream(server) as s:
        await s.sign_in("ralf")
        # The features after authentication offer <ver xmlns="urn:xmpp:features:rosterver"/>.
        assert "urn:xmpp:features:rosterver" in s.conversation()


async def test_roster_limits_come_from_the_config(make_server):
    """[limits] max_roster_items and the item size keys replace the built-in 2000/64/1024."""
    server = make_server("roster-limits", users={"rosa": "rosa-pw"})
    server.extra_config["limits"] = {"max_roster_items": 2, "max_roster_item_name_bytes": 8,
                                     "max_roster_item_groups": 2, "max_roster_group_name_bytes": 4}
    server.write_config()
    server.start()
    async with watched(server, "rosa") as rosa:
        assert error_condition(await rosa.iq("set", None, item_xml("a@localhost", name="n" * 9))) == "not-acceptable"
        assert error_condition(await rosa.iq("set", None, item_xml("a@localhost", groups=["g" * 5]))) \
            == "not-acceptable"
        assert error_condition(await rosa.iq("set", None, item_xml("a@localhost", groups=["a", "b", "c"]))) \
            == "not-acceptable"
        ok = item_xml("a@localhost", name="n" * 8, groups=["gggg", "b"])
        assert (await rosa.iq("set", None, ok))["type"] == "result"
        assert (await rosa.iq("set", None, item_xml("b@localhost")))["type"] == "result"
        full = await rosa.iq("set", None, item_xml("c@localhost"))
        assert error_condition(full) == "not-allowed"
        # Changing an item already there is no new item.
        assert (await rosa.iq("set", None, item_xml("b@localhost", name="B")))["type"] == "result"
    server.stop()
