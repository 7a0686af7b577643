"""xmqd under systemd, with systemd played by the test.

The service manager's side of Type=notify is a datagram socket named in
NOTIFY_SOCKET: xmqd says READY=1 once it listens, RELOADING=1 and READY=1
around a SIGHUP reload, STOPPING=1 on SIGTERM, and WATCHDOG=1 every half
WATCHDOG_USEC. Socket activation runs through `systemd-socket-activate`, the
real LISTEN_FDS hand-over. The units pass `systemd-analyze verify`, and the
man page covers every command and option of `xmqd --help`.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest

from systemd_units import analyze_verify, verify_root
from xmpp_client import assert_can_sign_in
from xmqd_process import REPO, free_port, run_xmqd, xmqd_binary

WAIT = 10  # seconds for any one notification


class FakeServiceManager:
    """The notification socket systemd listens on (abstract AF_UNIX datagrams)."""

    def __init__(self, monkeypatch):
        name = f"xmqd-test-{uuid.uuid4().hex}"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind("\0" + name)
        self.received: list[str] = []
        monkeypatch.setenv("NOTIFY_SOCKET", "@" + name)

    def close(self):
        self.sock.close()

    def next(self, timeout=WAIT) -> str:
        """The next notification (one datagram, e.g. "READY=1")."""
        self.sock.settimeout(timeout)
        try:
            message = self.sock.recv(4096).decode()
        except socket.timeout:
            raise AssertionError(f"no notification within {timeout}s; so far: {self.received}") from None
        self.received.append(message)
        return message

    def expect(self, *messages: str):
        """The next notifications are MESSAGES, in that order (WATCHDOG=1 pings skipped)."""
        for wanted in messages:
            got = self.next()
            while got == "WATCHDOG=1":
                got = self.next()
            assert got == wanted, f"expected {wanted!r}, got {got!r}; so far: {self.received}"

    def count(self, message: str, seconds: float) -> int:
        """How many MESSAGE datagrams arrive in the next SECONDS."""
        n, deadline = 0, time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            self.sock.settimeout(left)
            try:
                got = self.sock.recv(4096).decode()
            except socket.timeout:
                break
            self.received.append(got)
            n += got == message
        return n


@pytest.fixture
def service_manager(monkeypatch):
    manager = FakeServiceManager(monkeypatch)
    yield manager
    manager.close()


def test_notify_ready_then_reloading_ready_on_sighup_then_stopping_on_sigterm(make_server, service_manager):
    server = make_server("notify", users={})
    server.start()
    service_manager.expect("READY=1")

    server.proc.send_signal(signal.SIGHUP)
    service_manager.expect("RELOADING=1", "READY=1")

    # A refused reload must still end the reloading state.
    good = server.config_path.read_text()
    server.config_path.write_text(good + "\nno_such_key = 1\n")
    mark = len(server.lines)
    server.proc.send_signal(signal.SIGHUP)
    service_manager.expect("RELOADING=1", "READY=1")
    assert server.alive()
    server.wait_for_log("reload refused", since=mark)
    server.config_path.write_text(good)

    server.terminate()
    service_manager.expect("STOPPING=1")
    assert server.wait() == 0
    assert "WATCHDOG=1" not in service_manager.received, "keep-alives sent without WATCHDOG_USEC"


def test_watchdog_keep_alives_every_half_interval(make_server, service_manager, monkeypatch):
    monkeypatch.setenv("WATCHDOG_USEC", "400000")
    server = make_server("watchdog", users={})
    # WATCHDOG_PID is the service's main PID, as systemd sets it: the shell's
    # PID, which exec turns into xmqd's.
    server.start(wrapper=("sh", "-c", 'WATCHDOG_PID=$$ exec "$@"', "sh"))
    service_manager.expect("READY=1")
    assert service_manager.count("WATCHDOG=1", 1.5) >= 4  # one per 200 ms, with slack for a busy machine
    assert "keep-alive every 200 ms" in server.log()
    server.terminate()
    service_manager.expect("STOPPING=1")
    assert server.wait() == 0


def _trigger(port: int):
    """Connect once the activator listens: systemd-socket-activate execs xmqd on the first connection."""
    def run():
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def _refuses(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


async def test_socket_named_c2s_serves_the_c2s_listener_on_its_own_port(make_server):
    server = make_server("activated-by-name")
    inherited = free_port({server.c2s_port, server.tls_port})
    trigger = _trigger(inherited)
    server.start(wrapper=("systemd-socket-activate", "-l", f"127.0.0.1:{inherited}", "--fdname=c2s"))
    trigger.join(5)

    log = server.log()
    assert f"c2s 127.0.0.1:{inherited} (socket from systemd)" in log, log
    assert f"c2s_tls 127.0.0.1:{server.tls_port}" in log  # no socket given: bound by xmqd
    configured, server.c2s_port = server.c2s_port, inherited
    assert _refuses(configured), "xmqd bound the configured port although systemd gave it a socket"

    await assert_can_sign_in(server, "alice", transport="starttls")
    await assert_can_sign_in(server, "bob", transport="tls")


async def test_sockets_matched_by_address_and_an_unmatched_one_is_reported(make_server):
    server = make_server("activated-by-address")
    stray = free_port({server.c2s_port, server.tls_port})
    trigger = _trigger(server.c2s_port)
    server.start(wrapper=("systemd-socket-activate", "-l", f"127.0.0.1:{server.c2s_port}",
                          "-l", f"127.0.0.1:{server.tls_port}", "-l", f"127.0.0.1:{stray}"))
    trigger.join(5)

    log = server.log()
    assert f"c2s 127.0.0.1:{server.c2s_port} (socket from systemd)" in log, log
    assert f"c2s_tls 127.0.0.1:{server.tls_port} (socket from systemd)" in log, log
    unmatched = [line for line in server.lines if "no listener takes inherited socket" in line]
    assert len(unmatched) == 1 and f"127.0.0.1:{stray}" in unmatched[0], log
    assert "error" in unmatched[0].lower()
    assert _refuses(stray), "the unmatched socket still accepts connections nobody serves"

    await assert_can_sign_in(server, "alice", transport="starttls")
    await assert_can_sign_in(server, "carol", transport="tls")


def test_units_pass_systemd_analyze_verify(tmp_path):
    units = [REPO / "packaging/systemd/xmqd.service", REPO / "packaging/systemd/xmqd.socket"]
    root = verify_root(tmp_path / "root", xmqd_binary(), units)
    manpath = tmp_path / "man"
    (manpath / "man8").mkdir(parents=True)
    (manpath / "man8/xmqd.8").write_bytes((REPO / "packaging/xmqd.8").read_bytes())
    result = analyze_verify(root, ["xmqd.service", "xmqd.socket"], manpath)
    assert result.returncode == 0 and not result.stderr.strip() and not result.stdout.strip(), \
        f"systemd-analyze verify ({result.returncode}):\n{result.stdout}{result.stderr}"


def test_unit_runs_the_configured_binary_and_config():
    service = (REPO / "packaging/systemd/xmqd.service").read_text()
    assert "ExecStart=/usr/sbin/xmqd run -c /etc/xmqd/xmqd.toml\n" in service
    assert "Type=notify\n" in service and "User=xmqd\n" in service
    sysusers = (REPO / "packaging/systemd/xmqd.sysusers").read_text()
    assert re.search(r"^u xmqd - .* /var/lib/xmqd ", sysusers, re.M)


def _man_sections(text: str) -> dict[str, str]:
    sections, name = {}, None
    for line in text.splitlines():
        if re.match(r"^[A-Z][A-Z ]+$", line):
            name = line.strip()
            sections[name] = ""
        elif name:
            sections[name] += line + "\n"
    return sections


def test_man_page_documents_every_command_and_option_of_help():
    usage = run_xmqd("--help").stdout
    commands_part, options_part = usage.split("commands:")[1].split("options:")
    commands = re.findall(r"^  ([a-z]+(?: [a-z]+)?)(?: [A-Z\[]|  )", commands_part, re.M)
    options = re.findall(r"(--?[a-z][a-z-]*)", options_part)
    assert "run" in commands and "--config" in options, usage

    rendered = subprocess.run(["man", "-l", str(REPO / "packaging/xmqd.8")], capture_output=True, text=True,
                              env=dict(os.environ, MANWIDTH="100", MANPAGER="cat"), timeout=30)
    assert rendered.returncode == 0, rendered.stderr
    sections = _man_sections(rendered.stdout)
    for command in commands:
        assert re.search(rf"^       {re.escape(command)}\b", sections["COMMANDS"], re.M), \
            f"xmqd(8) COMMANDS lacks '{command}' of --help"
    for option in options:
        assert re.search(rf"^       .*{re.escape(option)}\b", sections["OPTIONS"], re.M), \
            f"xmqd(8) OPTIONS lacks '{option}' of --help"
    for section in ("SIGNALS", "FILES", "EXIT STATUS", "CONFIGURATION"):
        assert section in sections, f"xmqd(8) has no {section} section"
