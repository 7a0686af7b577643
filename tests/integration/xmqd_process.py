"""A real xmqd process on loopback: config, data dir, ports, captured log, admin commands.

`Xmqd` owns one server process; `run_xmqd` runs any sub-command. Every wait is
bounded (ready within 15 s, exit within 10 s of SIGTERM, admin commands 30 s).
Only the PID this module started is ever signalled.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ADMIN_TIMEOUT = 30
READY_TIMEOUT = 15
STOP_TIMEOUT = 10
# How AddressSanitizer, LeakSanitizer and UBSan start a report (build-asan).
SANITIZER_REPORTS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", ": runtime error: ")


def xmqd_binary() -> Path:
    return Path(os.environ.get("XMQD_BIN", REPO / "build" / "server" / "xmqd"))


def run_xmqd(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    """Run the xmqd binary with ARGS; never raises on the exit code."""
    return subprocess.run([str(xmqd_binary()), *args], input=stdin if stdin is not None else "",
                          capture_output=True, text=True, timeout=ADMIN_TIMEOUT)


def free_port(taken: set[int] = frozenset()) -> int:
    """A loopback port in 20000-32000 that binds right now (below the ephemeral range)."""
    for _ in range(200):
        port = random.randint(20000, 32000)
        if port in taken:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise RuntimeError("no free loopback port in 20000-32000")


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for `localhost` (CN and subjectAltName)."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "7",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"],
        check=True, capture_output=True, timeout=60)
    return cert, key


def toml_str(value) -> str:
    return json.dumps(str(value))


class Xmqd:
    """One xmqd process with its own config, data dir and loopback ports."""

    # Every server of this test run, so that a sanitizer report in any log is found.
    instances: list[Xmqd] = []

    def __init__(self, workdir: Path, cert: Path | None, key: Path | None, *,
                 hosts=("localhost",), max_failures=3, max_stanza_bytes=262144,
                 idle_timeout=600, preauth_timeout=60, name="xmqd", components=None):
        self.name = name
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.data_dir = self.workdir / "data"
        self.config_path = self.workdir / "xmqd.toml"
        self.cert, self.key = cert, key
        self.hosts = list(hosts)
        self.domain = self.hosts[0]
        self.max_failures = max_failures
        # Tests of other features should not wait out the per-IP SASL failure
        # delay their earlier bad logins built up (test_limits.py tests it).
        self.extra_config: dict[str, dict[str, object]] = {"auth": {"failure_delay_ms": 0}}
        # Extra keys of a [[hosts]] entry, by domain (e.g. {"localhost": {"registration": True}}).
        self.host_config: dict[str, dict[str, object]] = {}
        # [modules.NAME] tables: option name -> integer, by module name.
        self.module_options: dict[str, dict[str, int]] = {}
        # TOML appended to the file as it is (top-level tables such as [[external_services]]).
        self.extra_toml = ""
        self.max_stanza_bytes = max_stanza_bytes
        self.idle_timeout = idle_timeout
        self.preauth_timeout = preauth_timeout
        # [[components]] (XEP-0114): domain -> secret; with any, a component
        # listener on 127.0.0.1:component_port.
        self.components: dict[str, str] = dict(components or {})
        self.passwords: dict[str, str] = {}
        self.proc: subprocess.Popen | None = None
        self.lines: list[str] = []
        self.returncode: int | None = None
        self._ready = threading.Event()
        self._reader: threading.Thread | None = None
        self.pick_ports()
        self.write_config()
        Xmqd.instances.append(self)

    # -- configuration

    def _extra(self, section: str) -> str:
        """Lines for self.extra_config[section] (keys of [auth], [limits] or [xmq])."""
        items = self.extra_config.get(section, {})
        return "".join(f"{k} = {json.dumps(v)}\n" for k, v in items.items())

    def pick_ports(self):
        self.c2s_port = free_port()
        self.tls_port = free_port({self.c2s_port})
        self.component_port = free_port({self.c2s_port, self.tls_port})

    def write_config(self):
        hosts = "".join(f"[[hosts]]\ndomain = {toml_str(h)}\n"
                        + "".join(f"{k} = {json.dumps(v)}\n" for k, v in self.host_config.get(h, {}).items())
                        + "\n" for h in self.hosts)
        cert = toml_str(self.cert or "")
        key = toml_str(self.key or "")
        components = "".join(f"[[components]]\ndomain = {toml_str(d)}\nsecret = {toml_str(s)}\n\n"
                             for d, s in self.components.items())
        if components:
            components = (f"[[listeners]]\nkind = \"component\"\nport = {self.component_port}\n\n"
                          + components)
        self.config_path.write_text(f"""\
data_dir = {toml_str(self.data_dir)}

{hosts}[[listeners]]
kind = "c2s"
address = "127.0.0.1"
port = {self.c2s_port}

[[listeners]]
kind = "c2s_tls"
address = "127.0.0.1"
port = {self.tls_port}

