#!/usr/bin/env bash
# `memkit admin` (the CLI's gRPC client) against memkit-proxy's admin API,
# over real memcached servers, with a binary client (`memkit --protocol=binary`
# through a meta pool) storing and reading through the proxy the whole time:
# pools, eject/restore, drain, add-server, weight, remove-server, validate,
# reload and stats all work, and no client request fails.
set -uo pipefail
memkit=tools/memkit
proxy=proxy/memkit-proxy
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
port_from() {  # port_from FILE PID SED-EXPR: polls FILE with a deadline
  local deadline=$((SECONDS + 10)) port=""
  while [[ -z "$port" ]]; do
    kill -0 "$2" 2>/dev/null || { echo "process $2 exited: $(cat "$1")" >&2; exit 1; }
    ((SECONDS < deadline)) || { echo "timed out waiting for $1" >&2; exit 1; }
    port=$(sed -n "$3" "$1" 2>/dev/null | head -1)
    [[ -n "$port" ]] || sleep 0.02
  done
  echo "$port"
}

addrs=()
for i in 0 1 2; do
  user=(); [[ $(id -u) == 0 ]] && user=(-u root)
  MEMCACHED_PORT_FILENAME="$tmp/mc$i.port" /usr/bin/memcached -p -1 -U 0 -l 127.0.0.1 -t 1 "${user[@]}" &
  pids+=($!)
  port=$(port_from "$tmp/mc$i.port" $! 's/^TCP INET: \([0-9]*\)$/\1/p') || exit 1
  addrs+=("127.0.0.1:$port")
done
a=${addrs[0]} b=${addrs[1]} c=${addrs[2]}

cat >"$tmp/proxy.json" <<JSON
{"threads": 2, "pools": [{"name": "main", "servers": ["$a", "$b"], "backendProtocol": "meta"}]}
JSON
# -p 0: memkit-proxy's "any port" (memcached's is -1).
"$proxy" -p 0 --config "$tmp/proxy.json" --admin-listen=127.0.0.1:0 2>"$tmp/proxy.log" &
proxy_pid=$!
pids+=($proxy_pid)
admin_port=$(port_from "$tmp/proxy.log" $proxy_pid 's/^admin-listen: 127.0.0.1:\([0-9]*\)$/\1/p') || exit 1
proxy_port=$(port_from "$tmp/proxy.log" $proxy_pid 's/.* listening on 127.0.0.1:\([0-9]*\) .*/\1/p') || exit 1
export MEMKIT_ADMIN=127.0.0.1:$admin_port

# The client: set and get in turn through the proxy until told to stop.
(
  i=0
  while [[ ! -e "$tmp/stop" ]]; do
    key="k$((i % 50))"
    "$memkit" --servers="127.0.0.1:$proxy_port" --protocol=binary set "$key" "v$i" >/dev/null ||
      echo "set $key failed" >>"$tmp/client.err"
    "$memkit" --servers="127.0.0.1:$proxy_port" --protocol=binary get "$key" >/dev/null 2>&1
    (($? <= 1)) || echo "get $key failed" >>"$tmp/client.err"  # 1: a miss after a move
    echo "$i" >"$tmp/client.count"
    i=$((i + 1))
  done
) &
pids+=($!)
progress() {  # waits (with a deadline) for the client to make 10 more rounds
  local start deadline=$((SECONDS + 20)) now
  start=$(cat "$tmp/client.count" 2>/dev/null || echo 0)
  while :; do
    now=$(cat "$tmp/client.count" 2>/dev/null || echo 0)
    ((now >= start + 10)) && return 0
    ((SECONDS < deadline)) || { echo "FAIL client made no progress"; failures=$((failures + 1)); return 1; }
    sleep 0.05
  done
}
progress

out=$("$memkit" admin pools); check "pools exit" 0 $?
check "pools header" 1 "$(grep -c '^pool main  distribution=ketama_weighted hash=md5' <<<"$out")"
check "pools lists a" 1 "$(grep -c "^  $a  *up " <<<"$out")"

