#!/usr/bin/env bash
# Builds the Debian package of the working tree: packaging/build-deb.sh [OUTDIR]
# (default ./build-deb). dpkg-buildpackage wants debian/ at the top of the
# source tree, so this copies the tree (tracked and new files, not ignored
# ones such as build directories) into a scratch directory, puts
# packaging/debian there as debian/ (symlinks resolved), and builds the
# binary package there. Prints the path of the .deb on its last line.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
out="$(mkdir -p "${1:-$repo/build-deb}" && cd "${1:-$repo/build-deb}" && pwd)"
version="$(dpkg-parsechangelog -l "$repo/packaging/debian/changelog" -S Version)"

scratch="$(mktemp -d "${TMPDIR:-/tmp}/xmqd-deb.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT
src="$scratch/xmqd-$version"
mkdir "$src"
# --ignore-failed-read: a tracked file deleted in the working tree is skipped.
(cd "$repo" && git ls-files -z --cached --others --exclude-standard |
    tar --null -T - --ignore-failed-read -cf -) | tar -xf - -C "$src"
rm -rf "$src/debian"
cp -rL "$repo/packaging/debian" "$src/debian"

# noddebs: no -dbgsym package (faster; the binary is still stripped).
(cd "$src" && DEB_BUILD_OPTIONS="parallel=$(nproc) noddebs ${DEB_BUILD_OPTIONS:-}" \
    dpkg-buildpackage -us -uc -b)

mv "$scratch"/*.deb "$scratch"/*.buildinfo "$scratch"/*.changes "$out"/
ls "$out"/xmqd_"$version"_*.deb
