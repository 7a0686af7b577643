#!/usr/bin/env python3
"""The include layering of docs/architecture.md, checked on every #include "...".

Libraries below server/ include only what is below them:
    xmpp/         xmpp
    conf/         xmpp
    auth/         xmpp
    xmq/          xmpp, conf
    pubsub/       xmpp
    muc/          xmpp
    server/store/ xmpp, auth
server/ folders are ordered system < core < net < router < accounts < c2s < component < s2s < modules:
each includes only its own folder, the folders before it, and the libraries
(xmpp, conf, auth, xmq, pubsub, muc, server/store). server/http, server/migration,
server/admin and the files at the top of server/ may include anything, except
that migration must not include admin.

Usage: layering_test.py [SOURCE_ROOT] (default: the repository this file is in).
Prints each violation as file:line: message and exits 1 if there is any.
"""

from __future__ import annotations

import posixpath
import re
import sys
from pathlib import Path

LIBRARIES = {
    "xmpp": {"xmpp"},
    "conf": {"xmpp"},
    "auth": {"xmpp"},
    "xmq": {"xmpp", "conf"},
    "pubsub": {"xmpp"},
    "muc": {"xmpp"},
    "server/store": {"xmpp", "auth"},
}
ORDERED = ["system", "core", "net", "router", "accounts", "c2s", "component", "s2s", "modules"]
ANYTHING = ["http", "migration", "admin"]  # and the top of server/
FORBIDDEN_FOR_ANYTHING = {"server/migration": {"server/admin"}}

SOURCE_SUFFIXES = {".hpp", ".cpp", ".h", ".cc", ".ipp"}
INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')
TOP_FOLDERS = ("xmpp", "conf", "auth", "xmq", "pubsub", "muc", "server")


def unit_of(path: str) -> str | None:
    """The layering unit of a repository path: "xmpp", "server/core",
    "server" (a file at the top of server/), or None (outside the checked tree)."""
    parts = path.split("/")
    if parts[0] not in TOP_FOLDERS:
        return None
    if parts[0] != "server":
        return parts[0]
    return "server" if len(parts) == 2 else f"server/{parts[1]}"


def allowed(source: str, target: str) -> bool:
    if source == target:
        return True
    if source in LIBRARIES:
        return target in LIBRARIES[source]
    libraries = set(LIBRARIES)  # every server/ folder may use the libraries below server/
    if target in libraries:
        return True
    if source == "server":
        return True
    folder = source.split("/", 1)[1]
    if folder in ORDERED:
        target_folder = target.split("/", 1)[1] if target.startswith("server/") else None
        return target_folder in ORDERED and ORDERED.index(target_folder) < ORDERED.index(folder)
    if folder in ANYTHING:
        return target not in FORBIDDEN_FOR_ANYTHING.get(source, set())
    return False  # a server/ folder this check does not know: place it in the order first


def describe(source: str) -> str:
    if source in LIBRARIES:
        below = sorted(LIBRARIES[source])
        return f"{source}/ may include only {', '.join(f'{b}/' for b in below) or 'itself'} (and itself)"
    folder = source.split("/", 1)[1]
    if folder in ORDERED:
        before = ", ".join(f"server/{b}/" for b in ORDERED[: ORDERED.index(folder)]) or "no server/ folder"
        return (f"{source}/ may include only itself, {before} (before it in {' < '.join(ORDERED)}) "
                f"and xmpp/, conf/, auth/, xmq/, server/store/")
    if folder in ANYTHING:
        return f"{source}/ must not include {', '.join(sorted(FORBIDDEN_FOR_ANYTHING.get(source, set())))}/"
    return f"{source}/ is not in the layering of tests/layering_test.py: add it to ORDERED or ANYTHING"


def resolve(include: str, including: str) -> str:
    """The repository path an #include "..." names: relative to the root when it
    starts with a top folder, else relative to the including file's folder."""
    if include.split("/", 1)[0] in TOP_FOLDERS:
        return posixpath.normpath(include)
    return posixpath.normpath(posixpath.join(posixpath.dirname(including), include))


def check(root: Path) -> list[str]:
    problems = []
    files = 0
    for top in TOP_FOLDERS:
        for path in sorted((root / top).rglob("*")):
            if path.suffix not in SOURCE_SUFFIXES or not path.is_file():
                continue
            files += 1
            rel = path.relative_to(root).as_posix()
            source = unit_of(rel)
            for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                target = unit_of(resolve(m.group(1), rel))
                if target is None or allowed(source, target):
                    continue
                problems.append(f'{rel}:{number}: #include "{m.group(1)}": {describe(source)}')
    if files == 0:
        problems.append(f"{root}: no source files found under {', '.join(TOP_FOLDERS)}")
    return problems


def main() -> int:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1]
    problems = check(root)
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} include(s) break the layering (docs/architecture.md)")
        return 1
    print("include layering holds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
