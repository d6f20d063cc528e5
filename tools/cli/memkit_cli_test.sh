#!/usr/bin/env bash
# Black-box test of the memkit binary: output, exit codes, one-line errors.
set -uo pipefail
memkit=tools/memkit
failures=0
check() {  # check NAME EXPECTED ACTUAL
  if [[ "$2" != "$3" ]]; then
    echo "FAIL $1: expected [$2] got [$3]"
    failures=$((failures + 1))
  fi
}

# Placement vectors measured against libmemcached 1.1.4 (shared/PEERS.md).
servers=10.0.0.1,10.0.0.2,10.0.0.3:11212
out=$("$memkit" locate --servers=$servers foo bar hello user:1234 | cut -f1,2)
check weighted "$(printf 'foo\t10.0.0.2:11211\nbar\t10.0.0.2:11211\nhello\t10.0.0.2:11211\nuser:1234\t10.0.0.3:11212')" "$out"
out=$("$memkit" locate --servers=$servers --distribution=ketama foo bar hello user:1234 | cut -f1,2)
check unweighted "$(printf 'foo\t10.0.0.2:11211\nbar\t10.0.0.1:11211\nhello\t10.0.0.2:11211\nuser:1234\t10.0.0.3:11212')" "$out"

out=$("$memkit" hash --hash=md5 foo)
check md5 "$(printf 'foo\tmd5\t0xdb18bdac')" "$out"
out=$("$memkit" hash foo)
check default "$(printf 'foo\tdefault\t0x238678dd')" "$out"

# Usage errors: exit 2 and exactly one line on stderr.
for bad in "locate foo" "locate --servers=a:1" "locate --servers=a:99999 k" \
           "locate --servers=a:1 --distribution=nope k" "hash --hash=nope k" "nosuchcommand" \
           "locate --bogus"; do
  err=$("$memkit" $bad 2>&1 >/dev/null)
  rc=$?
  check "exit of '$bad'" 2 "$rc"
  check "lines of '$bad'" 1 "$(printf '%s\n' "$err" | wc -l)"
done
"$memkit" help >/dev/null
check "help exit" 0 $?
for command in get cat exist set cas cp delete incr touch flush stats version ping dump watch dbm locate; do
  "$memkit" help $command | grep -q "^memkit $command"; check "help $command" 0 $?
done
"$memkit" --timeout=5 help get >/dev/null; check "global flag before help" 0 $?
"$memkit" --servers 127.0.0.1:1 2>/dev/null; check "global flags without command" 2 $?
"$memkit" --bogus=1 version 2>/dev/null; check "unknown global flag" 2 $?

if ((failures > 0)); then
  echo "$failures failures"
  exit 1
fi
echo "all memkit CLI checks passed"
