#!/usr/bin/env bash
# Runs every memkit test: `bazel test //...`, the external-workspace import
# test, clang's thread-safety analysis over every target (one test: the build
# passes or fails), the unit suite under ASan+UBSan, the threaded code under
# TSan, and the bounded fuzz runs. Prints each step's wall time, and ends with
# the line `N passed, N failed` counted from Bazel's test summaries; exits
# non-zero if anything failed.
#
#   tools/test.sh [--long]
#     --long   the long forms of the crash and fault tests (MEMKIT_LONG=1 in
#              their environment: e.g. dbm's kill -9 loop kills 2,000 writers
#              instead of 220) and longer fuzz runs; see docs/reliability.md.
#
#   MEMKIT_TEST_STEPS        which steps to run (default "unit external tsa asan tsan fuzz")
#   MEMKIT_TSA_OUTPUT_BASE   the tsa step's Bazel output base (default below)
#   MEMKIT_ASAN_OUTPUT_BASE, MEMKIT_TSAN_OUTPUT_BASE
#                            the asan and tsan steps' Bazel output bases
#                            (default ~/.cache/memkit-bazel-san/CONFIG-HASH)
#
# Run tools/setup.sh first (the README's command does).
set -uo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)
log_dir=$(mktemp -d)
trap 'rm -rf "$log_dir"' EXIT

passed=0
failed=0

# Adds the PASSED / failed targets of one Bazel test summary to the totals.
# A Bazel run that failed without naming a failed target (an analysis or
# build error) counts as one failure, so a broken build never looks green.
count_summary() {
  local log=$1 status=$2 p f
  p=$(grep -cE '^//\S+\s+(\(cached\) )?PASSED' "$log")
  f=$(grep -cE '^//\S+\s+.*(FAILED|TIMEOUT|NO STATUS|INCOMPLETE|FLAKY)' "$log")
  if ((status != 0 && f == 0)); then
    f=1
  fi
  passed=$((passed + p))
  failed=$((failed + f))
}

timings=""

run_step() {
  local name=$1 start=$SECONDS
  shift
  echo "=== $name: $*"
  "$@" 2>&1 | tee "$log_dir/$name.log" | grep -vE '^(INFO|Loading|Analyzing|\[[0-9,]+ / )' 
  local status=${PIPESTATUS[0]}
  count_summary "$log_dir/$name.log" "$status"
  echo "=== $name took $((SECONDS - start)) s"
  timings+="${name} $((SECONDS - start)) s; "
}

# Builds every target with clang -Wthread-safety -Werror (.bazelrc's "tsa"
# config) and prints one Bazel-style summary line for it. clang is another
# toolchain, so this runs in an output base of its own (as tools/fuzz.sh does),
# keyed by the checkout's path because an output base serves one workspace.
# The targets come from a query in the ordinary output base: `//...` seen from
# another output base would wander into this checkout's bazel-* links.
thread_safety_analysis() {
  local base targets log
  base=${MEMKIT_TSA_OUTPUT_BASE:-"${HOME}/.cache/memkit-bazel-tsa/$(printf '%s' "$root" | md5sum | cut -c1-12)"}
  targets="$log_dir/tsa.targets"
  log="$log_dir/tsa.build"
  if ! bazel query //... >"$targets" 2>"$log"; then
    tail -20 "$log"
    echo "//:thread_safety_analysis FAILED (bazel query //... failed)"
    return 1
  fi
  if bazel "--output_base=$base" build --config=tsa --symlink_prefix=/ --keep_going \
    "--target_pattern_file=$targets" >"$log" 2>&1; then
    echo "//:thread_safety_analysis PASSED"
    return 0
  fi
  # Each diagnostic once, with the files that fail first.
  grep -E '^[^ ]+:[0-9]+:[0-9]+: error:' "$log" | sort -u | head -60
  echo "files with errors:"
  grep -oE '^[^ :]+\.(h|cc):[0-9]+:[0-9]+: error:' "$log" | cut -d: -f1 | sed 's#^\./##' |
    sort | uniq -c | sort -rn
  grep -E '^ERROR:' "$log" | grep -v 'did NOT complete' | sed 's/: (Exit .*//' | head -40
  echo "//:thread_safety_analysis FAILED"
  return 1
}

