#!/usr/bin/env bash
# Installs what is missing, then configures and builds xmqd in ./build.
set -euo pipefail
cd "$(dirname "$0")/.."
packaging/install-deps.sh
if [ ! -f build/build.ninja ]; then
  meson setup build
fi
ninja -C build
