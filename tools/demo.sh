#!/usr/bin/env bash
# The README's main job: builds memkit-server and the memkit CLI, starts the
# server on 127.0.0.1 (port 11211 if free, else one the OS picks), shows a
# short session against it, then keeps serving until Ctrl-C.
# MEMKIT_DEMO_EXIT=1 stops the server after the demo instead.
# Run tools/setup.sh first (the README's command does).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== Building memkit-server and memkit (the first build takes a few minutes)..."
if ! log=$(bazel build --config=opt //server:memkit-server //tools:memkit 2>&1); then
  echo "$log" >&2
  exit 1
fi
bin=$(bazel info --config=opt bazel-bin 2>/dev/null)
memkit=$bin/tools/memkit
log=$(mktemp)

port=11211
if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then
  port=0  # something already listens on 11211: let the OS choose
fi
"$bin/server/memkit-server" -p "$port" -l 127.0.0.1 -t 2 -m 64 -v 2>"$log" &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -f "$log"' EXIT
actual=""
deadline=$((SECONDS + 10))
while [[ -z "$actual" ]] && ((SECONDS < deadline)); do
  actual=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$log" | head -1)
  kill -0 "$server" 2>/dev/null || { cat "$log" >&2; exit 1; }
  [[ -n "$actual" ]] || sleep 0.05
done
export MEMCACHED_SERVERS=127.0.0.1:$actual

run() {
  echo "\$ memkit ${*@Q}"
  "$memkit" "$@" 2>&1 || true
}
echo "== memkit-server is listening on 127.0.0.1:$actual (memcached 1.6.18 compatible)"
run version
run set --exptime=3600 greeting "hello from memkit"
run get greeting
run append greeting ", speaking text, meta and binary"
run get --protocol=meta greeting
run incr --initial=41 visits
run incr visits
run add greeting "add refuses an existing key"
run delete greeting
run get --protocol=binary greeting
echo "\$ memkit stats | grep -E 'curr_items|cmd_get|get_hits|get_misses'"
"$memkit" stats | grep -E "	(curr_items|cmd_get|get_hits|get_misses)	"
run bench --duration=2 --threads=1 --connections=4 --prefill --keys=1000 --quiet
echo
echo "== Any memcached client works too: printf 'get visits\\r\\n' | nc 127.0.0.1 $actual"
if [[ "${MEMKIT_DEMO_EXIT:-0}" == 1 ]]; then
  exit 0
fi
echo "== Serving on 127.0.0.1:$actual; press Ctrl-C to stop."
wait "$server"
