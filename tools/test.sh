#!/usr/bin/env bash
# Runs every memkit test: `bazel test //...`, the external-workspace import
# test, and the bounded fuzz runs. Ends with the line `N passed, N failed`
# counted from Bazel's test summaries, and exits non-zero if anything failed.
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

run_step unit bazel test --keep_going //...
(cd tests/external_workspace && run_step external bazel test --keep_going //...; echo "$passed $failed" > "$log_dir/external.counts")
read -r passed failed < "$log_dir/external.counts"

if [[ -x tools/fuzz.sh ]]; then
  run_step fuzz tools/fuzz.sh
fi

echo "${passed} passed, ${failed} failed"
((failed == 0))
