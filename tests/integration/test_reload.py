"""SIGHUP: a renewed certificate reaches new connections while old sessions go on, and
a configuration with errors is refused (file:line:key in the log) with the running one
kept whole: same certificate, same log level, still serving."""

from __future__ import annotations

import asyncio
import re
import signal

from cert_helpers import file_fingerprint, served_fingerprint, write_certificate
from protocol import STEP_TIMEOUT
from xmpp_client import assert_can_sign_in, error_condition, signed_in

HOSTS = ("localhost", "b.test")


async def sighup(server) -> tuple[str, str]:
    """SIGHUP to this server's PID; waits for the outcome. Returns (outcome line, log since)."""
    mark = len(server.lines)
    assert server.alive(), "xmqd is not running"
    server.proc.send_signal(signal.SIGHUP)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STEP_TIMEOUT
    while loop.time() < deadline:
        for line in server.lines[mark:]:
            if "reload refused" in line or "configuration reloaded" in line:
                await asyncio.sleep(0.1)  # the rest of a refusal's lines
                return line, server.log(mark)
        await asyncio.sleep(0.05)
    raise AssertionError(f"no reload outcome within {STEP_TIMEOUT}s of SIGHUP:\n{server.log(mark)}")


def import_certificate(server, source_dir, host="b.test"):
    """A new certificate for HOST in SOURCE_DIR, installed with `xmqd cert import`. Its fingerprint."""
    cert, _ = write_certificate(source_dir, host, [host])
    r = server.admin("cert", "import", str(source_dir))
    assert r.returncode == 0 and f"{host}: imported" in r.stdout, r.stdout + r.stderr
    return file_fingerprint(cert)


async def b_test_fingerprint(server) -> str:
    return await asyncio.to_thread(served_fingerprint, server.tls_port, "b.test")


async def test_renewed_certificate_served_after_sighup_while_sessions_stay(make_server, tmp_path):
    server = make_server("renew", hosts=HOSTS)
    first = import_certificate(server, tmp_path / "le")
    server.start()
    assert await b_test_fingerprint(server) == first

    async with signed_in(server, "alice") as alice, signed_in(server, "bob", transport="tls") as bob:
        renewed = import_certificate(server, tmp_path / "le")  # the renewal overwrites the files
        assert renewed != first
        line, _ = await sighup(server)
        assert "configuration reloaded" in line, line

        assert await b_test_fingerprint(server) == renewed
        # Both sessions, made before the reload, are still up and talk.
        await alice.ping_server()
        alice.send_message(bob.jid, "still here after the reload")
        msg = await bob.next_message()
        assert msg["body"] == "still here after the reload"
        await bob.ping_server()


async def test_broken_config_on_sighup_keeps_the_running_one(make_server, tmp_path):
    server = make_server("broken", hosts=HOSTS)
    first = import_certificate(server, tmp_path / "le")
    server.start()
    good = server.config_path.read_text()

    # A renewed certificate is in place, and the new file asks for debug logging, but
    # one value in it is wrong: nothing of it may take effect.
    renewed = import_certificate(server, tmp_path / "le")
    wanted = good.replace("[auth]\n", '[log]\nlevel = "debug"\n\n[auth]\n', 1)
    broken = re.sub(r"^max_failures = \d+$", 'max_failures = "three"', wanted, count=1, flags=re.M)
    assert broken != wanted
    line_no = broken.splitlines().index('max_failures = "three"') + 1
    server.config_path.write_text(broken)

    line, log = await sighup(server)
    assert "reload refused" in line, log
    assert re.search(rf"{re.escape(str(server.config_path))}:{line_no}:\d+: auth\.max_failures: ", log), log
    assert server.alive()
    assert await b_test_fingerprint(server) == first  # the old certificate, not the renewed one
    mark = len(server.lines)
    await assert_can_sign_in(server, "alice")
    assert "connected from" not in server.log(mark), "the refused file's debug level took effect"

    # Fixed, the same file is taken whole.
    server.config_path.write_text(wanted)
    line, log = await sighup(server)
    assert "configuration reloaded" in line, log
    assert await b_test_fingerprint(server) == renewed
    mark = len(server.lines)
    await assert_can_sign_in(server, "alice")
    assert "connected from" in server.log(mark), "debug level not applied by the reload"


async def test_restart_only_keys_are_named_and_kept(make_server):
    server = make_server("restart-keys", hosts=HOSTS)
    server.start()
    text = server.config_path.read_text()
    server.config_path.write_text(text.replace(str(server.data_dir), str(server.data_dir) + "-moved", 1))
    line, log = await sighup(server)
    assert "configuration reloaded" in line, log
    assert "data_dir changed" in log and "takes effect on restart" in log, log
    # Still on the old database: the users are there.
    await assert_can_sign_in(server, "alice")


async def test_module_keys_are_read_at_start_and_kept_by_a_reload(make_server):
    """Modules register once, with their options: the file's module keys apply at start,
    and a reload names a changed one and keeps what runs."""
    server = make_server("module-keys")
    server.config_path.write_text('modules_disabled = ["vcard"]\n' + server.config_path.read_text())
    server.start()
    loaded = next(line for line in server.lines if " modules: " in line)
    modules = loaded.split("modules: ", 1)[1].strip().split(", ")
    assert modules[:3] == ["core", "disco", "ping"] and "vcard" not in modules, loaded
    async with signed_in(server, "alice") as alice:
        assert error_condition(await alice.iq("get", None, "<vCard xmlns='vcard-temp'/>")) == "service-unavailable"
        server.config_path.write_text(server.config_path.read_text() + "\n[modules.blocking]\nmax_blocked = 5\n")
        line, log = await sighup(server)
        assert "configuration reloaded" in line, log
        assert "modules.blocking changed" in log and "takes effect on restart" in log, log
        assert error_condition(await alice.iq("get", None, "<vCard xmlns='vcard-temp'/>")) == "service-unavailable"
