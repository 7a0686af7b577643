"""A coturn TURN server (Debian's `turnserver`) on loopback for the XEP-0215 tests.

It checks credentials the way a production coturn with `use-auth-secret` does:
username "EXPIRY[:USER]", password base64(HMAC-SHA1(static-auth-secret, username)).
It listens on 127.0.0.1 only, on a port below 32768, relays on a small range there,
has no TLS, and keeps its config, pidfile and log in the test's directory. Only the
PID this module started is signalled. `allocate` runs `turnutils_uclient`, which
allocates a relay with the given credentials and sends a few packets through it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
import shutil
import socket
import subprocess
import time
from pathlib import Path

from xmqd_process import free_port

READY_TIMEOUT = 15
CLIENT_TIMEOUT = 30


def turn_password(secret: str, username: str) -> str:
    """coturn's REST password, computed here independently of the server's code."""
    return base64.b64encode(hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()).decode()


def udp_port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class Coturn:
    def __init__(self, workdir: Path, secret: str):
        if shutil.which("turnserver") is None or shutil.which("turnutils_uclient") is None:
            raise RuntimeError("coturn is not installed (packaging/install-deps.sh installs it)")
        self.workdir = Path(workdir)
        self.secret = secret
        self.port = free_port()
        while not udp_port_free(self.port):
            self.port = free_port({self.port})
        # Relay ports: a small range below 32768, away from the listening port.
        self.min_port = random.randrange(20000, 31800, 2)
        while abs(self.min_port - self.port) < 100:
            self.min_port = random.randrange(20000, 31800, 2)
        self.log_path = self.workdir / "turnserver.log"
        self.pid_path = self.workdir / "turnserver.pid"
        self.config_path = self.workdir / "turnserver.conf"
        self.config_path.write_text(f"""\
listening-ip=127.0.0.1
relay-ip=127.0.0.1
listening-port={self.port}
min-port={self.min_port}
max-port={self.min_port + 100}
use-auth-secret
static-auth-secret={secret}
realm=localhost
no-tls
no-dtls
no-cli
fingerprint
allow-loopback-peers
pidfile={self.pid_path}
log-file={self.log_path}
simple-log
no-stdout-log
""")
        self.proc: subprocess.Popen | None = None

    def start(self):
        self.proc = subprocess.Popen(["turnserver", "-c", str(self.config_path)],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self):
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"turnserver exited with {self.proc.returncode}:\n{self.log()}")
            if self._answers_stun():
                return
            time.sleep(0.2)
        raise AssertionError(f"turnserver did not answer STUN within {READY_TIMEOUT}s:\n{self.log()}")

    def _answers_stun(self) -> bool:
        """Its TCP listener accepts, and a STUN binding over UDP gets an answer."""
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
        except OSError:
            return False
        try:
            probe = subprocess.run(["turnutils_stunclient", "-p", str(self.port), "127.0.0.1"],
                                   capture_output=True, text=True, timeout=5)
        except subprocess.TimeoutExpired:
            return False
        return probe.returncode == 0

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def allocate(self, host: str, port: int, username: str, password: str) -> subprocess.CompletedProcess:
        """turnutils_uclient with these credentials: two clients, each allocating a relay,
        sending 3 packets to the other's relay (-y: no peer program needed)."""
        return subprocess.run(["turnutils_uclient", "-y", "-n", "3", "-m", "1", "-u", username, "-w", password,
                               "-p", str(port), host],
                              capture_output=True, text=True, timeout=CLIENT_TIMEOUT)
