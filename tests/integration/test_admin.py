"""The admin sub-commands: adduser, deluser, passwd, users, check, version, --help.

First against a config whose server is not running, then against a running server
(accounts changed on disk are seen by the live server).
"""

import re

import pytest

from xmpp_client import Client, LoginFailed, assert_can_sign_in, signed_in
from xmqd_process import run_xmqd

XMQD_OPTIONS = {"hosts": ("localhost", "example.test")}


@pytest.fixture
def offline(make_server):
    """A configured xmqd with two domains and no users, never started."""
    return make_server("admin", users={}, hosts=("localhost", "example.test"))


def says(result) -> str:
    return f"exit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"


# --------------------------------------------------------------------------- accounts, server stopped


def test_adduser_then_users_lists_the_account(offline):
    r = offline.admin("adduser", "frank@localhost", "--password", "frank-secret")
    assert r.returncode == 0, says(r)
    r = offline.admin("users")
    assert r.returncode == 0, says(r)
    assert "frank@localhost" in r.stdout.split(), says(r)


def test_adduser_reads_the_password_from_stdin(offline):
    r = offline.admin("adduser", "gina@localhost", stdin="gina-secret\n")
    assert r.returncode == 0, says(r)
    assert "gina@localhost" in offline.admin("users").stdout.split()


def test_adduser_twice_fails_user_exists(offline):
    assert offline.admin("adduser", "frank@localhost", "--password", "one").returncode == 0
    r = offline.admin("adduser", "frank@localhost", "--password", "two")
    assert r.returncode != 0, says(r)
    assert "exist" in (r.stderr + r.stdout).lower(), says(r)


@pytest.mark.parametrize("bad_jid", ["@localhost", "frank@", "fr ank@localhost", "frank@localhost@localhost"])
def test_adduser_rejects_a_bad_jid(offline, bad_jid):
    r = offline.admin("adduser", bad_jid, "--password", "pw")
    assert r.returncode != 0, says(r)
    assert (r.stderr + r.stdout).strip(), "no message"
    assert bad_jid not in offline.admin("users").stdout.split()


def test_adduser_rejects_an_unknown_domain(offline):
    r = offline.admin("adduser", "frank@not-served.example", "--password", "pw")
    assert r.returncode != 0, says(r)
    assert "not-served.example" in (r.stderr + r.stdout), says(r)


def test_deluser_removes_the_account(offline):
    assert offline.admin("adduser", "frank@localhost", "--password", "pw").returncode == 0
    r = offline.admin("deluser", "frank@localhost")
    assert r.returncode == 0, says(r)
    assert "frank@localhost" not in offline.admin("users").stdout.split()


def test_deluser_of_an_unknown_user_fails(offline):
    r = offline.admin("deluser", "nobody@localhost")
    assert r.returncode != 0, says(r)
    assert (r.stderr + r.stdout).strip(), "no message"


def test_passwd_of_an_unknown_user_fails(offline):
    r = offline.admin("passwd", "nobody@localhost", "--password", "pw")
    assert r.returncode != 0, says(r)
    assert (r.stderr + r.stdout).strip(), "no message"


def test_users_lists_one_domain_when_asked(offline):
    assert offline.admin("adduser", "frank@localhost", "--password", "pw").returncode == 0
    assert offline.admin("adduser", "hank@example.test", "--password", "pw").returncode == 0

    everyone = offline.admin("users").stdout.split()
    assert {"frank@localhost", "hank@example.test"} <= set(everyone)

    r = offline.admin("users", "example.test")
    assert r.returncode == 0, says(r)
    assert "hank@example.test" in r.stdout.split() and "frank@localhost" not in r.stdout, says(r)


# --------------------------------------------------------------------------- check, version, help


def test_check_accepts_a_valid_config(offline):
    r = offline.admin("check")
    assert r.returncode == 0, says(r)


def broken_copy(server, old: str, new: str):
    """The server's config with one line replaced; returns (path, 1-based line number)."""
    lines = server.config_path.read_text().splitlines()
    line = next(i for i, text in enumerate(lines) if text == old)
    lines[line] = new
    path = server.workdir / "broken.toml"
    path.write_text("\n".join(lines) + "\n")
    return path, line + 1


@pytest.mark.parametrize("old, new, key", [
    ("idle_timeout = 600", "idle_timeout = = 600", None),           # TOML syntax
    ('kind = "c2s"', 'kind = "carrier-pigeon"', "kind"),             # unknown listener kind
    ("max_failures = 3", 'max_failures = "three"', "max_failures"),  # wrong type
])
def test_check_reports_file_line_and_fails(offline, old, new, key):
    path, line = broken_copy(offline, old, new)
    r = run_xmqd("check", "-c", str(path))
    assert r.returncode != 0, says(r)
    assert re.search(rf"{re.escape(str(path))}:{line}:\d+: ", r.stderr), says(r)
    if key:
        assert key in r.stderr, says(r)


