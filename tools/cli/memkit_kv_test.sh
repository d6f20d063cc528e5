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

# Usage errors: exit 2 with one line; unreachable server: exit 3 with one line.
err=$("$memkit" set 2>&1); check "set without key" 2 $?
check "set without key lines" 1 "$(wc -l <<<"$err")"
err=$("$memkit" get --protocol=smoke k 2>&1); check "bad protocol" 2 $?
err=$("$memkit" get --servers=127.0.0.1:1 k 2>&1); check "refused exit" 3 $?
check "refused lines" 1 "$(wc -l <<<"$err")"
check "refused says UNAVAILABLE" 1 "$(grep -c UNAVAILABLE <<<"$err")"

# Global flags before the command, and --json.
"$memkit" flush
check "global --servers before command" "v1" "$("$memkit" --servers 127.0.0.1:$port set gk v1 && "$memkit" --servers=127.0.0.1:$port --protocol=meta get gk)"
"$memkit" --servers=127.0.0.1:1 get gk 2>/dev/null; check "global --servers is used" 3 $?
check "get --json" '{"items": {"gk": {"value": "v1", "flags": 0, "cas": '"$("$memkit" get --cas gk | cut -f2)"'}}, "misses": ["nokey"]}' \
  "$("$memkit" get --json gk nokey)"
check "get --json one miss exit" 1 "$("$memkit" get --json nokey >/dev/null 2>&1; echo $?)"
check "version --json" "{\"127.0.0.1:$port\": \"1.6.18\"}" "$("$memkit" version --json)"
check "stats --json parses" 1 "$("$memkit" stats --json | /usr/bin/python3 -c 'import json,sys; print(int("curr_items" in next(iter(json.load(sys.stdin).values()))))')"

# cas: the unique from get --cas works once; the second try exits 1 (EXISTS).
cas=$("$memkit" get --cas gk | cut -f2)
"$memkit" cas gk "$cas" v2; check "cas with current unique" 0 $?
check "cas stored" v2 "$("$memkit" get gk)"
"$memkit" cas gk "$cas" v3 2>"$tmp/err"; check "cas stale exit" 1 $?
check "cas stale says ABORTED" 1 "$(grep -c ABORTED "$tmp/err")"
"$memkit" cas gk notanumber v3 2>/dev/null; check "cas bad unique" 2 $?

# exist, cat (binary safe), cp
"$memkit" exist gk; check "exist present" 0 $?
"$memkit" exist gk nokey 2>/dev/null; check "exist missing" 1 $?
check "exist --json" '{"gk": true, "nokey": false}' "$("$memkit" exist --json gk nokey 2>/dev/null)"
printf 'a\0b\r\n\xff' >"$tmp/blob.bin"
"$memkit" cp --key-prefix=f: "$tmp/blob.bin" >"$tmp/cp.out"; check "cp exit" 0 $?
check "cp reports" "$tmp/blob.bin	f:blob.bin	6 bytes" "$(cat "$tmp/cp.out")"
"$memkit" cat f:blob.bin >"$tmp/blob.out"; check "cat exit" 0 $?
cmp -s "$tmp/blob.bin" "$tmp/blob.out"; check "cat is byte for byte" 0 $?
"$memkit" cp "$tmp/no-such-file" 2>/dev/null; check "cp unreadable file" 3 $?
"$memkit" cat nokey 2>/dev/null; check "cat miss" 1 $?

# Too large a value: the server refuses it (exit 3, one line).
head -c 2000000 /dev/zero >"$tmp/huge.bin"
err=$("$memkit" set huge - <"$tmp/huge.bin" 2>&1); check "too large exit" 3 $?
check "too large one line" 1 "$(wc -l <<<"$err")"
"$memkit" get 'bad key' 2>/dev/null; check "bad key is usage" 2 $?

# ping
"$memkit" ping --count=3 >"$tmp/ping.out"; check "ping exit" 0 $?
check "ping round trips" 3 "$(grep -c 'seq=' "$tmp/ping.out")"
check "ping summary" 1 "$(grep -c '3 round trips, min/avg/max' "$tmp/ping.out")"
"$memkit" ping --servers=127.0.0.1:1 2>/dev/null; check "ping refused" 3 $?

# dump: every key set, filtered by prefix, with values.
"$memkit" flush
for k in user:1 user:2 'odd%key' other; do "$memkit" set "$k" "v-$k"; done
check "dump keys" "$(printf 'odd%%key\nother\nuser:1\nuser:2')" "$("$memkit" dump | cut -f1 | sort)"
check "dump prefix" "$(printf 'user:1\nuser:2')" "$("$memkit" dump --prefix=user: | cut -f1 | sort)"
check "dump values" "v-user:1" "$("$memkit" dump --prefix=user:1 --values | cut -f4)"
check "dump metadata" 1 "$("$memkit" dump --prefix=other | grep -c "	127.0.0.1:$port	exp=-1 la=[0-9]* cas=[0-9]* fetch=no cls=[0-9]* size=[0-9]*$")"
check "dump --json" "odd%key" "$("$memkit" dump --json --prefix=odd | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["key"])')"

# migrate-plan --dump reads the keys from the server itself.
out=$("$memkit" migrate-plan --servers=127.0.0.1:$port --to-servers=127.0.0.1:$port,127.0.0.1:1 --from=ketama --dump --json)
check "migrate-plan --dump keys" "$("$memkit" dump | wc -l)" "$(/usr/bin/python3 -c 'import json,sys; print(json.loads(sys.argv[1])["keys"])' "$out")"

# bench: a counted run in JSON, a usage error, and --compare's ratio line.
out=$("$memkit" bench --requests=300 --threads=1 --connections=2 --prefill --keys=50 --json --quiet)
check "bench exit" 0 $?
check "bench counted" "300 1.0 0" "$(/usr/bin/python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print(r["total"]["completed"], round(r["hit_rate"],2), r["total"]["errors"])' "$out")"
"$memkit" bench --ratio=x:y 2>/dev/null; check "bench bad ratio" 2 $?
"$memkit" bench --servers=127.0.0.1:1 --requests=5 --quiet 2>/dev/null; check "bench refused" 3 $?
out=$("$memkit" bench --duration=0.2 --rounds=1 --compare=127.0.0.1:$port --quiet)
check "bench compare" 1 "$(grep -c '^median ratio B/A: ops/s [0-9.]*x, p99 [0-9.]*x$' <<<"$out")"

if ((failures > 0)); then
  echo "$failures failures"
  exit 1
fi
echo "all memkit client-command checks passed"
