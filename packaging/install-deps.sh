#!/usr/bin/env bash
# Installs the Debian 12 packages xmqd needs to build, run and test, when
# missing. Only Debian packages: nothing is downloaded from elsewhere.
set -euo pipefail

packages=(
  build-essential meson ninja-build pkg-config
  libboost1.81-dev libxml2-dev libssl-dev openssl
  libsasl2-dev libsasl2-modules
  libtomlplusplus-dev doctest-dev libsqlite3-dev libidn-dev libsystemd-dev
  python3 python3-slixmpp python3-aioxmpp python3-pytest
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
