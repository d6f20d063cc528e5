#!/bin/sh
# Real memcached as a plain command taking memcached's flags: the reference
# server of the conformance harness, and the stand-in server under test until
# //server:memkit-server exists. memcached refuses to run as root without -u.
MEMCACHED=/usr/bin/memcached
if [ ! -x "$MEMCACHED" ]; then
  echo "real_memcached.sh: $MEMCACHED is missing; run tools/setup.sh (Debian package memcached)" >&2
  exit 127
fi
if [ "$(id -u)" = 0 ]; then
  exec "$MEMCACHED" -u root "$@"
fi
exec "$MEMCACHED" "$@"
