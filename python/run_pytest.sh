#!/usr/bin/env bash
# Runs pytest with Debian's /usr/bin/python3 on the files given, with the
# memkit module (sources and the generated admin_pb2.py) on PYTHONPATH and
# MEMKIT_SERVER_BINARY pointing at the built memkit-server.
set -euo pipefail
runfiles=${TEST_SRCDIR:-$PWD/..}/memkit
export PYTHONPATH="$runfiles/python${PYTHONPATH:+:$PYTHONPATH}"
export MEMKIT_SERVER_BINARY="$runfiles/server/memkit-server"
for m in pytest grpc google.protobuf pymemcache pylibmc; do
  /usr/bin/python3 -c "import $m" 2>/dev/null ||
    { echo "missing Debian package for Python module $m (tools/setup.sh installs it)"; exit 1; }
done
files=()
for f in "$@"; do files+=("$runfiles/$f"); done
cd "${TEST_TMPDIR:-/tmp}"
exec /usr/bin/python3 -m pytest -q -p no:cacheprovider "${files[@]}"
