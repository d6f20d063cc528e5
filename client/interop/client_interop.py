"""The Python half of client/interop_test.cc (run by it; not a test alone).

  client_interop.py write <server,server,...> <pymemcache server>
      pylibmc (default behaviors, and ketama_weighted) and pymemcache store
      typed values under known keys.
  client_interop.py read <server,server,...> <pymemcache server>
      pylibmc and pymemcache read back what memkit stored and check every
      value; exit status 1 (and a line per mismatch) if any differs.

Servers are "127.0.0.1:port:weight". The values are a function of the key
index, mirrored in interop_test.cc.
"""

import sys

import pylibmc
from pymemcache import serde
from pymemcache.client.base import Client as PymemcacheClient

N = 60


def expected(i, compressible=True):
    kind = i % 5
    if kind == 0:
        return i * 1000 - 7000
    if kind == 1:
        return 'text-\u00e9-%d' % i
    if kind == 2:
        return b'bytes-%d' % i
    if kind == 3:
        return i % 10 == 3
    return ('z' * 5000 + str(i)) if compressible else 'long-%d' % i


def pylibmc_clients(servers):
    return {
        'pl-default': pylibmc.Client(servers),
        'pl-kw': pylibmc.Client(servers, behaviors={'ketama_weighted': True}),
    }


def pymemcache_client(server):
    host, port = server.split(':')[:2]
    return PymemcacheClient((host, int(port)), serde=serde.pickle_serde, default_noreply=False)


def write(servers, pm_server):
    for prefix, client in pylibmc_clients(servers).items():
        for i in range(N):
            client.set('%s:%d' % (prefix, i), expected(i), min_compress_len=100)
    pm = pymemcache_client(pm_server)
    for i in range(N):
        pm.set('pm:%d' % i, expected(i, compressible=False))


def same(got, want):
    if isinstance(want, bool):
        return got == want  # pylibmc reads memkit's pylibmc-style bool as 1/0
    if isinstance(want, str) and isinstance(got, bytes):
        return False
    return got == want and type(got) in (type(want), int if isinstance(want, int) else type(want))


def read(servers, pm_server):
    bad = 0
    for prefix, client in pylibmc_clients(servers).items():
        mk = prefix.replace('pl-', 'mk-')
        for i in range(N):
            key = '%s:%d' % (mk, i)
            got = client.get(key)
            if not same(got, expected(i)):
                print('pylibmc %s: got %r want %r' % (key, got, expected(i)))
                bad += 1
    pm = pymemcache_client(pm_server)
    for i in range(N):
        key = 'mk-pm:%d' % i
        got = pm.get(key)
        want = expected(i, compressible=False)
        if not same(got, want):
            print('pymemcache %s: got %r want %r' % (key, got, want))
            bad += 1
    print('read: %d mismatches' % bad)
    return 1 if bad else 0


def main():
    cmd, servers, pm_server = sys.argv[1], sys.argv[2].split(','), sys.argv[3]
    if cmd == 'write':
        write(servers, pm_server)
        return 0
    return read(servers, pm_server)


if __name__ == '__main__':
    sys.exit(main())