out=$("$memkit" admin eject --reason=maintenance "$b"); check "eject exit" 0 $?
check "eject shows ejected" 1 "$(grep -c "^  $b  *ejected .*ejected by admin: maintenance" <<<"$out")"
progress
out=$("$memkit" admin restore "$b"); check "restore exit" 0 $?
check "restore shows up" 1 "$(grep -c "^  $b  *up " <<<"$out")"
progress
out=$("$memkit" admin drain --wait=10s "$a"); check "drain exit" 0 $?
check "drain shows drained" 1 "$(grep -c "^  $a  *drained " <<<"$out")"
check "drain in flight" 1 "$(grep -c "^in flight: 0$" <<<"$out")"
progress
out=$("$memkit" admin add-server "$c" 3); check "add-server exit" 0 $?
check "add-server weight" 1 "$(grep -c "^  $c  *up  *3 " <<<"$out")"
progress
out=$("$memkit" admin weight "$c" 1); check "weight exit" 0 $?
check "weight shows 1" 1 "$(grep -c "^  $c  *up  *1 " <<<"$out")"
out=$("$memkit" admin remove-server "$a"); check "remove-server exit" 0 $?
check "remove-server gone" 0 "$(grep -c "$a" <<<"$out")"
progress

# Config through the CLI: a bad second pool is named and applies nothing;
# a good file adding pool "side" reloads under the client's load, and
# "main", unchanged in the file, keeps its runtime membership (c in, a out).
cat >"$tmp/bad.json" <<JSON
{"threads": 2, "pools": [{"name": "main", "servers": ["$a", "$b"], "backendProtocol": "meta"},
                         {"name": "side", "servers": ["$c"], "backendProtocol": "text"}]}
JSON
out=$("$memkit" admin validate "$tmp/bad.json"); check "validate bad exit" 1 $?
check "validate names the field" 1 "$(grep -c '^  error: pools\[1\].backend_protocol: ' <<<"$out")"
out=$("$memkit" admin reload "$tmp/bad.json"); check "reload bad exit" 1 $?
check "reload bad not applied" 1 "$(grep -c '^not applied$' <<<"$out")"
cat >"$tmp/good.json" <<JSON
{"threads": 2, "pools": [{"name": "main", "servers": ["$a", "$b"], "backendProtocol": "meta"},
                         {"name": "side", "servers": ["$c"]}]}
JSON
out=$("$memkit" admin validate "$tmp/good.json"); check "validate good exit" 0 $?
check "validate lists the change" 1 "$(grep -c '^  change: pool "side": added$' <<<"$out")"
out=$("$memkit" admin reload "$tmp/good.json"); check "reload exit" 0 $?
check "reload applied" 1 "$(grep -c '^applied$' <<<"$out")"
progress
out=$("$memkit" admin pools); check "pools after reload exit" 0 $?
check "pools after reload: side" 1 "$(grep -c '^pool side ' <<<"$out")"
main_section=$(awk '/^pool main/ {m = 1; next} /^pool / {m = 0} m' <<<"$out")
check "main keeps c" 1 "$(grep -c "^  $c  *up  *1 " <<<"$main_section")"
check "main still without a" 0 "$(grep -c "$a" <<<"$main_section")"

out=$("$memkit" admin stats); check "stats exit" 0 $?
check "stats component" 1 "$(grep -c '^component memkit-proxy' <<<"$out")"
check "stats pool" 1 "$(grep -c '^pool main' <<<"$out")"
check "stats server c" 1 "$(grep -c "^server $c (pool main)" <<<"$out")"
check "stats pool side" 1 "$(grep -c '^pool side' <<<"$out")"

touch "$tmp/stop"
wait "${pids[-1]}" 2>/dev/null
check "client errors" "" "$(cat "$tmp/client.err" 2>/dev/null)"
echo "client rounds: $(cat "$tmp/client.count")"
((failures == 0)) && echo PASS
exit $((failures > 0))
