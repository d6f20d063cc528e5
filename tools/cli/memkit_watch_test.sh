#!/usr/bin/env bash
# `memkit watch` against real memcached and against memkit-server (both
# stream `watch` log lines): the lines come through as the server writes
# them, --count stops the stream, evictions and connection events arrive,
# and a bad type is a usage error.
set -uo pipefail
memkit=tools/memkit
memcached=${MEMCACHED:-/usr/bin/memcached}
memkit_server=${MEMKIT_SERVER:-server/memkit-server}
tmp=${TEST_TMPDIR:-$(mktemp -d)}
failures=0
check() {  # check NAME EXPECTED ACTUAL
  if [[ "$2" != "$3" ]]; then
    echo "FAIL $1: expected [$2] got [$3]"
    failures=$((failures + 1))
  fi
}
[[ -x "$memcached" ]] || { echo "real memcached not found at $memcached (run tools/setup.sh)"; exit 1; }
[[ -x "$memkit_server" ]] || { echo "memkit-server not found at $memkit_server"; exit 1; }

pid=""
trap '[[ -n "$pid" ]] && { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; }' EXIT

# suite LABEL SERVER [ARGS...]: starts the server (-p -1: it picks a free port
# and writes it to MEMCACHED_PORT_FILENAME), runs the checks, stops it.
suite() {
  local label=$1 server=$2
  shift 2
  rm -f "$tmp/ports"
  MEMCACHED_PORT_FILENAME="$tmp/ports" "$server" -u root -l 127.0.0.1 -p -1 -U 0 "$@" &
  pid=$!
  local port="" deadline=$((SECONDS + 10))
  while [[ -z "$port" ]] && ((SECONDS < deadline)); do
    port=$(sed -n 's/^TCP INET: \([0-9]*\)$/\1/p' "$tmp/ports" 2>/dev/null | head -1)
    [[ -n "$port" ]] || sleep 0.02
  done
  [[ -n "$port" ]] || { echo "$label did not write its port"; exit 1; }
  export MEMCACHED_SERVERS=127.0.0.1:$port

  "$memkit" watch nonsense 2>/dev/null; check "$label bad type" 2 $?
  "$memkit" watch --servers=127.0.0.1:$port,127.0.0.1:1 2>/dev/null; check "$label two servers" 2 $?

  # The watcher may register after the first sets: keep setting until it has
  # seen two mutations, within a deadline.
  "$memkit" watch --count=2 --duration=20 mutations >"$tmp/watch.out" &
  local watcher=$!
  deadline=$((SECONDS + 15))
  while kill -0 "$watcher" 2>/dev/null && ((SECONDS < deadline)); do
    "$memkit" set watched-key v >/dev/null
    sleep 0.05
  done
  wait "$watcher"; check "$label watch exit" 0 $?
  check "$label watch lines" 2 "$(wc -l <"$tmp/watch.out")"
  check "$label mutation lines" 2 \
    "$(grep -cE '^ts=[0-9]+\.[0-9]+ gid=[0-9]+ type=item_store key=watched-key status=stored cmd=set ttl=0 clsid=1 cfd=[0-9]+ size=1$' "$tmp/watch.out")"

  # Connection events: each `memkit get` opens and closes a connection.
  "$memkit" watch --count=2 --duration=20 connevents >"$tmp/conn.out" &
  watcher=$!
  deadline=$((SECONDS + 15))
  while kill -0 "$watcher" 2>/dev/null && ((SECONDS < deadline)); do
    "$memkit" get watched-key >/dev/null
    sleep 0.05
  done
  wait "$watcher"; check "$label connevents exit" 0 $?
  check "$label conn_new line" 1 \
    "$(grep -cE ' type=conn_new rip=127\.0\.0\.1 rport=[0-9]+ transport=tcp cfd=[0-9]+$' "$tmp/conn.out")"
  check "$label conn_close line" 1 \
    "$(grep -cE ' type=conn_close rip=127\.0\.0\.1 rport=[0-9]+ transport=tcp reason=normal cfd=[0-9]+$' "$tmp/conn.out")"

  # --duration ends a quiet stream with exit 0.
  "$memkit" watch --duration=0.3 evictions >"$tmp/quiet.out"; check "$label quiet watch exit" 0 $?
  check "$label quiet watch lines" 0 "$(wc -l <"$tmp/quiet.out")"

  kill "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  pid=""
}

suite memcached "$memcached"
suite memkit-server "$memkit_server"

echo "$failures failures"
((failures == 0))
