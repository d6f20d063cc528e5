#!/usr/bin/env bash
# Black-box test of `memkit dbm` on files in the test's scratch directory:
# put/get/delete, dump and load round trips with binary-unsafe bytes, usage
# errors and exit codes, compact, stats, and `verify` finding a corrupted byte.
set -uo pipefail
memkit=tools/memkit
tmp=${TEST_TMPDIR:-$(mktemp -d)}
db="$tmp/store.dbm"
failures=0
check() {  # check NAME EXPECTED ACTUAL
  if [[ "$2" != "$3" ]]; then
    echo "FAIL $1: expected [$2] got [$3]"
    failures=$((failures + 1))
  fi
}

"$memkit" dbm put "$db" greeting "hello world"; check "put" 0 $?
check "get" "hello world" "$("$memkit" dbm get "$db" greeting)"
echo -n "from stdin" | "$memkit" dbm put "$db" piped -; check "put stdin" 0 $?
check "get stdin value" "from stdin" "$("$memkit" dbm get "$db" piped)"

"$memkit" dbm get "$db" nope 2>"$tmp/err"; check "get miss exit" 1 $?
check "get miss says" 1 "$(grep -c "no key 'nope'" "$tmp/err")"
"$memkit" dbm delete "$db" nope 2>/dev/null; check "delete miss exit" 1 $?
"$memkit" dbm delete "$db" piped; check "delete" 0 $?
"$memkit" dbm get "$db" piped 2>/dev/null; check "get deleted" 1 $?

"$memkit" dbm frobnicate "$db" 2>"$tmp/err"; check "unknown subcommand exit" 2 $?
check "unknown subcommand one line" 1 "$(wc -l <"$tmp/err")"
"$memkit" dbm get "$db" 2>/dev/null; check "missing argument exit" 2 $?
"$memkit" dbm get "$tmp/absent.dbm" k 2>"$tmp/err"; check "absent file exit" 3 $?
check "absent file says NOT_FOUND" 1 "$(grep -c NOT_FOUND "$tmp/err")"

# A dump escapes tabs, newlines, backslashes and high bytes; loading it into a
# new file gives the same dump back.
"$memkit" dbm put "$db" $'tab\tkey' $'line1\nline2\\end\x01\xff'; check "put odd bytes" 0 $?
"$memkit" dbm dump "$db" | sort >"$tmp/dump1"; check "dump exit" 0 "${PIPESTATUS[0]}"
check "dump escapes" 1 "$(grep -cF 'tab\tkey	line1\nline2\\end\x01\xff' "$tmp/dump1")"
"$memkit" dbm load "$tmp/copy.dbm" "$tmp/dump1" 2>/dev/null; check "load exit" 0 $?
"$memkit" dbm dump "$tmp/copy.dbm" | sort >"$tmp/dump2"
check "dump/load round trip" "$(cat "$tmp/dump1")" "$(cat "$tmp/dump2")"
check "odd value back" "$(printf 'line1\nline2\\end\x01\xff')" \
  "$("$memkit" dbm get "$tmp/copy.dbm" $'tab\tkey')"

# Plain tab-separated lines from stdin; a line without a tab is a usage error.
printf 'a\t1\nb\t2\n' | "$memkit" dbm load "$tmp/plain.dbm" - 2>/dev/null; check "load stdin" 0 $?
check "plain value" 2 "$("$memkit" dbm get "$tmp/plain.dbm" b)"
printf 'no tab here\n' | "$memkit" dbm load "$tmp/plain.dbm" 2>"$tmp/err"; check "bad line exit" 2 $?
check "bad line named" 1 "$(grep -c 'line 1: no tab' "$tmp/err")"

# Many records, overwritten: compact shrinks the file and keeps every key.
for round in 1 2 3; do
  for i in $(seq -w 1 200); do printf 'key%s\tvalue-%s-round%s-%s\n' "$i" "$i" "$round" \
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"; done
done | "$memkit" dbm load "$tmp/big.dbm" 2>/dev/null; check "load big" 0 $?
"$memkit" dbm stats "$tmp/big.dbm" >"$tmp/stats"; check "stats exit" 0 $?
check "stats live keys" "live_keys:      200" "$(grep live_keys "$tmp/stats")"
dead=$(sed -n 's/^dead_bytes: *//p' "$tmp/stats")
((dead > 0)) || { echo "FAIL stats: no dead bytes after overwrites"; failures=$((failures + 1)); }
"$memkit" dbm compact "$tmp/big.dbm" >"$tmp/compact"; check "compact exit" 0 $?
check "compact reports" 1 "$(grep -c '(200 live keys)' "$tmp/compact")"
check "value after compact" "value-150-round3-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" \
  "$("$memkit" dbm get "$tmp/big.dbm" key150)"
"$memkit" dbm verify "$tmp/big.dbm" >"$tmp/verify"; check "verify clean exit" 0 $?
check "verify clean says OK" 1 "$(grep -c ': OK$' "$tmp/verify")"

# Flip one byte inside a value in the middle of the log: verify must say so.
offset=$(grep -obUaF 'value-100-round3' "$tmp/big.dbm" | head -1 | cut -d: -f1)
[[ -n "$offset" ]] || { echo "FAIL: record not found in the file"; exit 1; }
printf 'V' | dd of="$tmp/big.dbm" bs=1 seek="$offset" conv=notrunc status=none
"$memkit" dbm verify "$tmp/big.dbm" >"$tmp/verify"; check "verify corrupt exit" 1 $?
check "verify corrupt says DAMAGED" 1 "$(grep -c 'DAMAGED' "$tmp/verify")"
"$memkit" dbm get "$tmp/big.dbm" key100 >/dev/null 2>"$tmp/err"; check "get damaged exit" 3 $?
check "get damaged says DATA_LOSS" 1 "$(grep -c 'DATA_LOSS' "$tmp/err")"
# Without the hint, open replays the log and stops at the damage: a warning.
rm -f "$tmp/big.dbm.hint"
"$memkit" dbm stats "$tmp/big.dbm" >/dev/null 2>"$tmp/err"
check "opening a damaged file warns" 1 "$(grep -c 'warning: .*damaged bytes' "$tmp/err")"

# bench: the scenarios on memkit dbm alone, a line each and the summary table.
"$memkit" dbm bench --num=2000 --dir="$tmp" >"$tmp/bench"; check "bench exit" 0 $?
check "bench scenarios" 7 "$(grep -c '^memkit  *[a-z_]*  *time:' "$tmp/bench")"
check "bench table" 1 "$(grep -c '^| read_random | [0-9.]* |' "$tmp/bench")"
check "bench no failures" 0 "$(grep -c FAILED "$tmp/bench")"
"$memkit" dbm bench --scenarios=nope 2>/dev/null; check "bench bad scenario" 2 $?

echo "$failures failures"
((failures == 0))
