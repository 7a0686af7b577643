#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: the doctest unit
# tests of each folder (meson test), then the integration tests that start
# the real xmqd on loopback and drive it with real client libraries (pytest).
# Exits non-zero if any test fails.
set -uo pipefail
cd "$(dirname "$0")/.."
packaging/build.sh || exit 1

status=0
meson test -C build --print-errorlogs || status=1

# Debian's interpreter: the client libraries come from Debian packages.
/usr/bin/python3 -m pytest tests/integration -q -p no:cacheprovider
rc=$?
[ $rc -ne 0 ] && status=1

exit $status
