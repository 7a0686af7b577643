"""`systemd-analyze verify` on xmqd's units, without installing anything on this machine.

systemd 252's `verify --root=DIR` resolves every path in the units (ExecStart=,
/bin/kill, the targets they hang off) inside DIR, so DIR must hold the xmqd
binary, the units and the units they refer to: `verify_root` builds such a
scratch root from the machine's own unit directory. `man:xmqd(8)` in
Documentation= is checked with the host's `man`, pointed at MANPATH.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

UNIT_DIR = "lib/systemd/system"


def verify_root(root: Path, binary: Path, units: list[Path]) -> Path:
    """Fill ROOT with the host's units, /usr/bin/kill, BINARY as /usr/sbin/xmqd and UNITS."""
    unit_dir = root / UNIT_DIR
    unit_dir.mkdir(parents=True, exist_ok=True)
    for host_unit in Path("/lib/systemd/system").iterdir():
        if host_unit.is_file() and not host_unit.is_symlink() and not (unit_dir / host_unit.name).exists():
            shutil.copy2(host_unit, unit_dir / host_unit.name)
    (root / "usr/bin").mkdir(parents=True, exist_ok=True)
    (root / "usr/sbin").mkdir(parents=True, exist_ok=True)
    shutil.copy2("/usr/bin/kill", root / "usr/bin/kill")
    if not (root / "bin").exists():
        (root / "bin").symlink_to("usr/bin")  # ExecReload=/bin/kill, as on merged-/usr Debian
    if binary.resolve() != (root / "usr/sbin/xmqd").resolve():
        shutil.copy2(binary, root / "usr/sbin/xmqd")
    for unit in units:
        if unit.resolve() != (unit_dir / unit.name).resolve():
            shutil.copy2(unit, unit_dir / unit.name)
    return root


def analyze_verify(root: Path, unit_names: list[str], manpath: Path) -> subprocess.CompletedProcess:
    """`systemd-analyze verify --root=ROOT` on /lib/systemd/system/NAME for each name."""
    env = dict(os.environ, MANPATH=str(manpath), SYSTEMD_LOG_COLOR="0")
    return subprocess.run(
        ["systemd-analyze", "verify", f"--root={root}", *(f"/{UNIT_DIR}/{n}" for n in unit_names)],
        capture_output=True, text=True, timeout=60, env=env)
