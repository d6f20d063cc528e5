#!/bin/bash
# admin.proto compiles with Debian's protoc --python_out and the module
# imports under Debian's python3 with python3-protobuf (the Python admin
# client builds on this).
set -eu
PROTO="$1"
out="${TEST_TMPDIR:-/tmp}/admin_py"
mkdir -p "$out"
if [[ ! -x /usr/bin/protoc ]]; then echo "FAIL: /usr/bin/protoc missing (apt-get install protobuf-compiler)"; exit 1; fi
# The import path is the repository root: the proto is core/admin/admin.proto.
root="$(dirname "$(dirname "$(dirname "$PROTO")")")"
/usr/bin/protoc --proto_path="$root" --python_out="$out" core/admin/admin.proto
if ! /usr/bin/python3 -c "import google.protobuf" 2>/dev/null; then
  echo "FAIL: Debian's python3-protobuf is missing (tools/setup.sh installs it)"; exit 1
fi
PYTHONPATH="$out" /usr/bin/python3 - <<'PY'
from core.admin import admin_pb2 as pb
services = set(pb.DESCRIPTOR.services_by_name)
assert services == {"Stats", "Pools", "Config", "Cache", "Testing"}, services
snap = pb.StatsSnapshot(component="memkit-server")
snap.scopes.add(kind=pb.SCOPE_KIND_SERVER, name="127.0.0.1:11211")
again = pb.StatsSnapshot.FromString(snap.SerializeToString())
assert again.scopes[0].name == "127.0.0.1:11211"
assert pb.DESCRIPTOR.package == "memkit.admin.v1"
print("PASS: admin_pb2 imports;", sorted(services))
PY
