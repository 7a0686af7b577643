"""Migration from ejabberd and Prosody: `xmqd import` of their real XEP-0227 exports.

The files in data/piefxis/ were written by Debian's ejabberd 23.01 (`ejabberdctl
export_piefxis`, plaintext and SCRAM password storage) and Prosody 0.12.3
(`prosody-migrator` to its xep0227 store) after the conversation scripted in
data/piefxis/make-fixtures.py. Each is imported into a fresh xmqd; then alice, bob
and carol sign in with the passwords they had on the old server and find their
rosters, subscription states, vCard, private XML, block list and offline messages.
Then the same data goes through `xmqd export` and `xmqd import` into another xmqd
(round trip) and is checked again.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from xmpp_client import Client, LoginFailed, signed_in

DATA = Path(__file__).parent / "data" / "piefxis"
OLD_PASSWORDS = {"alice": "alice-secret-1", "bob": "bob-secret-2", "carol": "carol-pässwörd-3"}

ROSTER_NS = "jabber:iq:roster"
# What each server exported. Prosody 0.12.3's xep0227 driver has no handler for
# offline messages or the block list, so those never reach its file.
FIXTURES = {
    "ejabberd-plain": {"files": ["20261121-091225.xml"], "sha256": True, "offline": True, "blocklist": True},
    "ejabberd-scram": {"files": ["20261121-091243.xml"], "sha256": False, "offline": True, "blocklist": True},
    "prosody": {"files": ["alice@localhost.xml", "bob@localhost.xml", "carol@localhost.xml"],
                "sha256": False, "offline": False, "blocklist": False},
}

# (subscription, ask, name, groups) per contact, as the old servers had them.
ROSTERS = {
    "alice": {"bob@localhost": ("both", None, "Bob", {"Friends"}),
              "carol@localhost": ("none", "subscribe", "Carol", {"Friends", "Book club"}),
              "dave@example.org": ("none", None, "Dave", set())},
    "bob": {"alice@localhost": ("both", None, None, set()),
            "carol@localhost": ("from", None, None, set())},
    "carol": {"bob@localhost": ("to", None, "Bob B.", {"Work", "Team"})},
}


def files_of(name: str) -> list[str]:
    return [str(DATA / name / f) for f in FIXTURES[name]["files"]]


def offline_stamps(name: str) -> list[str]:
    """The delay stamps of the offline messages in the fixture, in file order."""
    return [d.get("stamp") for f in sorted((DATA / name).iterdir())
            for d in ET.parse(f).getroot().iter("{urn:xmpp:delay}delay")]


def imported(make_server, name: str, files: list[str]):
    server = make_server(name, users={})
    r = server.admin("import", *files)
    assert r.returncode == 0, f"xmqd import failed ({r.returncode}):\n{r.stdout}{r.stderr}"
    assert "imported 3 users" in r.stdout, r.stdout
    server.passwords.update({f"{u}@localhost": p for u, p in OLD_PASSWORDS.items()})
    return server, r


async def roster_of(client: Client) -> dict:
    answer = await client.iq("get", None, f"<query xmlns='{ROSTER_NS}'/>")
    assert answer["type"] == "result", answer
    items = {}
    for item in answer.xml.find(f"{{{ROSTER_NS}}}query"):
        groups = {g.text for g in item.findall(f"{{{ROSTER_NS}}}group")}
        items[item.get("jid")] = (item.get("subscription"), item.get("ask"), item.get("name"), groups)
    return items


async def check_migrated(server, name: str):
    fixture = FIXTURES[name]
    # Old passwords, over the mechanisms the stored secrets allow.
    for user, password in OLD_PASSWORDS.items():
        for mech in ("SCRAM-SHA-1", "PLAIN"):
            async with signed_in(server, user, password, mech=mech, resource=f"m-{mech}") as c:
                await c.ping_server()
        if fixture["sha256"]:
            async with signed_in(server, user, password, mech="SCRAM-SHA-256", resource="m-256"):
                pass
        else:
            # Only SCRAM-SHA-1 secrets came over: SCRAM-SHA-256 cannot work.
            with pytest.raises(LoginFailed):
                async with signed_in(server, user, password, mech="SCRAM-SHA-256", resource="m-256"):
                    pass
    with pytest.raises(LoginFailed):
        async with signed_in(server, "alice", "wrong-password", mech="SCRAM-SHA-1"):
            pass

    async with signed_in(server, "alice", mech="SCRAM-SHA-1") as alice:
        assert await roster_of(alice) == ROSTERS["alice"]
        vcard = await alice.iq("get", None, "<vCard xmlns='vcard-temp'/>")
        assert vcard["type"] == "result", vcard
        card = vcard.xml.find("{vcard-temp}vCard")
        assert card.findtext("{vcard-temp}FN") == "Alice Liddell"
        assert card.findtext("{vcard-temp}NICKNAME") == "alice"
        private = await alice.iq("get", None,
                                 "<query xmlns='jabber:iq:private'><prefs xmlns='urn:example:prefs'/></query>")
        assert private["type"] == "result", private
        prefs = private.xml.find("{jabber:iq:private}query/{urn:example:prefs}prefs")
        assert prefs.findtext("{urn:example:prefs}colour") == "blue"

    async with signed_in(server, "bob", mech="SCRAM-SHA-1") as bob:
        assert await roster_of(bob) == ROSTERS["bob"]
        blocked = await bob.iq("get", None, "<blocklist xmlns='urn:xmpp:blocking'/>")
        assert blocked["type"] == "result", blocked
        jids = [i.get("jid") for i in blocked.xml.find("{urn:xmpp:blocking}blocklist")]
        assert jids == (["spam@example.net"] if fixture["blocklist"] else [])

    async with signed_in(server, "carol", mech="SCRAM-SHA-1") as carol:
        assert await roster_of(carol) == ROSTERS["carol"]
        # alice's request, made while carol was offline, is still waiting for her.
        requests = []
        carol.xmpp.add_event_handler("presence_subscribe", lambda p: requests.append(p["from"].bare))
        await carol.available()
        if fixture["offline"]:
            bodies, stamps = [], []
            for _ in range(2):
                m = await carol.next_message()
                bodies.append(m["body"])
                stamps.append(m.xml.find("{urn:xmpp:delay}delay").get("stamp"))
            assert bodies == ["first offline message", "second offline message"]
            assert stamps == offline_stamps(name)
        else:
            await carol.silence(0.5)
        assert requests == ["alice@localhost"]


@pytest.mark.parametrize("name", list(FIXTURES))
async def test_import_real_export_then_round_trip(make_server, tmp_path, name):
    first, _ = imported(make_server, f"import-{name}", files_of(name))

    # Export before the first server delivers the offline messages.
    exported = tmp_path / "export.xml"
    r = first.admin("export", "-o", str(exported))
    assert r.returncode == 0, r.stderr
    assert exported.stat().st_mode & 0o077 == 0, "the export holds secrets: owner only"
    root = ET.parse(exported).getroot()
    assert root.tag == "{urn:xmpp:pie:0}server-data"
    assert b"password=" not in exported.read_bytes()

    first.start()
    try:
        await check_migrated(first, name)
    finally:
        first.stop()

    second, _ = imported(make_server, f"again-{name}", [str(exported)])
    second.start()
    try:
        await check_migrated(second, name)
    finally:
        second.stop()


async def test_sha1_only_accounts_sign_in_with_the_clients_own_choice_once_sha256_is_off(make_server):
    """Prosody keeps SCRAM-SHA-1 secrets only; a client picks the strongest mechanism offered."""
    server, r = imported(make_server, "import-sha1-only", files_of("prosody"))
    assert "3 accounts have SCRAM-SHA-1 secrets only" in r.stderr, r.stderr
    server.extra_config["auth"]["allow_scram_sha256"] = False
    server.write_config()
    server.start()
    try:
        for user, password in OLD_PASSWORDS.items():
            async with signed_in(server, user, password, mech=None) as c:  # slixmpp chooses
                await c.ping_server()
    finally:
        server.stop()


def test_existing_users_are_skipped_unless_replace(make_server):
    server, _ = imported(make_server, "import-twice", files_of("prosody"))
    r = server.admin("import", *files_of("prosody"))
    assert r.returncode == 0, r.stderr
    assert "imported 0 users" in r.stdout and "skipped 3 existing users" in r.stdout, r.stdout
    assert "alice@localhost exists: skipped (--replace to overwrite)" in r.stderr
    r = server.admin("import", "--replace", *files_of("prosody"))
    assert r.returncode == 0, r.stderr
    assert "imported 3 users (3 replaced)" in r.stdout, r.stdout


def test_malformed_file_imports_nothing(make_server, tmp_path):
    server = make_server("import-bad", users={})
    good = (DATA / "prosody" / "alice@localhost.xml").read_text()
    truncated = tmp_path / "truncated.xml"
    truncated.write_text(good[: len(good) // 2])
    r = server.admin("import", str(truncated))
    assert r.returncode == 1
    assert f"{truncated}:1:" in r.stderr and "nothing was imported" in r.stderr, r.stderr

    # A good file next to one whose second user has a broken roster: neither is imported.
    broken = tmp_path / "broken.xml"
    broken.write_text("<server-data xmlns='urn:xmpp:pie:0'><host jid='localhost'>"
                      "<user name='erin' password='pw'/>"
                      "<user name='frank' password='pw'><query xmlns='jabber:iq:roster'>"
                      "<item jid='x@localhost' subscription='sometimes'/></query></user></host></server-data>")
    r = server.admin("import", str(DATA / "prosody" / "alice@localhost.xml"), str(broken))
    assert r.returncode == 1
    assert "host 'localhost', user 'frank': roster item x@localhost: unknown subscription 'sometimes'" in r.stderr
    users = server.admin("users")
    assert users.returncode == 0 and users.stdout == "", users.stdout

    r = server.admin("import", str(tmp_path / "missing.xml"))
    assert r.returncode == 1 and "cannot read" in r.stderr


def test_unknown_hosts_are_skipped_with_a_message(make_server, tmp_path):
    server = make_server("import-hosts", users={})
    f = tmp_path / "hosts.xml"
    f.write_text("<server-data xmlns='urn:xmpp:pie:0'>"
                 "<host jid='elsewhere.example'><user name='x' password='pw'/></host>"
                 "<host jid='localhost'><user name='y' password='pw'/></host></server-data>")
    r = server.admin("import", str(f))
    assert r.returncode == 0, r.stderr
    assert "host elsewhere.example is not served by this configuration" in r.stderr
    assert "imported 1 users" in r.stdout
    assert server.admin("users").stdout == "y@localhost\n"


def test_import_refused_while_the_server_runs(make_server):
    server = make_server("import-running", users={})
    server.start()
    try:
        r = server.admin("import", *files_of("prosody"))
        assert r.returncode == 1
        assert "a server is running" in r.stderr and "nothing was imported" in r.stderr, r.stderr
    finally:
        server.stop()
    assert server.admin("users").stdout == ""
