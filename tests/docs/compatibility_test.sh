#!/usr/bin/env bash
# Checks docs/compatibility.md against real memcached, memkit-server and
# memkit-proxy (tests/docs/compat_check.py does the work and prints every row).
set -euo pipefail
runfiles=${TEST_SRCDIR:-$PWD/..}/memkit
if [ ! -x /usr/bin/memcached ]; then
  echo "missing /usr/bin/memcached (Debian package memcached; tools/setup.sh installs it)"
  exit 1
fi
exec /usr/bin/python3 "$runfiles/tests/docs/compat_check.py" \
  --memcached=/usr/bin/memcached \
  --server="$runfiles/server/memkit-server" \
  --proxy="$runfiles/proxy/memkit-proxy" \
  --check="$runfiles/docs/compatibility.md"
