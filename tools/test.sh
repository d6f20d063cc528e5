#!/usr/bin/env bash
# Runs every memkit test: `bazel test //...`, the external-workspace import
# test, clang's thread-safety analysis over every target (one test: the build
# passes or fails), and the bounded fuzz runs. Ends with the line
# `N passed, N failed` counted from Bazel's test summaries, and exits non-zero
# if anything failed.
#
#   MEMKIT_TEST_STEPS        which steps to run (default "unit external tsa fuzz")
#   MEMKIT_TSA_OUTPUT_BASE   the tsa step's Bazel output base (default below)
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

run_step() {
  local name=$1
  shift
  echo "=== $name: $*"
  "$@" 2>&1 | tee "$log_dir/$name.log" | grep -vE '^(INFO|Loading|Analyzing|\[[0-9,]+ / )' 
  local status=${PIPESTATUS[0]}
  count_summary "$log_dir/$name.log" "$status"
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

steps=" ${MEMKIT_TEST_STEPS:-unit external tsa fuzz} "

if [[ $steps == *" unit "* ]]; then
  run_step unit bazel test --keep_going //...
fi
if [[ $steps == *" external "* ]]; then
  (cd tests/external_workspace && run_step external bazel test --keep_going //...; echo "$passed $failed" > "$log_dir/external.counts")
  read -r passed failed < "$log_dir/external.counts"
fi
if [[ $steps == *" tsa "* ]]; then
  run_step tsa thread_safety_analysis
fi
if [[ $steps == *" fuzz "* && -x tools/fuzz.sh ]]; then
  run_step fuzz tools/fuzz.sh
fi

echo "${passed} passed, ${failed} failed"
((failed == 0))
