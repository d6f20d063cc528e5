#!/usr/bin/env bash
# Alternates memcaslap and `memkit bench` against one fresh real memcached
# (-t 2) with the same load: 2 threads x 8 connections (memcaslap -T 2 -c 16),
# 90% get / 10% set, 100-byte values, closed loop, one request in flight per
# connection. Prints each round's ops/s and the median memkit/memcaslap ratio.
#
#   tools/bench/compare_memcaslap.sh MEMKIT_BINARY [ROUNDS=5] [SECONDS=3]
#
# MEMCACHED_OWN_SESSION=1 starts memcached in a session of its own (setsid).
# Why it matters: with autogroup scheduling (Debian's default), every process
# of a session shares one CPU share; on a busy machine that decides how fast
# memcached answers, for both load generators alike (docs/cli.md).
set -euo pipefail
memkit=$1
rounds=${2:-5}
seconds=${3:-3}
dir=$(mktemp -d)
setsid_cmd=()
if [ "${MEMCACHED_OWN_SESSION:-0}" = 1 ]; then setsid_cmd=(setsid -w); fi
as_root=()
if [ "$(id -u)" = 0 ]; then as_root=(-u root); fi
MEMCACHED_PORT_FILENAME=$dir/port "${setsid_cmd[@]}" memcached "${as_root[@]}" -t 2 -m 256 \
  -p -1 -l 127.0.0.1 -U 0 &
mc=$!
trap 'kill $mc 2>/dev/null; wait $mc 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 500); do [ -s "$dir/port" ] && break; sleep 0.01; done
port=$(sed -n 's/^TCP INET: //p' "$dir/port")
[ -n "$port" ] || { echo "memcached did not start" >&2; exit 1; }

ratios=()
for r in $(seq "$rounds"); do
  a=$(memcaslap -s "127.0.0.1:$port" -T 2 -c 16 -X 100 -t "${seconds}s" 2>&1 |
      awk '/^Run time/ { for (i = 1; i <= NF; i++) if ($i == "TPS:") print $(i + 1) }' | tail -1)
  b=$("$memkit" bench --servers="127.0.0.1:$port" --threads=2 --connections=8 --ratio=9:1 \
        --value-size=100 --duration="$seconds" --quiet --json |
      /usr/bin/python3 -c 'import json, sys; print(int(json.load(sys.stdin)["ops_per_sec"]))')
  ratio=$(/usr/bin/python3 -c "print('%.2f' % ($b / $a))")
  ratios+=("$ratio")
  echo "round $r: memcaslap $a ops/s, memkit bench $b ops/s, ratio $ratio"
done
/usr/bin/python3 -c "import statistics, sys; print('median ratio %.2f' % statistics.median(map(float, sys.argv[1:])))" "${ratios[@]}"