long_flags=()
for arg in "$@"; do
  case $arg in
    --long)
      long_flags=(--test_env=MEMKIT_LONG=1 --test_timeout=1800)
      export MEMKIT_FUZZ_SECONDS=${MEMKIT_FUZZ_SECONDS:-600}
      ;;
    *)
      echo "usage: tools/test.sh [--long]" >&2
      exit 64
      ;;
  esac
done

# The sanitizer steps' tests, as queries so that new tests join by themselves.
# ASan+UBSan: every test but those tagged "noasan" (each says why in its
# BUILD file) and the fuzz targets, which tools/fuzz.sh already runs under
# ASan+UBSan with libFuzzer.
asan_query='tests(//...) except attr(tags, "\bnoasan\b", tests(//...)) except attr(tags, "\bfuzz\b", tests(//...))'
# TSan: every test that reaches memkit's threading, i.e. depends (directly,
# through a library, or through a binary it starts, such as memkit-server) on
# core/sync's locks, core/net's event loops or core/stats' lock-free counters,
# which every threaded component uses. Tests that run gRPC are tagged "notsan"
# (.bazelrc says why).
tsan_query='rdeps(tests(//...), //core/sync:mutex + //core/net:event_loop + //core/stats) intersect tests(//...) except attr(tags, "\bnotsan\b", tests(//...)) except attr(tags, "\bfuzz\b", tests(//...))'

# Runs the tests that `query` selects under .bazelrc's `config` (asan_ubsan or
# tsan), in an output base of the config's own: a sanitizer rebuilds every
# object, and keeping it apart leaves the ordinary build's outputs (and
# bazel-bin) alone. As in thread_safety_analysis, the query runs in the
# ordinary output base and no bazel-* links are made.
sanitizer_tests() {
  local config=$1 query=$2 base=$3 targets
  base=${base:-"${HOME}/.cache/memkit-bazel-san/${config}-$(printf '%s' "$root" | md5sum | cut -c1-12)"}
  targets="$log_dir/$config.targets"
  if ! bazel query "$query" >"$targets" 2>"$log_dir/$config.query"; then
    tail -20 "$log_dir/$config.query"
    echo "//:${config}_query FAILED (bazel query failed)"
    return 1
  fi
  echo "$(wc -l <"$targets") tests under --config=$config"
  bazel "--output_base=$base" test "--config=$config" --symlink_prefix=/ --keep_going \
    --build_tests_only "${long_flags[@]}" "--target_pattern_file=$targets"
}

steps=" ${MEMKIT_TEST_STEPS:-unit external tsa asan tsan fuzz} "

if [[ $steps == *" unit "* ]]; then
  run_step unit bazel test --keep_going "${long_flags[@]}" //...
fi
if [[ $steps == *" external "* ]]; then
  (cd tests/external_workspace && run_step external bazel test --keep_going //...; echo "$passed $failed $timings" > "$log_dir/external.counts")
  read -r passed failed timings < "$log_dir/external.counts"
fi
if [[ $steps == *" tsa "* ]]; then
  run_step tsa thread_safety_analysis
fi
if [[ $steps == *" asan "* ]]; then
  run_step asan sanitizer_tests asan_ubsan "$asan_query" "${MEMKIT_ASAN_OUTPUT_BASE:-}"
fi
if [[ $steps == *" tsan "* ]]; then
  run_step tsan sanitizer_tests tsan "$tsan_query" "${MEMKIT_TSAN_OUTPUT_BASE:-}"
fi
if [[ $steps == *" fuzz "* && -x tools/fuzz.sh ]]; then
  run_step fuzz tools/fuzz.sh
fi

echo "step times: ${timings}"
echo "${passed} passed, ${failed} failed"
((failed == 0))
