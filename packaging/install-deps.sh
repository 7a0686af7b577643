#!/usr/bin/env bash
# Installs the Debian 12 packages xmqd needs to build, run and test, when
# missing. Only Debian packages, plus the npm packages of the web tests
# (tests/web/package-lock.json: JS XMPP clients, playwright-core) from npm.
set -euo pipefail

packages=(
  build-essential meson ninja-build pkg-config
  libboost1.81-dev libxml2-dev libssl-dev openssl
  libsasl2-dev libsasl2-modules
  libtomlplusplus-dev doctest-dev libsqlite3-dev libidn-dev libsystemd-dev libc-ares-dev
  python3 python3-slixmpp python3-aioxmpp python3-pytest python3-pytest-xdist python3-cryptography
  python3-omemo python3-twomemo python3-oldmemo python3-xmlschema  # OMEMO clients of test_omemo.py
  clang libclang-rt-14-dev  # libFuzzer targets (tests/fuzz), run by tests/run-all.sh
  nodejs chromium python3-websockets  # HTTP/WebSocket tests (tests/web, test_websocket.py, test_browser.py)
  debhelper dpkg-dev fakeroot systemd man-db  # .deb build, units, socket activation (test_systemd.py, test_debian_package.py)
  coturn  # a TURN server that checks the XEP-0215 credentials (test_external_services.py)
  biboumi ngircd  # a real external component (XEP-0114) and its IRC server (test_component.py)
  prosody  # a federation peer (test_s2s.py)
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -ne 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
  # coturn, ngircd and biboumi are test tools here (the tests start their own, on
  # loopback): the packages' system services, which would listen on every
  # interface (ngircd on the port its test instance uses), are not wanted.
  for service in coturn ngircd biboumi prosody; do
    if [[ " ${missing[*]} " == *" $service "* ]] && command -v systemctl >/dev/null; then
      $sudo systemctl disable --now "$service" >/dev/null 2>&1 || true
    fi
  done
fi

# Debian's nodejs comes without npm (a separate package); some builds include it.
if ! command -v npm >/dev/null; then
  [ "$(id -u)" -ne 0 ] && sudo="sudo" || sudo=""
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends npm
fi
web="$(dirname "$0")/../tests/web"
if [ ! -d "$web/node_modules" ] || [ "$web/package-lock.json" -nt "$web/node_modules" ]; then
  echo "install-deps: npm ci in tests/web"
  (cd "$web" && npm ci --no-audit --no-fund --loglevel=error && touch node_modules)
fi