def test_check_reports_an_unknown_module_at_its_line(offline):
    path = offline.workdir / "modules.toml"
    path.write_text('modules_disabled = ["vcard",\n  "pnig"]\n' + offline.config_path.read_text())
    r = run_xmqd("check", "-c", str(path))
    assert r.returncode != 0, says(r)
    assert f'{path}:2:3: modules_disabled[1]: unknown module "pnig"' in r.stderr, says(r)


def test_check_fails_on_a_missing_certificate(offline):
    path, _ = broken_copy(offline, f'certificate = "{offline.cert}"',
                          f'certificate = "{offline.workdir}/no-such-cert.pem"')
    r = run_xmqd("check", "-c", str(path))
    assert r.returncode != 0, says(r)
    assert "no-such-cert.pem" in r.stderr, says(r)


def test_version_and_help():
    r = run_xmqd("version")
    assert r.returncode == 0 and "xmqd" in r.stdout, says(r)
    r = run_xmqd("--help")
    assert r.returncode == 0, says(r)
    for command in ("run", "adduser", "deluser", "passwd", "users", "check"):
        assert command in r.stdout, f"--help does not mention {command}\n{says(r)}"


async def test_run_is_the_default_command(make_server):
    server = make_server("default-command", users={"alice": "alice-secret"})
    server.start(command=())  # xmqd -c FILE
    try:
        await assert_can_sign_in(server)
    finally:
        assert server.stop() == 0, server.log()


# --------------------------------------------------------------------------- accounts, server running


async def test_a_user_added_while_running_can_log_in(server):
    r = server.admin("adduser", "ivan@localhost", "--password", "ivan-secret")
    assert r.returncode == 0, says(r)
    async with signed_in(server, "ivan", "ivan-secret") as ivan:
        await ivan.ping_server()


async def test_a_user_added_from_stdin_while_running_can_log_in(server):
    r = server.admin("adduser", "judy@localhost", stdin="judy-secret\n")
    assert r.returncode == 0, says(r)
    async with signed_in(server, "judy", "judy-secret", mech="PLAIN") as judy:
        await judy.ping_server()


async def test_a_user_on_the_second_domain_can_log_in(server):
    assert server.admin("adduser", "kim@example.test", "--password", "kim-secret").returncode == 0
    async with signed_in(server, "kim@example.test", "kim-secret") as kim:
        assert kim.bare == "kim@example.test"


@pytest.mark.parametrize("mech", ["SCRAM-SHA-1", "SCRAM-SHA-256", "PLAIN"])
async def test_after_passwd_the_old_password_fails_and_the_new_one_works(server, mech):
    user = f"leo-{mech.lower()}"
    server.add_user(user, "old-password")
    r = server.admin("passwd", f"{user}@localhost", "--password", "new-password")
    assert r.returncode == 0, says(r)

    with pytest.raises(LoginFailed) as old:
        await Client(server, user, "old-password", mech=mech).sign_in()
    assert old.value.condition == "not-authorized", str(old.value)
    async with signed_in(server, user, "new-password", mech=mech) as leo:
        await leo.ping_server()


async def test_passwd_reads_the_new_password_from_stdin(server):
    server.add_user("nina", "old-password")
    r = server.admin("passwd", "nina@localhost", stdin="new-password\n")
    assert r.returncode == 0, says(r)
    async with signed_in(server, "nina", "new-password") as nina:
        await nina.ping_server()


async def test_a_deleted_user_can_no_longer_log_in(server):
    server.add_user("mia", "mia-secret")
    async with signed_in(server, "mia", "mia-secret", resource="before"):
        pass
    assert server.admin("deluser", "mia@localhost").returncode == 0
    with pytest.raises(LoginFailed) as gone:
        await Client(server, "mia", "mia-secret").sign_in()
    assert gone.value.condition == "not-authorized", str(gone.value)


# --------------------------------------------------------------------------- generated certificate


async def test_without_a_certificate_the_server_makes_its_own(make_server):
    server = make_server("selfsigned", cert=(None, None), users={"alice": "alice-secret"})
    assert server.admin("check").returncode == 0, says(server.admin("check"))
    server.start()
    try:
        await assert_can_sign_in(server, verify=False)
        await assert_can_sign_in(server, verify=False, transport="tls")
        assert any(p.suffix in (".pem", ".crt", ".key") for p in server.data_dir.rglob("*")), \
            f"no certificate file under {server.data_dir}"
    finally:
        server.stop()
