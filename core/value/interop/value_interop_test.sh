#!/bin/sh
# Cross-language value test: pymemcache and pylibmc (Debian's /usr/bin/python3)
# against memkit's codec, through a real /usr/bin/memcached the Python script
# starts on 127.0.0.1 and stops. Args: <value_tool> <value_interop_test.py>.
set -eu
PYTHON=/usr/bin/python3
for f in "$PYTHON" /usr/bin/memcached; do
  if [ ! -x "$f" ]; then
    echo "value_interop_test: $f is missing;" \
         "run tools/setup.sh (Debian packages python3, memcached)" >&2
    exit 1
  fi
done
if ! "$PYTHON" -c 'import pylibmc, pymemcache' 2>/dev/null; then
  echo "value_interop_test: $PYTHON lacks pylibmc or pymemcache;" \
       "run tools/setup.sh (python3-pylibmc, python3-pymemcache)" >&2
  exit 1
fi
exec "$PYTHON" "$2" --tool "$1"
