#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: the doctest unit
# tests of each folder (meson test), then the integration tests that start
# the real xmqd on loopback and drive it with real client libraries (pytest);
# with XMQD_FULL_CHECKS=1, both again on a sanitizer build (build-asan),
# then each libFuzzer target for FUZZ_SECONDS (25) seconds (build-fuzz, clang).
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

if [ "${XMQD_FULL_CHECKS:-0}" != 1 ]; then
  exit $status
fi

# The same unit and integration tests under AddressSanitizer and
# UndefinedBehaviorSanitizer (any report fails the test that caused it; a
# leak at exit makes xmqd exit non-zero, which the harness treats as a failure).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
[ -f build-asan/build.ninja ] || meson setup build-asan -Dsanitize=true >/dev/null || status=1
if ninja -C build-asan; then
  meson test -C build-asan --print-errorlogs -t 3 || status=1
  XMQD_BIN="$PWD/build-asan/server/xmqd" /usr/bin/python3 -m pytest tests/integration -q -p no:cacheprovider || status=1
else
  status=1
fi

# libFuzzer targets (clang): each runs for a short bounded time from its seed
# corpus; any crash, leak or sanitizer report fails. Longer runs: README "Fuzzing".
if command -v clang++ >/dev/null; then
  [ -f build-fuzz/build.ninja ] || CXX=clang++ CC=clang meson setup build-fuzz -Dfuzz=true >/dev/null || status=1
  fuzz_targets=(stream_parser_fuzz jid_fuzz config_fuzz sasl_fuzz c2s_preauth_fuzz c2s_bound_fuzz)
  if ninja -C build-fuzz "${fuzz_targets[@]/#/tests/fuzz/}"; then
    tests/fuzz/run.sh build-fuzz "${FUZZ_SECONDS:-25}" || status=1
  else
    status=1
  fi
else
  echo "run-all: clang++ not found, fuzz targets skipped"
fi

exit $status
