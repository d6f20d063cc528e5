"""Prints where pymemcache 3.5's HashClient and python-memcached 1.59's Client
place keys, asking the installed libraries themselves (Debian's
python3-pymemcache and python3-memcache), for python_placement_crosscheck_test.

Output, one block per case:
  CASE <distribution> <servers host:port[:weight],...> <live mask 1/0 per server> <key count>
  <key>\t<server index or -1>
"""
import random
import sys

import memcache
from pymemcache.client.rendezvous import RendezvousHash


def keys(count, seed):
    rng = random.Random(seed)
    alphabet = [chr(c) for c in range(0x21, 0x7f)]
    out = []
    for i in range(count):
        kind = i % 10
        if kind < 4:
            out.append("key:%d" % i)
        elif kind < 7:
            out.append("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40))))
        elif kind == 7:
            out.append("user:%d:profile" % (i * 7919))
        elif kind == 8:
            out.append("ключ:%d" % i)
        else:
            out.append("キー%dé" % i)
    return out


def python_memcached(servers, live, key_list):
    specs = []
    for host, port, weight in servers:
        name = "%s:%d" % (host, port)
        specs.append((name, weight) if weight != 1 else name)
    client = memcache.Client(specs)
    for server, alive in zip(client.servers, live):
        server.connect = (lambda a: (lambda: 1 if a else 0))(alive)
    result = []
    for key in key_list:
        server, _ = client._get_server(key.encode("utf8"))
        result.append(-1 if server is None else client.servers.index(server))
    return result


def pymemcache(servers, live, key_list):
    names = ["%s:%d" % (host, port) for host, port, _ in servers]
    hasher = RendezvousHash([n for n, alive in zip(names, live) if alive])
    result = []
    for key in key_list:
        node = hasher.get_node(key)
        result.append(-1 if node is None else names.index(node))
    return result


def main():
    three = [("10.0.0.1", 11211, 1), ("10.0.0.2", 11211, 1), ("10.0.0.3", 11212, 1)]
    cases = [
        (three, [1, 1, 1], 100000),
        ([("127.0.0.1", 11211, 1), ("127.0.0.1", 11212, 1)], [1, 1], 20000),
        ([("cache-%d.example" % i, 11211, 1) for i in range(10)], [1] * 10, 20000),
        ([("10.0.0.%d" % i, 11211 + i, 1) for i in range(5)], [1, 0, 1, 0, 1], 20000),
        (three, [1, 0, 1], 20000),
        (three, [0, 0, 1], 5000),
        ([("a", 1, 1)], [1], 1000),
    ]
    weighted = [
        ([("10.0.0.1", 11211, 1), ("10.0.0.2", 11211, 2), ("10.0.0.3", 11211, 3)], [1, 1, 1], 20000),
        ([("10.0.0.1", 11211, 5), ("10.0.0.2", 11211, 1)], [1, 0], 20000),
    ]
    out = sys.stdout
    seed = 0
    for name, fn, extra in (("python_memcached", python_memcached, weighted),
                            ("rendezvous", pymemcache, [])):
        for servers, live, count in cases + extra:
            seed += 1
            key_list = keys(count, seed)
            spec = ",".join("%s:%d:%d" % s for s in servers)
            out.write("CASE %s %s %s %d\n" % (name, spec, "".join(map(str, live)), count))
            for key, index in zip(key_list, fn(servers, live, key_list)):
                out.write("%s\t%d\n" % (key, index))


if __name__ == "__main__":
    main()
