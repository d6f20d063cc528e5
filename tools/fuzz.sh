#!/usr/bin/env bash
# Runs every fuzz target (cc_fuzz_test, tag "fuzz") under libFuzzer with
# Debian's clang, ASan and UBSan, for a bounded number of executions each.
# Prints one summary line per target in Bazel's format (`//pkg:t PASSED ...`)
# so tools/test.sh counts them, and exits non-zero on any finding.
#
#   MEMKIT_FUZZ_RUNS     executions per target (default 1000000)
#   MEMKIT_FUZZ_TARGETS  which targets (default: every target tagged "fuzz")
#   MEMKIT_FUZZ_SECONDS  time cap per target (default 20: with 16 targets, the
#                        fuzz step is ~6 minutes of CI's 45, beside the sanitizer
#                        steps; `tools/test.sh --long` gives 600, or fuzz longer
#                        by hand, e.g. MEMKIT_FUZZ_SECONDS=3600)
set -uo pipefail
cd "$(dirname "$0")/.."

runs=${MEMKIT_FUZZ_RUNS:-1000000}
seconds=${MEMKIT_FUZZ_SECONDS:-20}
# The fuzz toolchain (clang) lives in an output base of its own so that it
# does not invalidate the ordinary gcc build, and creates no bazel-* links.
bazel_fuzz=(bazel "--output_base=${HOME}/.cache/memkit-bazel-fuzz")
fuzz_flags=(--config=fuzz --symlink_prefix=/)

targets=${MEMKIT_FUZZ_TARGETS:-$(bazel query 'attr(tags, "\bfuzz\b", tests(//...))' 2>/dev/null)}
if [[ -z "$targets" ]]; then
  echo "fuzz: no fuzz targets"
  exit 0
fi
# clang's linker warns about ASan symbols at length; show the log only on failure.
if ! build_log=$("${bazel_fuzz[@]}" build "${fuzz_flags[@]}" $targets 2>&1); then
  echo "$build_log" | grep -vE "^(INFO|Loading|Analyzing|\[[0-9,]+ / )|Cannot export local symbol" | tail -40
  echo "fuzz: build failed"
  exit 1
fi
bin_dir=$("${bazel_fuzz[@]}" info "${fuzz_flags[@]}" bazel-bin 2>/dev/null)

status=0
for target in $targets; do
  package=${target#//}
  package=${package%%:*}
  name=${target##*:}
  # The seed corpus is the target's one argument; libFuzzer adds what it
  # finds to the first directory it is given, so that is a scratch copy.
  seeds=$(bazel query --output=build "$target" 2>/dev/null | sed -n 's/.*args = \["\([^"]*\)"\].*/\1/p')
  scratch=$(mktemp -d)
  log=$(mktemp)
  start=$(date +%s)
  "$bin_dir/$package/$name" -runs="$runs" -max_total_time="$seconds" -print_final_stats=1 \
    "$scratch" "$seeds" >"$log" 2>&1
  rc=$?
  elapsed=$(($(date +%s) - start))
  executed=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if ((rc == 0)); then
    echo "$target PASSED in ${elapsed}s (${executed:-?} executions)"
  else
    echo "$target FAILED in ${elapsed}s (${executed:-?} executions); libFuzzer said:"
    grep -E 'ERROR|SUMMARY|==[0-9]+==|Test unit written|runtime error' "$log" | grep -v 'libprotobuf' | head -20
    status=1
  fi
  rm -rf "$scratch" "$log"
done
exit $status
