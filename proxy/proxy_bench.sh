#!/bin/sh
# proxy_bench: the same memcaslap load directly against memcached, through
# twemproxy (nutcracker) and through memkit-proxy, all in front of one
# memcached, in alternating runs. Prints ops/s, the proxies' CPU microseconds
# per request (utime+stime from /proc/PID/stat over the run, divided by the
# operations memcaslap completed) and the ratios to nutcracker; then each
# path's p99 at one fixed request rate, measured with `memkit bench --rate`.
#
#   bazel run --config=opt //proxy:proxy_bench -- [SECONDS] [ROUNDS]
#
# Load: memcaslap -t SECONDS -T 2 -c 32 -X 100 (90% get / 10% set), then
# the same with -d 10 (10-key multi-gets). Defaults: 5 s, 2 rounds. Needs
# memcached, memcaslap (libmemcached-tools) and nutcracker (Debian packages).
set -eu

PROXY_BIN=$(readlink -f "$1")
shift
# memkit (the CLI) measures the p99s: memcaslap prints none.
MEMKIT_BIN=$(readlink -f "$1")
shift
SECONDS_PER_RUN=${1:-5}
ROUNDS=${2:-2}
PROXY_THREADS=${PROXY_THREADS:-2}

for tool in /usr/bin/memcached /usr/bin/memcaslap /usr/sbin/nutcracker /usr/bin/python3; do
  [ -x "$tool" ] || { echo "proxy_bench: $tool is missing (tools/setup.sh)" >&2; exit 1; }
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/proxy_bench.XXXXXX")
PIDS=""
cleanup() {
  for pid in $PIDS; do kill "$pid" 2>/dev/null || true; done
  for pid in $PIDS; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

wait_for_file() {
  i=0
  while [ ! -s "$1" ]; do
    i=$((i + 1))
    [ $i -lt 200 ] || { echo "proxy_bench: $2 did not start" >&2; exit 1; }
    sleep 0.05
  done
}

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# memcached (-t 2), port chosen by the kernel.
USER_ARGS=""
[ "$(id -u)" = 0 ] && USER_ARGS="-u root"
MEMCACHED_PORT_FILENAME="$WORK/mc.port" /usr/bin/memcached $USER_ARGS -p -1 -U 0 -l 127.0.0.1 -t 2 -m 256 &
PIDS="$PIDS $!"
wait_for_file "$WORK/mc.port" memcached
MC_PORT=$(sed -n 's/^TCP INET: //p' "$WORK/mc.port" | head -1)

# nutcracker: ketama over the one server (its config format: PEERS.md).
NC_PORT=$(free_port)
NC_STATS=$(free_port)
cat > "$WORK/nutcracker.yml" <<YML
bench:
  listen: 127.0.0.1:$NC_PORT
  hash: md5
  distribution: ketama
  timeout: 1000
  auto_eject_hosts: false
  servers:
   - 127.0.0.1:$MC_PORT:1
YML
/usr/sbin/nutcracker -c "$WORK/nutcracker.yml" -a 127.0.0.1 -s "$NC_STATS" -o "$WORK/nutcracker.log" &
NC_PID=$!
PIDS="$PIDS $NC_PID"

# memkit-proxy, port chosen by the kernel.
MEMCACHED_PORT_FILENAME="$WORK/px.port" "$PROXY_BIN" -l 127.0.0.1 -p 0 -t "$PROXY_THREADS" \
  --servers="127.0.0.1:$MC_PORT" 2>"$WORK/proxy.log" &
PX_PID=$!
PIDS="$PIDS $PX_PID"
wait_for_file "$WORK/px.port" memkit-proxy
PX_PORT=$(sed -n 's/^TCP INET: //p' "$WORK/px.port" | head -1)
i=0
until /usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1',$NC_PORT),1)" 2>/dev/null; do
  i=$((i + 1)); [ $i -lt 100 ] || { echo "proxy_bench: nutcracker did not start" >&2; exit 1; }
  sleep 0.05
done

TICK=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# run NAME PORT PID EXTRA -> appends "NAME ops tps cpu_us_per_op" to $WORK/results
run() {
  name=$1 port=$2 pid=$3 extra=$4
  before=0
  [ "$pid" = - ] || before=$(cpu_ticks "$pid")
  out=$(/usr/bin/memcaslap -s "127.0.0.1:$port" -t "${SECONDS_PER_RUN}s" -T 2 -c 32 -X 100 $extra 2>&1 || true)
  after=0
  [ "$pid" = - ] || after=$(cpu_ticks "$pid")
  line=$(echo "$out" | grep 'Run time:' | tail -1)
  ops=$(echo "$line" | sed -n 's/.*Ops: \([0-9]*\).*/\1/p')
  tps=$(echo "$line" | sed -n 's/.*TPS: \([0-9]*\).*/\1/p')
  [ -n "$ops" ] || { echo "proxy_bench: memcaslap against $name printed no result:" >&2; echo "$out" | tail -5 >&2; ops=0; tps=0; }
  cpu=$(awk -v a="$after" -v b="$before" -v t="$TICK" -v o="$ops" \
    'BEGIN { if (o > 0) printf "%.2f", (a - b) / t * 1e6 / o; else print "0" }')
  [ "$pid" = - ] && cpu="-"
  echo "$name $ops $tps $cpu" >> "$WORK/results"
  printf '  %-13s %9s ops/s   proxy CPU %6s us/op\n' "$name" "$tps" "$cpu"
}

summarize() {
  awk '
    { n[$1]++; tps[$1] += $3; if ($4 != "-") cpu[$1] += $4 }
    END {
      d = tps["memcached"] / n["memcached"]; t = tps["nutcracker"] / n["nutcracker"];
      m = tps["memkit-proxy"] / n["memkit-proxy"];
      tc = cpu["nutcracker"] / n["nutcracker"]; mc = cpu["memkit-proxy"] / n["memkit-proxy"];
      printf "  mean: memcached %.0f, nutcracker %.0f, memkit-proxy %.0f ops/s\n", d, t, m;
      printf "  memkit-proxy / nutcracker: throughput %.2fx, CPU per op %.2fx (%.2f vs %.2f us)\n",
             m / t, (tc > 0 ? mc / tc : 0), mc, tc;
      printf "  memkit-proxy / direct: %.2f; nutcracker / direct: %.2f\n", m / d, t / d;
    }' "$WORK/results"
}

# p99 of each path at one fixed request rate (open loop, latency from each
# request's due time, so a slow path cannot hide its queueing), below what the
# slowest path sustains so that all three are compared at the same load:
# memkit bench --rate, 2 threads x 16 connections, the same 90/10 or 10-key
# multi-get mix. Prints "NAME p99 US".
latency() {
  name=$1 port=$2 ratio=$3 rate=$4
  json=$("$MEMKIT_BIN" --servers="127.0.0.1:$port" bench --threads=2 --connections=16 \
    --ratio="$ratio" --multiget-width=10 --value-size=100 --keys=10000 --duration="$SECONDS_PER_RUN" \
    --rate="$rate" --quiet --json 2>/dev/null || true)
  p99=$(printf '%s' "$json" | /usr/bin/python3 -c \
    'import json,sys; d=json.load(sys.stdin); print("%.0f" % d["total"]["latency_us"]["p99"])' 2>/dev/null || echo "?")
  printf '  %-13s p99 %6s us at %s requests/s\n' "$name" "$p99" "$rate"
}

for mode in "90/10:" "10-key multi-get:-d 10"; do
  label=${mode%%:*}
  extra=${mode#*:}
  : > "$WORK/results"
  echo "$label: memcaslap -t ${SECONDS_PER_RUN}s -T 2 -c 32 -X 100 $extra, $ROUNDS round(s), alternating"
  r=0
  while [ $r -lt "$ROUNDS" ]; do
    run memcached "$MC_PORT" - "$extra"
    run nutcracker "$NC_PORT" "$NC_PID" "$extra"
    run memkit-proxy "$PX_PORT" "$PX_PID" "$extra"
    r=$((r + 1))
  done
  summarize
  if [ -z "$extra" ]; then ratio=9:1 rate=${P99_RATE:-40000}; else ratio=0:1:9 rate=${P99_MULTIGET_RATE:-20000}; fi
  echo "$label: p99 at a fixed rate (memkit bench --rate=$rate --ratio=$ratio)"
  latency memcached "$MC_PORT" "$ratio" "$rate"
  latency nutcracker "$NC_PORT" "$ratio" "$rate"
  latency memkit-proxy "$PX_PORT" "$ratio" "$rate"
done
