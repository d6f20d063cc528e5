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

# ---- -d -P: the parent exits 0 at once; the daemon leads its own session,
# lives in /, has stdin/stdout/stderr on /dev/null, writes the pid file and
# the port file, serves, and removes the pid file when SIGTERM stops it.
pidfile="$tmp/memkit.pid"
portfile="$tmp/memkit.ports"
rm -f "$pidfile" "$portfile"
if MEMCACHED_PORT_FILENAME="$portfile" timeout 10 "$BIN" -d -P "$pidfile" -p -1 -U -1 -l 127.0.0.1; then
  pass "-d: the parent exits 0"
else
  fail "-d: the parent exit status $?"
fi
for _ in $(seq 1 500); do [[ -s "$pidfile" && -s "$portfile" ]] && break; sleep 0.01; done
dpid=$(cat "$pidfile" 2>/dev/null)
if [[ -n "$dpid" ]] && kill -0 "$dpid" 2>/dev/null; then
  pids+=("$dpid")
  pass "-d -P: pid file names the running daemon ($dpid)"
  sid=$(ps -o sid= -p "$dpid" | tr -d ' ')
  if [[ "$sid" == "$dpid" ]]; then pass "-d: setsid"; else fail "-d: session $sid, pid $dpid"; fi
  if [[ $(readlink /proc/"$dpid"/cwd) == / ]]; then pass "-d: cwd /"; else fail "-d: cwd $(readlink /proc/"$dpid"/cwd)"; fi
  nulls=0
  for fd in 0 1 2; do [[ $(readlink /proc/"$dpid"/fd/$fd) == /dev/null ]] && nulls=$((nulls + 1)); done
  if [[ $nulls -eq 3 ]]; then pass "-d: stdio on /dev/null"; else fail "-d: $nulls of 3 stdio fds on /dev/null"; fi
  if grep -q '^TCP INET: ' "$portfile" && grep -q '^UDP INET: ' "$portfile"; then
    pass "-d: port file with TCP and UDP lines"
  else
    fail "-d: port file: $(cat "$portfile")"
  fi
  dport=$(sed -n 's/^TCP INET: //p' "$portfile" | head -1)
  reply=$(send "$dport" 'version\r\n')
  if [[ "$reply" == $'VERSION 1.6.18\r' ]]; then pass "-d: serves"; else fail "-d: serves: $reply"; fi
  kill -TERM "$dpid"
  for _ in $(seq 1 1000); do kill -0 "$dpid" 2>/dev/null || break; sleep 0.01; done
  if kill -0 "$dpid" 2>/dev/null; then fail "-d: SIGTERM did not stop it"; fi
  if [[ ! -e "$pidfile" ]]; then pass "-d: pid file removed at exit"; else fail "-d: pid file left behind"; fi
else
  fail "-d: no running daemon in the pid file ($dpid)"
fi

# ---- -P without -d: written, and (as memcached) left in place at exit;
# -r raises the core limit; -k's failure is a warning, not an exit.
rm -f "$pidfile"
if start_server -P "$pidfile" -r -k; then
  if [[ $(cat "$pidfile") == "$PID" ]]; then pass "-P: pid file"; else fail "-P: $(cat "$pidfile") != $PID"; fi
  core=$(awk '/Max core file size/ {print $5}' /proc/"$PID"/limits)
  if [[ "$core" != 0 ]]; then pass "-r: core limit $core"; else fail "-r: core limit 0"; fi
  kill -TERM "$PID"; wait_exit "$PID" 30
  if [[ -e "$pidfile" ]]; then pass "-P without -d: pid file kept, as memcached"; else fail "-P: pid file removed"; fi
else
  fail "-P -r -k: did not start: $(cat "$tmp/server.log")"
fi

echo "$fails failed"
[[ $fails -eq 0 ]]
