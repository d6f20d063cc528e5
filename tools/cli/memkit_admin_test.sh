#!/usr/bin/env bash
# Black-box test of `memkit admin` against memkit-server started as a new user
# would: --admin-listen=127.0.0.1:0 --admin-port-file=F --enable-test-controls,
# with client traffic flowing while `stats` and `watch` run.
set -uo pipefail
memkit=tools/memkit
server=server/memkit-server
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
start_server() {  # start_server NAME EXTRA_FLAGS...: sets $admin and $port
  local name=$1
  shift
  "$server" -p 0 -l 127.0.0.1 --admin-listen=127.0.0.1:0 --admin-port-file="$tmp/$name.port" \
    "$@" 2>"$tmp/$name.log" &
  local pid=$!
  pids+=($pid)
  local deadline=$((SECONDS + 10))
  while ! grep -q . "$tmp/$name.port" 2>/dev/null; do
    kill -0 $pid 2>/dev/null || { echo "memkit-server exited: $(cat "$tmp/$name.log")"; exit 1; }
    ((SECONDS < deadline)) || { echo "no admin port file"; exit 1; }
    sleep 0.02
  done
  admin=127.0.0.1:$(cat "$tmp/$name.port")
  port=$("$memkit" admin --admin="$admin" ${token_flag:-} config | sed -n 's/^  tcpport  *\([0-9]*\)$/\1/p')
  [[ -n "$port" ]] || { echo "config shows no tcpport"; exit 1; }
}

start_server main --enable-test-controls
export MEMKIT_ADMIN=$admin MEMCACHED_SERVERS=127.0.0.1:$port

# Traffic while stats and watch run.
(while :; do "$memkit" set traffic x >/dev/null 2>&1; "$memkit" get traffic >/dev/null 2>&1; done) &
pids+=($!)
deadline=$((SECONDS + 10))
until [[ "$("$memkit" admin stats | sed -n 's/^  cmd_set_total  *\([0-9]*\)$/\1/p')" -gt 0 ]] 2>/dev/null; do
  ((SECONDS < deadline)) || { echo "no traffic seen"; break; }
  sleep 0.02
done
out=$("$memkit" admin stats); check "stats exit" 0 $?
check "stats component" 1 "$(grep -c '^component memkit-server$' <<<"$out")"
check "stats latency histogram" 1 "$(grep -c '^  request_latency  microseconds ' <<<"$out")"
out=$("$memkit" admin stats --memcached); check "stats --memcached exit" 0 $?
check "stats --memcached curr_items" 1 "$(grep -c '^    curr_items  ' <<<"$out")"
check "stats json" 1 "$("$memkit" admin stats --json | grep -c '"component":"memkit-server"')"
out=$("$memkit" admin watch --interval=500ms --count=3); check "watch exit" 0 $?
check "watch snapshots" 3 "$(grep -c '^memkit-server at ' <<<"$out")"
# Every snapshot after the first has a delta column; one of them saw sets.
check "watch shows sets flowing" 1 \
  "$(grep '^  cmd_set_total ' <<<"$out" | awk '$3 ~ /^\+[1-9]/ {n = 1} END {print n + 0}')"
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null; unset 'pids[-1]'

# Config and cache.
check "config tcpport" "$port" "$("$memkit" admin config | sed -n 's/^  tcpport  *//p')"
"$memkit" set k v >/dev/null
out=$("$memkit" admin flush); check "flush exit" 0 $?
"$memkit" get k >/dev/null 2>&1; check "flushed item is gone" 1 $?
out=$("$memkit" admin connections); check "connections exit" 0 $?
check "connections header" 1 "$(grep -c '^ID  *PEER  *LOCAL' <<<"$out")"

# Connection events: a connection held open, then closed, is streamed as new + close.
"$memkit" admin events --types=connevents --count=2 >"$tmp/events" 2>&1 &
events_pid=$!
pids+=($events_pid)
deadline=$((SECONDS + 10))
exec 3<>"/dev/tcp/127.0.0.1/$port"
until grep -q conn_new "$tmp/events"; do  # (re)connect until the stream has seen one
  ((SECONDS < deadline)) || break
  sleep 0.05
  if ! grep -q conn_new "$tmp/events"; then exec 3>&-; exec 3<>"/dev/tcp/127.0.0.1/$port"; fi
