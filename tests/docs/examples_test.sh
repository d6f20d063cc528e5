#!/usr/bin/env bash
# Runs or checks every python, sh and json block of README.md and docs/*.md
# (tests/docs/examples_test.py says how).
set -euo pipefail
runfiles=${TEST_SRCDIR:-$PWD/..}/memkit
for m in pytest pymemcache memcache grpc google.protobuf; do
  /usr/bin/python3 -c "import $m" 2>/dev/null ||
    { echo "missing Debian package for Python module $m (tools/setup.sh installs it)"; exit 1; }
done
cd "$runfiles"
exec /usr/bin/python3 tests/docs/examples_test.py \
  --root="$runfiles" \
  --memkit="$runfiles/tools/memkit" \
  --server="$runfiles/server/memkit-server" \
  --pythonpath="$runfiles/python" \
  README.md docs/*.md
