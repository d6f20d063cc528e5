"""The Python half of client/interop_test.cc (run by it; not a test alone).

  client_interop.py write <server,server,...> <pymemcache server>
      pylibmc (default behaviors, and ketama_weighted), pymemcache (one
      server, and HashClient over all) and python-memcached (weighted) store
      typed values under known keys.
  client_interop.py read <server,server,...> <pymemcache server>
      pylibmc and pymemcache read back what memkit stored and check every
      value; exit status 1 (and a line per mismatch) if any differs.

Servers are "127.0.0.1:port:weight". The values are a function of the key
index, mirrored in interop_test.cc.
"""

import sys

import memcache
import pylibmc
from pymemcache import serde
from pymemcache.client.base import Client as PymemcacheClient
from pymemcache.client.hash import HashClient

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


def hash_client(servers):
    """pymemcache's HashClient over every server (it has no weights)."""
    nodes = [(h, int(p)) for h, p in (s.split(':')[:2] for s in servers)]
    return HashClient(nodes, serde=serde.pickle_serde, default_noreply=False)


def python_memcached(servers):
    """python-memcached's Client with the servers' weights."""
    specs = []
    for s in servers:
        host, port, weight = s.split(':')
        specs.append(('%s:%s' % (host, port), int(weight)))
    return memcache.Client(specs)


def write(servers, pm_server):
    for prefix, client in pylibmc_clients(servers).items():
        for i in range(N):
            client.set('%s:%d' % (prefix, i), expected(i), min_compress_len=100)
    pm = pymemcache_client(pm_server)
    for i in range(N):
        pm.set('pm:%d' % i, expected(i, compressible=False))
    hc = hash_client(servers)
    for i in range(N):
        hc.set('pmh:%d' % i, expected(i, compressible=False))
    py = python_memcached(servers)
    for i in range(N):
        if not py.set('py:%d' % i, expected(i), min_compress_len=100):
            raise SystemExit('python-memcached could not store py:%d' % i)


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
    for name, client in (('HashClient', hash_client(servers)),
                         ('python-memcached', python_memcached(servers))):
        prefix = 'mk-pmh' if name == 'HashClient' else 'mk-py'
        for i in range(N):
            key = '%s:%d' % (prefix, i)
            got = client.get(key)
            want = expected(i, compressible=(name != 'HashClient'))
            if not same(got, want):
                print('%s %s: got %r want %r' % (name, key, got, want))
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