done
exec 3>&-
wait $events_pid; check "events exit" 0 $?
check "events new" 1 "$(grep -c 'type=conn_new rip=127.0.0.1' "$tmp/events")"
check "events close" 1 "$(grep -c 'type=conn_close' "$tmp/events")"

# Config changes a memkit-server does not take: one line, exit 1.
err=$("$memkit" admin validate 2>&1); check "validate exit" 1 $?
check "validate one line" 1 "$(grep -c '^memkit admin: validate: UNIMPLEMENTED: ' <<<"$err")"
err=$(echo '{}' | "$memkit" admin reload - 2>&1); check "reload exit" 1 $?
check "reload one line" 1 "$(grep -c '^memkit admin: reload: UNIMPLEMENTED: ' <<<"$err")"

# Testing: clock and faults.
"$memkit" set --exptime=60 session alice >/dev/null
out=$("$memkit" admin clock advance 61s); check "clock advance exit" 0 $?
check "clock advance prints time" 1 "$(grep -c '^server time 20' <<<"$out")"
"$memkit" get session >/dev/null 2>&1; check "expired after clock advance" 1 $?
"$memkit" admin fault fail 1 "out of memory" >/dev/null; check "fault fail exit" 0 $?
err=$("$memkit" set a b 2>&1); check "failed set exit" 3 $?
check "failed set says" 1 "$(grep -c RESOURCE_EXHAUSTED <<<"$err")"
"$memkit" set a b; check "only one failure" 0 $?
out=$("$memkit" admin fault outage refuse); check "outage exit" 0 $?
check "outage state" 1 "$(grep -c '^outage=refuse ' <<<"$out")"
err=$("$memkit" get a 2>&1); check "get during outage exit" 3 $?
check "get during outage says" 1 "$(grep -c UNAVAILABLE <<<"$err")"
out=$("$memkit" admin fault clear); check "clear exit" 0 $?
check "clear state" "outage=none latency_us=0 failures_pending=0 drops_pending=0" "$out"
check "get after outage" b "$("$memkit" get a)"
check "latency json" 1 "$("$memkit" admin fault latency 1ms --json | grep -c '"latency_us":"1000"')"
"$memkit" admin fault clear >/dev/null
out=$("$memkit" admin close-all); check "close-all exit" 0 $?
check "close-all says" 1 "$(grep -c '^closed [0-9]*$' <<<"$out")"

# What a server does not serve: one line, exit 1.
err=$("$memkit" admin pools 2>&1); check "pools exit" 1 $?
check "pools one line" 1 "$(wc -l <<<"$err")"
check "pools unimplemented" 1 "$(grep -c '^memkit admin: pools: UNIMPLEMENTED: ' <<<"$err")"
err=$("$memkit" admin clock 2>&1); check "clock usage exit" 2 $?
err=$("$memkit" admin fault latency soon 2>&1); check "bad duration exit" 2 $?
check "bad duration one line" 1 "$(wc -l <<<"$err")"

# Test controls off: FAILED_PRECONDITION saying how to turn them on.
start_server plain
err=$("$memkit" admin --admin="$admin" clock advance 1s 2>&1); check "controls off exit" 1 $?
check "controls off says" 1 "$(grep -c 'FAILED_PRECONDITION: .*--enable-test-controls' <<<"$err")"

# A token: refused without it, accepted with --token-file.
echo "s3cret" >"$tmp/token"
token_flag=--token-file=$tmp/token start_server locked --admin-token-file="$tmp/token"
err=$("$memkit" admin --admin="$admin" stats 2>&1); check "no token exit" 3 $?
check "no token says" 1 "$(grep -c '^memkit admin: stats: UNAUTHENTICATED' <<<"$err")"
out=$("$memkit" admin --admin="$admin" --token-file="$tmp/token" stats); check "token accepted" 0 $?
check "token stats" 1 "$(grep -c '^component memkit-server$' <<<"$out")"

if ((failures > 0)); then
  echo "$failures failures"
  exit 1
fi
echo "all memkit admin checks passed"
