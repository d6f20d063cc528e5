#!/bin/bash
# Black-box tests of the memkit-server binary: flag errors exit at once with
# memcached's status; -h/-V exit 0; a taken port exits 71; SIGTERM and the
# -A "shutdown" command stop it with status 0; memccapable passes all 54.
set -u
BIN="$1"
fails=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
tmp="${TEST_TMPDIR:-/tmp}"
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; }
trap cleanup EXIT

# ---- bad flags: memcached's status at once, its message on stderr, nothing
# on stdout (flags_conformance_test compares the text with memcached's)
for spec in "1:-t 0" "1:-c 0" "64:-m abc" "64:-I 2g" "64:-B foo" "1:-o bogus" "1:-Q" "64:-p 70000" \
            "64:-I 3m -m 4" "1:-R 0" "1:--nope" "1:-p"; do
  want=${spec%%:*}
  args=${spec#*:}
  start=$(date +%s%N)
  timeout 5 "$BIN" $args >"$tmp/out" 2>"$tmp/err"
  rc=$?
  elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
  if [[ $rc -ne $want ]]; then fail "'$args' exit $rc, want $want"; continue; fi
  if [[ ! -s "$tmp/err" ]]; then fail "'$args' printed nothing"; continue; fi
  if [[ -s "$tmp/out" ]]; then fail "'$args' wrote to stdout"; continue; fi
  if [[ $elapsed_ms -gt 2000 ]]; then fail "'$args' took ${elapsed_ms} ms"; continue; fi
  pass "'$args' -> $want: $(tr '\n' '|' <"$tmp/err")"
done

# ---- -h and -V
if "$BIN" -h >"$tmp/out" 2>&1 && grep -q -- '-p, --port' "$tmp/out" && ! grep -q -- '--enable-largepages' "$tmp/out"; then
  pass "-h exits 0 and lists honoured flags with their long forms"
else
  fail "-h"
fi
if "$BIN" -V >"$tmp/out" 2>&1 && grep -q '1.6.18' "$tmp/out"; then pass "-V"; else fail "-V"; fi

# Starts the server with -v on a free port; sets PORT and PID.
start_server() {
  "$BIN" -p 0 -l 127.0.0.1 -v "$@" 2>"$tmp/server.log" &
  PID=$!
  pids+=("$PID")
  PORT=""
  for _ in $(seq 1 500); do
    PORT=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$tmp/server.log" | head -1)
    [[ -n "$PORT" ]] && return 0
    kill -0 "$PID" 2>/dev/null || return 1
    sleep 0.01
  done
  return 1
}

# Sends $2 to 127.0.0.1:$1 and prints what comes back within a moment.
send() {
  python3 - "$1" "$2" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(sys.argv[2].encode().decode("unicode_escape").encode("latin1"))
s.settimeout(1.0)
out = b""
try:
    while True:
        d = s.recv(65536)
        if not d:
            break
        out += d
        if out.endswith(b"\r\n") and b"END" not in sys.argv[2].encode() and not out.startswith(b"STAT"):
            break
except Exception:
    pass
sys.stdout.write(out.decode("latin1"))
PY
}

# wait_exit PID seconds: sets RC to its exit status, or fails if still running
# at the deadline (generous: sanitizer builds under load can take seconds to
# exit, e.g. LeakSanitizer's scan).
wait_exit() {
  for _ in $(seq 1 $(( $2 * 100 ))); do
    if ! kill -0 "$1" 2>/dev/null; then wait "$1"; RC=$?; return 0; fi
    sleep 0.01
  done
  RC=-1
  return 1
}

# ---- serving, a taken port, SIGTERM
if start_server -t 2; then
  reply=$(send "$PORT" 'set k 0 0 2\r\nhi\r\nget k\r\n')
  if [[ "$reply" == $'STORED\r\nVALUE k 0 2\r\nhi\r\nEND\r' ]]; then pass "serves text"; else fail "serves text: $reply"; fi
  "$BIN" -p "$PORT" -l 127.0.0.1 2>"$tmp/err2"
  rc=$?
  if [[ $rc -eq 71 && $(wc -l <"$tmp/err2") -eq 1 ]]; then pass "taken port -> 71: $(cat "$tmp/err2")"; else fail "taken port: rc=$rc $(cat "$tmp/err2")"; fi
  if [[ -x /usr/bin/memccapable ]]; then
    timeout 120 /usr/bin/memccapable -h 127.0.0.1 -p "$PORT" >"$tmp/capable.log" 2>&1
    passed=$(grep -c '\[pass\]' "$tmp/capable.log")
    failed=$(grep -c '\[FAIL\]' "$tmp/capable.log")
    if [[ $passed -eq 54 && $failed -eq 0 ]]; then pass "memccapable $passed/54"; else fail "memccapable $passed passed, $failed failed"; cat "$tmp/capable.log"; fi
  else
    echo "SKIP: /usr/bin/memccapable not installed"
  fi
  kill -TERM "$PID"
  if wait_exit "$PID" 30 && [[ $RC -eq 0 ]]; then pass "SIGTERM -> exit 0"; else fail "SIGTERM: rc=$RC"; fi
else
  fail "server did not start: $(cat "$tmp/server.log")"
fi

# ---- SIGINT
if start_server; then
  kill -INT "$PID"
  if wait_exit "$PID" 30 && [[ $RC -eq 0 ]]; then pass "SIGINT -> exit 0"; else fail "SIGINT: rc=$RC"; fi
fi

# ---- "shutdown" without and with -A
if start_server; then
  reply=$(send "$PORT" 'shutdown\r\n')
  if [[ "$reply" == $'ERROR: shutdown not enabled\r' ]]; then pass "shutdown without -A refused"; else fail "shutdown without -A: $reply"; fi
  kill -TERM "$PID"; wait_exit "$PID" 30
fi
if start_server -A; then
  send "$PORT" 'shutdown\r\n' >/dev/null
  if wait_exit "$PID" 30 && [[ $RC -eq 0 ]]; then pass "shutdown with -A -> exit 0"; else fail "shutdown with -A: rc=$RC"; fi
fi

echo "$fails failed"
[[ $fails -eq 0 ]]
