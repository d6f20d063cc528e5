#!/usr/bin/env bash
# Runs security_test.py with Debian's /usr/bin/python3 (which has pymemcache,
# pylibmc and pytest), pointing it at the built memkit-server.
set -euo pipefail
runfiles=${TEST_SRCDIR:-$PWD/..}/memkit
export MEMKIT_SERVER_BINARY="$runfiles/server/memkit-server"
# Paths Bazel gives relative to the runfiles root, made absolute.
if [[ -n "${MAKE_SASLDB:-}" ]]; then export MAKE_SASLDB="$runfiles/$MAKE_SASLDB"; fi
export PYTHONPATH="$runfiles/tests/security${PYTHONPATH:+:$PYTHONPATH}"
for m in pytest pymemcache pylibmc; do
  /usr/bin/python3 -c "import $m" 2>/dev/null ||
    { echo "missing Debian package for Python module $m (tools/setup.sh installs it)"; exit 1; }
done
command -v openssl >/dev/null || { echo "missing openssl (tools/setup.sh installs it)"; exit 1; }
cd "${TEST_TMPDIR:-/tmp}"
exec /usr/bin/python3 -m pytest -q -p no:cacheprovider "$runfiles/$1"
