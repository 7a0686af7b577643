#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test, in two builds:
#  1. build (gcc): the doctest unit tests of each folder (meson test), then the
#     integration tests that start the real xmqd on loopback and drive it with
#     real client libraries (pytest);
#  2. build-asan (clang, -Dsanitize=true -Dfuzz=true: AddressSanitizer and
#     UndefinedBehaviorSanitizer everywhere): the same unit and integration
#     tests against its xmqd, then each libFuzzer target for FUZZ_SECONDS (20)
#     seconds from its seed corpus (longer runs: README "Fuzzing").
# build-asan is made for CI time: -O0, line tables only, unity files of 8
# sources (2 min 30 s here against 7 min 30 s at -O1 with full debug info),
# and it compiles while step 1's integration tests run (they mostly wait on
# sockets).
# XMQD_QUICK=1: step 1 only. Exits non-zero if any test fails.
set -uo pipefail
cd "$(dirname "$0")/.."
packaging/build.sh || exit 1

status=0
summary=()
step() {  # step NAME COMMAND...: runs it, records NAME ok/FAILED
  if "${@:2}"; then summary+=("ok      $1"); else summary+=("FAILED  $1"); status=1; fi
}
# Debian's interpreter: the client libraries come from Debian packages. Two
# workers (pytest-xdist): the tests mostly wait on sockets and timers.
pytest=(/usr/bin/python3 -m pytest tests/integration -q -p no:cacheprovider -n 2)

step "unit tests (build)" meson test -C build --print-errorlogs

sanitizer_build=""
if [ "${XMQD_QUICK:-0}" != 1 ]; then
  (
    [ -f build-asan/build.ninja ] ||
      CXX=clang++ CC=clang meson setup build-asan -Dsanitize=true -Dfuzz=true -Doptimization=0 \
        -Ddebug=false -Dcpp_args=-gline-tables-only -Dunity=on -Dunity_size=8 >/dev/null &&
    nice ninja -C build-asan
  ) >build/sanitizer-build.log 2>&1 &
  sanitizer_build=$!
fi

step "integration tests (build)" "${pytest[@]}"

if [ -z "$sanitizer_build" ]; then
  printf '%s\n' "${summary[@]}"
  exit $status
fi

if wait "$sanitizer_build"; then
  # Any report fails the test that caused it: errors abort xmqd (halt_on_error),
  # a leak at exit makes it exit non-zero, and the harness looks for reports in
  # every server's log (tests/integration/conftest.py).
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
  step "unit tests (build-asan)" meson test -C build-asan --print-errorlogs -t 3
  # The Debian package test builds its own binary from the tree (step 1 ran it).
  step "integration tests (build-asan)" env XMQD_BIN="$PWD/build-asan/server/xmqd" \
    "${pytest[@]}" --ignore=tests/integration/test_debian_package.py
  step "fuzz targets (build-asan, ${FUZZ_SECONDS:-20} s each)" tests/fuzz/run.sh build-asan "${FUZZ_SECONDS:-20}"
else
  tail -40 build/sanitizer-build.log
  summary+=("FAILED  build-asan (log: build/sanitizer-build.log)")
  status=1
fi

printf '%s\n' "${summary[@]}"
exit $status
