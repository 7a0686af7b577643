#!/usr/bin/env bash
# Runs every libFuzzer target for a bounded time each (as many at once as
# there are cores), starting from the seed corpus in tests/fuzz/corpus/<target>/.
# New interesting inputs go to a
# scratch directory (the seeds stay as they are); a crash stops that target,
# prints the reproducer path and makes the script fail.
#   tests/fuzz/run.sh [BUILD_DIR] [SECONDS_PER_TARGET] [TARGET...]
# Defaults: build-asan, 20 s, all targets. Needs a -Dfuzz=true build (clang).
set -uo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build-asan}
seconds=${2:-20}
shift $(( $# > 2 ? 2 : $# ))
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(stream_parser_fuzz jid_fuzz mam_query_fuzz extdisco_fuzz caps_fuzz pubsub_request_fuzz config_fuzz sasl_fuzz c2s_preauth_fuzz c2s_bound_fuzz component_stream_fuzz s2s_stream_fuzz muc_request_fuzz upload_url_fuzz)
work=${FUZZ_WORK_DIR:-$(mktemp -d /tmp/xmqd-fuzz.XXXXXX)}
mkdir -p "$work"
# One target: prints one line; a crash prints the reproducer and fails.
fuzz_one() {
  local t=$1 bin="$build/tests/fuzz/$1"
  if [ ! -x "$bin" ]; then echo "fuzz: $bin not built"; return 1; fi
  mkdir -p "$work/$t" "$work/artifacts/$t"
  # A whole session touches so much instrumented code that libFuzzer's
  # entropic schedule (per-feature frequencies) took 72% of the time: off there.
  local schedule=()
  case $t in c2s_*|component_*) schedule=(-entropic=0) ;; esac
  # LeakSanitizer per input as well; logs of the run in $work/$t.log.
  if "$bin" "${schedule[@]}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
       -artifact_prefix="$work/artifacts/$t/" "$work/$t" "tests/fuzz/corpus/$t" >"$work/$t.log" 2>&1; then
    echo "fuzz: $t ok ($(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$work/$t.log" | grep -Eo '[0-9]+$') runs in ${seconds}s)"
  else
    echo "fuzz: $t FAILED, reproducer in $work/artifacts/$t/:"; ls "$work/artifacts/$t/"
    grep -E 'ERROR|SUMMARY|runtime error' "$work/$t.log" | head -5
    return 1
  fi
}

# As many targets at once as there are cores.
status=0
pids=()
for t in "${targets[@]}"; do
  fuzz_one "$t" &
  pids+=($!)
  if [ ${#pids[@]} -ge "$(nproc)" ]; then
    wait "${pids[0]}" || status=1
    pids=("${pids[@]:1}")
  fi
done
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
exit $status
