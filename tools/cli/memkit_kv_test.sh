#!/usr/bin/env bash
# Black-box test of memkit's client commands against a memkit-server process
# started here on a free port (and stopped at the end).
set -uo pipefail
memkit=tools/memkit
server=server/memkit-server
tmp=${TEST_TMPDIR:-$(mktemp -d)}
failures=0
check() {  # check NAME EXPECTED ACTUAL
  if [[ "$2" != "$3" ]]; then
    echo "FAIL $1: expected [$2] got [$3]"
    failures=$((failures + 1))
  fi
}

"$server" -p 0 -l 127.0.0.1 -v 2>"$tmp/server.log" &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null' EXIT
port=""
deadline=$((SECONDS + 10))
while [[ -z "$port" ]] && ((SECONDS < deadline)); do
  port=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$tmp/server.log" | head -1)
  kill -0 "$pid" 2>/dev/null || { echo "memkit-server exited: $(cat "$tmp/server.log")"; exit 1; }
  [[ -n "$port" ]] || sleep 0.02
done
[[ -n "$port" ]] || { echo "memkit-server did not report its port"; exit 1; }
export MEMCACHED_SERVERS=127.0.0.1:$port

for protocol in text binary meta; do
  p="--protocol=$protocol"
  "$memkit" flush $p; check "$protocol flush" 0 $?
  "$memkit" set $p --flags=7 greeting "hello world"; check "$protocol set" 0 $?
  check "$protocol get" "hello world" "$("$memkit" get $p greeting)"
  echo -n "from stdin" | "$memkit" set $p piped -; check "$protocol set stdin" 0 $?
  check "$protocol multi-get" "$(printf 'greeting\thello world\npiped\tfrom stdin')" \
    "$("$memkit" get $p greeting piped)"
  "$memkit" append $p greeting "!"; check "$protocol append" "hello world!" "$("$memkit" get $p greeting)"
  err=$("$memkit" add $p greeting x 2>&1); rc=$?
  check "$protocol add existing exit" 1 $rc
  check "$protocol add existing says" 1 "$(grep -c "FAILED_PRECONDITION" <<<"$err")"
  check "$protocol incr initial" 10 "$("$memkit" incr $p --initial=10 hits 5 2>/dev/null || "$memkit" incr $p hits 0)"
  check "$protocol incr" 15 "$("$memkit" incr $p hits 5)"
  check "$protocol decr floor" 0 "$("$memkit" decr $p hits 100)"
  "$memkit" delete $p greeting; check "$protocol delete" 0 $?
  err=$("$memkit" get $p greeting 2>&1 >/dev/null); rc=$?
  check "$protocol miss exit" 1 $rc
  check "$protocol miss message" "memkit: get greeting: NOT_FOUND: key 'greeting' not found" "$err"
done

check "version" "127.0.0.1:$port	1.6.18" "$("$memkit" version)"
check "stats has curr_items" 1 "$("$memkit" stats | grep -c "	curr_items	")"

# Usage errors: exit 2 with one line; unreachable server: exit 1 with one line.
err=$("$memkit" set 2>&1); check "set without key" 2 $?
check "set without key lines" 1 "$(wc -l <<<"$err")"
err=$("$memkit" get --protocol=smoke k 2>&1); check "bad protocol" 2 $?
err=$("$memkit" get --servers=127.0.0.1:1 k 2>&1); check "refused exit" 1 $?
check "refused lines" 1 "$(wc -l <<<"$err")"
check "refused says UNAVAILABLE" 1 "$(grep -c UNAVAILABLE <<<"$err")"

if ((failures > 0)); then
  echo "$failures failures"
  exit 1
fi
echo "all memkit client-command checks passed"
