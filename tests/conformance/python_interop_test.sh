#!/bin/sh
# Runs one Python client interop script against a fresh server under test.
#   python_interop_test.sh RUN_WITH_SERVER SERVER SCRIPT
# Uses Debian's /usr/bin/python3, where python3-pymemcache and python3-pylibmc
# are installed (the image's default python3 is a different interpreter).
set -eu
PYTHON=/usr/bin/python3
if [ ! -x "$PYTHON" ]; then
  echo "python_interop_test: $PYTHON is missing; run tools/setup.sh" >&2
  exit 1
fi
exec "$1" --server="$2" -- "$PYTHON" "$3"
