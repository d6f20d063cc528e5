#!/usr/bin/env bash
# The README's main job: builds memkit and shows it working.
# Run tools/setup.sh first (the README's command does).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== Building memkit (first time: a few minutes)..."
if ! log=$(bazel build --config=opt //tools:memkit 2>&1); then
  echo "$log" >&2
  exit 1
fi
memkit=$(bazel info --config=opt bazel-bin 2>/dev/null)/tools/memkit

servers=10.0.0.1:11211,10.0.0.2:11211,10.0.0.3:11212:2
echo "== Where keys live on $servers (ketama weighted, as pylibmc's ketama_weighted):"
"$memkit" locate --servers=$servers user:1 user:2 user:3 session:abc cart:42
echo
echo "== The same keys with libmemcached's default modula distribution:"
"$memkit" locate --servers=$servers --distribution=modula user:1 user:2 user:3 session:abc cart:42