{components}[tls]
certificate = {cert}
key = {key}

[auth]
max_failures = {self.max_failures}
{self._extra("auth")}
[limits]
max_stanza_bytes = {self.max_stanza_bytes}
idle_timeout = {self.idle_timeout}
preauth_timeout = {self.preauth_timeout}
{self._extra("limits")}
[xmq]
check_expires_time = 10
{self._extra("xmq")}
[[xmq.queues]]
route = "queue1.localhost"
type = "any"

[[xmq.queues]]
route = "queue2.localhost"
type = "all"
""" + "".join(f"\n[modules.{name}]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in options.items())
                for name, options in self.module_options.items())
                                   + self.extra_toml)

    # -- admin sub-commands

    def admin(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        """Run `xmqd ARGS -c CONFIG` and return the completed process (never raises on exit code)."""
        return run_xmqd(*args, "-c", str(self.config_path), stdin=stdin)

    def add_user(self, user: str, password: str) -> str:
        jid = user if "@" in user else f"{user}@{self.domain}"
        r = self.admin("adduser", jid, "--password", password)
        assert r.returncode == 0, f"xmqd adduser {jid} failed ({r.returncode}):\n{r.stdout}{r.stderr}"
        self.passwords[jid] = password
        return jid

    # -- process

    def start(self, command: tuple[str, ...] = ("run",), *, wrapper: tuple[str, ...] = ()):
        """Start `xmqd COMMAND -c CONFIG` and wait for its "xmqd ready" line.

        wrapper: a launcher argv put in front, e.g. systemd-socket-activate's.
        """
        assert self.proc is None or self.proc.poll() is not None, "already running"
        binary = xmqd_binary()
        assert binary.exists(), f"no xmqd binary at {binary} (set XMQD_BIN)"
        self._ready.clear()
        self.returncode = None
        argv = [*wrapper, str(binary), *command, "-c", str(self.config_path)]
        self.lines.append(f"--- harness: starting {' '.join(argv)}\n")
        self.proc = subprocess.Popen(argv,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, errors="replace")
        self._reader = threading.Thread(target=self._read_log, args=(self.proc,), daemon=True)
        self._reader.start()
        deadline = time.monotonic() + READY_TIMEOUT
        while not self._ready.wait(0.05):
            if self.proc.poll() is not None:
                self._reader.join(2)
                raise AssertionError(f"xmqd exited with {self.proc.returncode} before "
                                     f"'xmqd ready':\n{self.log()}")
            if time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"xmqd not ready after {READY_TIMEOUT}s:\n{self.log()}")

    def _read_log(self, proc):
        for line in proc.stdout:
            self.lines.append(line)
            if "xmqd ready" in line:
                self._ready.set()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def terminate(self):
        """Send SIGTERM to this server's PID only."""
        assert self.alive()
        self.proc.send_signal(signal.SIGTERM)

    def wait(self, timeout=STOP_TIMEOUT) -> int:
        self.returncode = self.proc.wait(timeout)
        if self._reader:
            self._reader.join(2)
        return self.returncode

    def stop(self) -> int | None:
        """SIGTERM, wait up to 10 s, then SIGKILL. Returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.lines.append(f"--- harness: no exit {STOP_TIMEOUT}s after SIGTERM, SIGKILL\n")
                self.proc.kill()
                self.proc.wait(5)
        if self._reader:
            self._reader.join(2)
        self.returncode = self.proc.returncode
        self.lines.append(f"--- harness: xmqd exited with {self.returncode}\n")
        return self.returncode

    def log(self, since: int = 0) -> str:
        return "".join(self.lines[since:])

    def sanitizer_report(self, since: int = 0) -> str | None:
        """The first sanitizer report in the log from line `since` on (40 lines of it), if any."""
        lines = self.lines[since:]
        for i, line in enumerate(lines):
            if any(mark in line for mark in SANITIZER_REPORTS):
                return "".join(lines[i:i + 40])
        return None

    def wait_for_log(self, text: str, since: int = 0, timeout: float = 10.0) -> str:
        """Blocks until a log line (from line `since` on) contains `text`; returns that line.

        The log is read by another thread, so a line can arrive after what the
        server did next (a notify message, a reply)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.lines[since:]:
                if text in line:
                    return line
            time.sleep(0.02)
        raise AssertionError(f"no log line with {text!r} within {timeout}s:\n{self.log(since)}")

    def wait_for_log_count(self, text: str, count: int, timeout: float = 10.0) -> int:
        """Waits until at least `count` log lines contain `text` (see wait_for_log for why
        a line can lag); returns how many do then, so a caller can also check for too many."""
        deadline = time.monotonic() + timeout
        seen = 0
        while time.monotonic() < deadline:
            seen = sum(text in line for line in self.lines)
            if seen >= count:
                return seen
            time.sleep(0.02)
        return seen
