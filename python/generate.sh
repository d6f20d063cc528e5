#!/usr/bin/env bash
# Outside Bazel: writes python/memkit/admin_pb2.py from core/admin/admin.proto
# with Debian's protoc (Bazel's //python:memkit does the same at build time).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
/usr/bin/protoc --proto_path="$root/core/admin" --python_out="$root/python/memkit" admin.proto
echo "wrote $root/python/memkit/admin_pb2.py"
