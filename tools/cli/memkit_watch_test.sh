#!/usr/bin/env bash
# `memkit watch` against real memcached (whose `watch` streams log lines):
# the lines come through as memcached writes them, --count stops the stream,
# and a bad type is a usage error.
set -uo pipefail
memkit=tools/memkit
memcached=${MEMCACHED:-/usr/bin/memcached}
tmp=${TEST_TMPDIR:-$(mktemp -d)}
failures=0
check() {  # check NAME EXPECTED ACTUAL
  if [[ "$2" != "$3" ]]; then
    echo "FAIL $1: expected [$2] got [$3]"
    failures=$((failures + 1))
  fi
}
[[ -x "$memcached" ]] || { echo "real memcached not found at $memcached (run tools/setup.sh)"; exit 1; }

# memcached picks a free port for -p -1 and writes it to MEMCACHED_PORT_FILENAME.
MEMCACHED_PORT_FILENAME="$tmp/ports" "$memcached" -u root -l 127.0.0.1 -p -1 -U 0 &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null' EXIT
port=""
deadline=$((SECONDS + 10))
while [[ -z "$port" ]] && ((SECONDS < deadline)); do
  port=$(sed -n 's/^TCP INET: \([0-9]*\)$/\1/p' "$tmp/ports" 2>/dev/null | head -1)
  [[ -n "$port" ]] || sleep 0.02
done
[[ -n "$port" ]] || { echo "memcached did not write its port"; exit 1; }
export MEMCACHED_SERVERS=127.0.0.1:$port

"$memkit" watch nonsense 2>/dev/null; check "bad type" 2 $?
"$memkit" watch --servers=127.0.0.1:$port,127.0.0.1:1 2>/dev/null; check "two servers" 2 $?

# The watcher may register after the first sets: keep setting until it has
# seen two mutations, within a deadline.
"$memkit" watch --count=2 --duration=20 mutations >"$tmp/watch.out" &
watcher=$!
deadline=$((SECONDS + 15))
while kill -0 "$watcher" 2>/dev/null && ((SECONDS < deadline)); do
  "$memkit" set watched-key v >/dev/null
  sleep 0.05
done
wait "$watcher"; check "watch exit" 0 $?
check "watch lines" 2 "$(wc -l <"$tmp/watch.out")"
check "mutation lines" 2 "$(grep -c 'type=item_store key=watched-key status=stored cmd=set' "$tmp/watch.out")"

# --duration ends a quiet stream with exit 0.
"$memkit" watch --duration=0.3 evictions >"$tmp/quiet.out"; check "quiet watch exit" 0 $?
check "quiet watch lines" 0 "$(wc -l <"$tmp/quiet.out")"

echo "$failures failures"
((failures == 0))
