#!/usr/bin/env bash
# Black-box test of `memkit admin`'s pool and stats commands against a program
# embedding a ClientPool (//client:pool_admin_demo) over three memkit-server
# processes, with client traffic running the whole time: no request may fail.
set -uo pipefail
memkit=tools/memkit
server=server/memkit-server
demo=client/pool_admin_demo
tmp=${TEST_TMPDIR:-$(mktemp -d)}
failures=0
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; }
trap cleanup EXIT
check() {  # check NAME EXPECTED ACTUAL
  if [[ "$2" != "$3" ]]; then
    echo "FAIL $1: expected [$2] got [$3]"
    failures=$((failures + 1))
  fi
}
wait_for() {  # wait_for FILE PID: polls until FILE has a line, with a deadline
  local deadline=$((SECONDS + 10))
  while ! grep -q . "$1" 2>/dev/null; do
    kill -0 "$2" 2>/dev/null || { echo "process $2 exited"; exit 1; }
    ((SECONDS < deadline)) || { echo "timed out waiting for $1"; exit 1; }
    sleep 0.02
  done
}

addrs=()
for i in 0 1 2; do
  "$server" -p 0 -l 127.0.0.1 -v 2>"$tmp/server$i.log" &
  pids+=($!)
  deadline=$((SECONDS + 10))
  port=""
  while [[ -z "$port" ]] && ((SECONDS < deadline)); do
    port=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$tmp/server$i.log" | head -1)
    [[ -n "$port" ]] || sleep 0.02
  done
  [[ -n "$port" ]] || { echo "memkit-server $i did not report its port"; exit 1; }
  addrs+=("127.0.0.1:$port")
done
a=${addrs[0]} b=${addrs[1]} c=${addrs[2]}

echo "pool-token" >"$tmp/token"
"$demo" --servers="$a,$b" --admin-port-file="$tmp/admin.port" --load-threads=2 \
  --admin-token-file="$tmp/token" \
  >"$tmp/demo.out" 2>"$tmp/demo.err" &
demo_pid=$!
pids+=($demo_pid)
wait_for "$tmp/admin.port" $demo_pid
export MEMKIT_ADMIN=127.0.0.1:$(cat "$tmp/admin.port")
err=$("$memkit" admin pools 2>&1); check "pools without token exit" 3 $?
check "pools without token says" 1 "$(grep -c '^memkit admin: pools: UNAUTHENTICATED' <<<"$err")"
memkit() { "$memkit_bin" "$1" --token-file="$tmp/token" "${@:2}"; }
memkit_bin=$memkit
memkit=memkit

out=$("$memkit" admin pools); check "pools exit" 0 $?
check "pools lists a" 1 "$(grep -c "^  $a  *up " <<<"$out")"
check "pools lists b" 1 "$(grep -c "^  $b  *up " <<<"$out")"
check "pools header" 1 "$(grep -c '^pool main  distribution=ketama' <<<"$out")"

out=$("$memkit" admin eject --reason=maintenance "$b"); check "eject exit" 0 $?
check "eject shows ejected" 1 "$(grep -c "^  $b  *ejected .*ejected by admin: maintenance" <<<"$out")"
check "eject json" '"SERVER_STATE_EJECTED"' \
  "$("$memkit" admin pools main --json | grep -o "\"address\":\"$b\"[^}]*" | grep -o '"SERVER_STATE_[A-Z]*"')"
out=$("$memkit" admin restore "$b"); check "restore exit" 0 $?
check "restore shows up" 1 "$(grep -c "^  $b  *up " <<<"$out")"
out=$("$memkit" admin drain --wait=10s "$b"); check "drain exit" 0 $?
check "drain shows drained" 1 "$(grep -c "^  $b  *drained " <<<"$out")"
check "drain in flight" 1 "$(grep -c "^in flight: 0$" <<<"$out")"
"$memkit" admin restore "$b" >/dev/null; check "restore after drain" 0 $?
out=$("$memkit" admin add-server "$c" 3); check "add-server exit" 0 $?
check "add-server weight" 1 "$(grep -c "^  $c  *up  *3 " <<<"$out")"
out=$("$memkit" admin weight "$c" 1); check "weight exit" 0 $?
check "weight shows 1" 1 "$(grep -c "^  $c  *up  *1 " <<<"$out")"
out=$("$memkit" admin remove-server "$c"); check "remove-server exit" 0 $?
check "remove-server gone" 0 "$(grep -c "$c" <<<"$out")"

out=$("$memkit" admin stats); check "stats exit" 0 $?
check "stats pool scope" 1 "$(grep -c '^pool main$' <<<"$out")"
check "stats acquires" 1 "$(grep -c '^  acquires_total  ' <<<"$out")"
out=$("$memkit" admin watch --interval=50ms --count=2); check "watch exit" 0 $?
check "watch second has interval" 1 "$(grep -c '(interval [0-9]* ms)' <<<"$out")"
check "watch shows a rate" 1 "$(grep '^  acquires_total' <<<"$out" | grep -c '/s$')"
check "watch json lines" 2 "$("$memkit" admin watch --interval=20ms --count=2 --json | grep -c '"component":"pool_admin_demo"')"

# Errors: one line and exit 1 (the server said no), 2 (usage) or 3 (no answer).
err=$("$memkit" admin eject 127.0.0.1:1 2>&1); check "unknown server exit" 1 $?
check "unknown server line" "memkit admin: eject: NOT_FOUND: the pool has no server 127.0.0.1:1" "$err"
err=$("$memkit" admin frobnicate 2>&1); check "unknown command exit" 2 $?
check "unknown command lines" 1 "$(wc -l <<<"$err")"
err=$("$memkit" admin weight "$a" 0 2>&1); check "weight 0 exit" 2 $?
err=$(MEMKIT_ADMIN= "$memkit" admin stats 2>&1); check "no address exit" 2 $?
err=$("$memkit" admin --admin=127.0.0.1:1 --timeout=2 stats 2>&1); check "unreachable exit" 3 $?
check "unreachable lines" 1 "$(wc -l <<<"$err")"
check "unreachable says" 1 "$(grep -c '^memkit admin: stats: \(UNAVAILABLE\|DEADLINE_EXCEEDED\): ' <<<"$err")"

kill -TERM $demo_pid
wait $demo_pid; check "demo exit (no failed request)" 0 $?
check "demo failures" 1 "$(grep -c ' failures=0$' "$tmp/demo.out")"
check "demo ran traffic" 0 "$(grep -c '^requests=0 ' "$tmp/demo.out")"

if ((failures > 0)); then
  echo "$failures failures"
  exit 1
fi
echo "all memkit admin pool checks passed"
