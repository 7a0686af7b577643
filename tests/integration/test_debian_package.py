"""The Debian package: built from this tree, installed into a scratch root, removed, purged.

`packaging/build-deb.sh` runs dpkg-buildpackage (minutes: one test does it all).
dpkg installs into the scratch root with --root and --force-script-chrootless,
so the real maintainer scripts run with DPKG_ROOT set: systemd-sysusers
creates the xmqd user in ROOT/etc/passwd and deb-systemd-helper enables the
service in ROOT. Nothing is installed on this machine; the test checks that.
Dependencies are not installed in ROOT (--force-depends): the binary is run
from ROOT with the machine's libraries.
"""

from __future__ import annotations

import gzip
import os
import pwd
import re
import shutil
import stat
import subprocess
import time
from pathlib import Path

from systemd_units import analyze_verify, verify_root
from xmqd_process import REPO

BUILD_TIMEOUT = 1500


def dpkg(root: Path, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        ["dpkg", f"--root={root}", "--force-script-chrootless", "--force-depends", "--log=/dev/null", *args],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"dpkg {' '.join(args)} ({result.returncode}):\n{result.stdout}{result.stderr}"
    return result


def empty_root(root: Path) -> Path:
    """A root dpkg accepts: its own empty package database."""
    for d in ("var/lib/dpkg/info", "var/lib/dpkg/updates", "var/lib/dpkg/triggers", "etc", "usr/bin"):
        (root / d).mkdir(parents=True, exist_ok=True)
    for f in ("var/lib/dpkg/status", "var/lib/dpkg/available"):
        (root / f).touch()
    return root


def mode(path: Path) -> str:
    st = path.lstat()
    return f"{stat.S_IMODE(st.st_mode):04o} {st.st_uid}:{st.st_gid}"


def test_deb_builds_installs_creates_the_user_and_purges_only_on_purge(tmp_path):
    host_had_user = _has_user("xmqd")
    host_had_etc = Path("/etc/xmqd").exists()

    started = time.monotonic()
    # noopt (-O0): this checks the packaging, not the optimiser, and -O0
    # compiles much faster than the package's -O2.
    build = subprocess.run([str(REPO / "packaging/build-deb.sh"), str(tmp_path / "out")],
                           env={**os.environ, "DEB_BUILD_OPTIONS": "noopt"},
                           capture_output=True, text=True, timeout=BUILD_TIMEOUT)
    assert build.returncode == 0, f"build-deb.sh failed:\n{build.stdout[-6000:]}{build.stderr[-6000:]}"
    deb = Path(build.stdout.strip().splitlines()[-1])
    print(f"package built in {time.monotonic() - started:.0f} s: {deb.name}")
    assert re.fullmatch(r"xmqd_[0-9.]+_[a-z0-9]+\.deb", deb.name), deb
    check_package(deb, tmp_path)

    # This machine was not touched.
    assert _has_user("xmqd") == host_had_user
    assert Path("/etc/xmqd").exists() == host_had_etc


def check_package(deb: Path, tmp_path: Path):
    """Contents, install into a scratch root, the installed files at work, remove, purge."""
    listing = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True, check=True).stdout
    paths = {line.split()[5] for line in listing.splitlines()}
    for path in ("./usr/sbin/xmqd", "./lib/systemd/system/xmqd.service", "./lib/systemd/system/xmqd.socket",
                 "./usr/lib/sysusers.d/xmqd.conf", "./etc/xmqd/xmqd.toml", "./usr/share/man/man8/xmqd.8.gz",
                 *(f"./usr/share/doc/xmqd/examples/{name}"
                   for name in ("README.md", "xmq_publisher.py", "xmq_consumer.py"))):
        assert path in paths, f"{path} not in the package:\n{listing}"
    assert not [p for p in paths if "/bin/" in p and not p.endswith("/")], f"more than xmqd:\n{listing}"

    # -- install
    root = empty_root(tmp_path / "root")
    dpkg(root, "-i", str(deb))

    assert mode(root / "usr/sbin/xmqd") == "0755 0:0"
    for unit in ("xmqd.service", "xmqd.socket"):
        assert mode(root / "lib/systemd/system" / unit) == "0644 0:0"
    assert mode(root / "usr/lib/sysusers.d/xmqd.conf") == "0644 0:0"
    assert mode(root / "etc/xmqd/xmqd.toml") == "0644 0:0"
    # The XMQ examples, runnable as they are (not compressed, still executable).
    for name in ("xmq_publisher.py", "xmq_consumer.py"):
        assert mode(root / "usr/share/doc/xmqd/examples" / name) == "0755 0:0"
    config = (root / "etc/xmqd/xmqd.toml").read_text()
    assert 'data_dir = "/var/lib/xmqd"\n' in config
    status = subprocess.run(["dpkg-query", f"--admindir={root}/var/lib/dpkg", "-W", "-f=${Conffiles}\n", "xmqd"],
                            capture_output=True, text=True, check=True).stdout
    assert "/etc/xmqd/xmqd.toml" in status

    # The user, made by the postinst's systemd-sysusers in ROOT.
    passwd = {line.split(":")[0]: line.split(":") for line in (root / "etc/passwd").read_text().splitlines()}
    assert "xmqd" in passwd, (root / "etc/passwd").read_text()
    name, _, uid, gid, _, home, shell = passwd["xmqd"]
    assert 0 < int(uid) < 1000 and home == "/var/lib/xmqd" and shell == "/usr/sbin/nologin"
    assert re.search(rf"^xmqd:x:{gid}:", (root / "etc/group").read_text(), re.M)
    # The service is enabled (deb-systemd-helper in ROOT); the socket is left to the administrator.
    wants = root / "etc/systemd/system/multi-user.target.wants/xmqd.service"
    assert wants.is_symlink() and os.readlink(wants) == "/lib/systemd/system/xmqd.service"
    assert not (root / "etc/systemd/system/sockets.target.wants/xmqd.socket").exists()

    # The man page renders.
    page = root / "usr/share/man/man8/xmqd.8.gz"
    assert mode(page) == "0644 0:0"
    rendered = subprocess.run(["man", "-l", str(page)], capture_output=True, text=True, timeout=30,
                              env=dict(os.environ, MANPAGER="cat", MANWIDTH="100"))
    assert rendered.returncode == 0 and "xmqd - XMPP server" in rendered.stdout, rendered.stderr

    # The installed binary runs and keeps its data where the package says.
    local = tmp_path / "local.toml"
    local.write_text(config.replace('data_dir = "/var/lib/xmqd"', f'data_dir = "{root}/var/lib/xmqd"'))
    binary = str(root / "usr/sbin/xmqd")
    assert subprocess.run([binary, "version"], capture_output=True, text=True).stdout.startswith("xmqd ")
    added = subprocess.run([binary, "adduser", "alice@localhost", "--password", "pw", "-c", str(local)],
                           capture_output=True, text=True, timeout=30)
    assert added.returncode == 0, added.stderr
    assert (root / "var/lib/xmqd/xmqd.sqlite").exists()

    # The installed units, against the machine's systemd units, in a copy of ROOT.
    check_root = tmp_path / "verify"
    shutil.copytree(root, check_root, symlinks=True)
    verify_root(check_root, check_root / "usr/sbin/xmqd", [])
    manpath = tmp_path / "man"
    (manpath / "man8").mkdir(parents=True)
    (manpath / "man8/xmqd.8").write_bytes(gzip.decompress(page.read_bytes()))
    verified = analyze_verify(check_root, ["xmqd.service", "xmqd.socket"], manpath)
    assert verified.returncode == 0 and not (verified.stdout + verified.stderr).strip(), \
        f"systemd-analyze verify:\n{verified.stdout}{verified.stderr}"

    # -- remove keeps configuration and data; purge deletes them
    dpkg(root, "-r", "xmqd")
    assert not (root / "usr/sbin/xmqd").exists()
    assert not (root / "lib/systemd/system/xmqd.service").exists()
    assert (root / "etc/xmqd/xmqd.toml").exists()
    assert (root / "var/lib/xmqd/xmqd.sqlite").exists()

    dpkg(root, "-P", "xmqd")
    assert not (root / "etc/xmqd").exists()
    assert not (root / "var/lib/xmqd").exists()
    assert not wants.exists() and not wants.is_symlink()
    assert "xmqd:" in (root / "etc/passwd").read_text(), "purge removed the system user"


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False
