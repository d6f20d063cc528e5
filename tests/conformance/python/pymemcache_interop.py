"""pymemcache (Debian's python3-pymemcache 3.5.2) against the server under test.

Run by run_with_server, which starts the server and sets MEMKIT_SERVER to
127.0.0.1:PORT. Every test starts from an empty cache (flush_all in setUp).
"""

import os
import sys
import unittest
import zlib

try:
    from pymemcache import serde
    from pymemcache.client.base import Client
    from pymemcache.exceptions import MemcacheClientError, MemcacheServerError
except ImportError as error:  # pragma: no cover - environment check
    sys.exit(f"pymemcache is missing ({error}); run tools/setup.sh "
             "(Debian package python3-pymemcache, for /usr/bin/python3)")

SERVER = os.environ.get("MEMKIT_SERVER", "")
FLAG_COMPRESSED = 8  # python-memcached / pylibmc / pymemcache share this bit.


def server_address():
    host, _, port = SERVER.rpartition(":")
    return (host, int(port))


class RawSerde:
    """Stores bytes as given and returns (bytes, flags) so tests see the flags."""

    def serialize(self, key, value):
        data, flags = value
        return data, flags

    def deserialize(self, key, value, flags):
        return value, flags


class CompressingSerde:
    """python_memcache's serializer plus zlib for values of 64 bytes or more."""

    def __init__(self, threshold=64):
        self.threshold = threshold
        self.inner = serde.pickle_serde

    def serialize(self, key, value):
        data, flags = self.inner.serialize(key, value)
        if len(data) >= self.threshold:
            packed = zlib.compress(data)
            if len(packed) < len(data):
                return packed, flags | FLAG_COMPRESSED
        return data, flags

    def deserialize(self, key, value, flags):
        if flags & FLAG_COMPRESSED:
            value = zlib.decompress(value)
            flags &= ~FLAG_COMPRESSED
        return self.inner.deserialize(key, value, flags)


class PymemcacheInterop(unittest.TestCase):
    def setUp(self):
        self.client = Client(server_address(), connect_timeout=5, timeout=5,
                             default_noreply=False, serde=serde.pickle_serde)
        self.raw = Client(server_address(), connect_timeout=5, timeout=5,
                          default_noreply=False, serde=RawSerde())
        self.assertTrue(self.client.flush_all())

    def tearDown(self):
        self.client.close()
        self.raw.close()

    def test_set_get_delete(self):
        self.assertTrue(self.client.set("k", b"value"))
        self.assertEqual(self.client.get("k"), b"value")
        self.assertTrue(self.client.delete("k"))
        self.assertIsNone(self.client.get("k"))
        self.assertFalse(self.client.delete("k"))
        self.assertEqual(self.client.get("k", default=b"dflt"), b"dflt")

    def test_noreply_set_then_get(self):
        self.assertTrue(self.client.set("k", b"v", noreply=True))
        self.assertEqual(self.client.get("k"), b"v")

    def test_get_many_and_set_many(self):
        failed = self.client.set_many({"a": b"1", "b": b"2", "c": b"3"})
        self.assertEqual(failed, [])
        self.assertEqual(self.client.get_many(["a", "b", "missing", "c"]),
                         {"a": b"1", "b": b"2", "c": b"3"})
        self.assertEqual(self.client.get_multi(["missing"]), {})
        self.assertTrue(self.client.delete_many(["a", "b"]))
        self.assertEqual(self.client.get_many(["a", "b", "c"]), {"c": b"3"})

    def test_add_replace_append_prepend(self):
        self.assertTrue(self.client.add("k", b"1"))
        self.assertFalse(self.client.add("k", b"2"))
        self.assertTrue(self.client.replace("k", b"b"))
        self.assertFalse(self.client.replace("missing", b"x"))
        self.assertTrue(self.client.append("k", b"c"))
        self.assertTrue(self.client.prepend("k", b"a"))
        self.assertEqual(self.client.get("k"), b"abc")
        self.assertFalse(self.client.append("missing", b"x"))
        self.assertFalse(self.client.prepend("missing", b"x"))

    def test_incr_decr(self):
        self.assertTrue(self.client.set("n", b"10"))
        self.assertEqual(self.client.incr("n", 5), 15)
        self.assertEqual(self.client.decr("n", 20), 0)  # Floors at zero.
        self.assertIsNone(self.client.incr("missing", 1))
        self.assertIsNone(self.client.decr("missing", 1))
        self.assertTrue(self.client.set("n", b"18446744073709551615"))
        self.assertEqual(self.client.incr("n", 2), 1)  # Wraps at 2**64.
        self.assertTrue(self.client.set("s", b"abc"))
        with self.assertRaises(MemcacheClientError):
            self.client.incr("s", 1)

    def test_gets_and_cas(self):
        self.assertTrue(self.client.set("k", b"v1"))
        value, cas = self.client.gets("k")
        self.assertEqual(value, b"v1")
        self.assertTrue(self.client.cas("k", b"v2", cas))
        self.assertFalse(self.client.cas("k", b"v3", cas))  # Stale CAS: EXISTS.
        self.assertIsNone(self.client.cas("missing", b"v", cas))  # NOT_FOUND.
        self.assertEqual(self.client.get("k"), b"v2")
        self.assertEqual(self.client.gets("missing"), (None, None))
        many = self.client.gets_many(["k", "missing"])
        self.assertEqual(list(many), ["k"])
        self.assertEqual(many["k"][0], b"v2")
        self.assertNotEqual(many["k"][1], cas)

    def test_touch_and_expiry(self):
        self.assertTrue(self.client.set("k", b"v", expire=100))
        self.assertTrue(self.client.touch("k", expire=200))
        self.assertFalse(self.client.touch("missing", expire=10))
        self.assertTrue(self.client.set("gone", b"v", expire=-1))
        self.assertIsNone(self.client.get("gone"))

    def test_flush_all(self):
        self.client.set_many({"a": b"1", "b": b"2"})
        self.assertTrue(self.client.flush_all())
        self.assertEqual(self.client.get_many(["a", "b"]), {})

    def test_typed_values_and_flags(self):
        # pymemcache's python_memcache-compatible flags: 0 bytes, 1 pickle,
        # 2 int, 16 text.
        cases = [
            (b"raw\x00bytes", 0),
            ("text \u00e9", 16),
            (12345, 2),
            ({"a": [1, 2, 3]}, 1),
        ]
        for value, flags in cases:
            with self.subTest(value=value):
                self.assertTrue(self.client.set("typed", value))
                self.assertEqual(self.client.get("typed"), value)
                _, stored_flags = self.raw.get("typed")
                self.assertEqual(stored_flags, flags)

    def test_flags_round_trip_full_range(self):
        for flags in (0, 1, 0xFFFF, 0xFFFFFFFF):
            self.assertTrue(self.raw.set("f", (b"x", flags)))
            self.assertEqual(self.raw.get("f"), (b"x", flags))

    def test_compression(self):
        client = Client(server_address(), connect_timeout=5, timeout=5,
                        default_noreply=False, serde=CompressingSerde())
        big = "memkit " * 1000
        self.assertTrue(client.set("big", big))
        self.assertEqual(client.get("big"), big)
        stored, flags = self.raw.get("big")
        self.assertTrue(flags & FLAG_COMPRESSED)
        self.assertLess(len(stored), len(big) // 10)
        self.assertTrue(client.set("small", "tiny"))
        self.assertEqual(self.raw.get("small")[1] & FLAG_COMPRESSED, 0)
        client.close()

    def test_binary_safe_values(self):
        value = bytes(range(256)) * 4 + b"\r\nEND\r\n"
        self.assertTrue(self.client.set("bin", value))
        self.assertEqual(self.client.get("bin"), value)

    def test_large_value_and_too_large(self):
        value = b"x" * (512 * 1024)
        self.assertTrue(self.client.set("large", value))
        self.assertEqual(self.client.get("large"), value)
        with self.assertRaises(MemcacheServerError):
            self.client.set("huge", b"x" * (2 * 1024 * 1024))

    def test_stats(self):
        self.client.set("k", b"v")
        self.client.get("k")
        self.client.get("missing")
        stats = self.client.stats()
        for key in (b"pid", b"uptime", b"version", b"curr_items", b"total_items",
                    b"cmd_get", b"cmd_set", b"get_hits", b"get_misses", b"bytes",
                    b"curr_connections", b"limit_maxbytes", b"threads"):
            self.assertIn(key, stats)
        self.assertGreaterEqual(stats[b"get_hits"], 1)
        self.assertGreaterEqual(stats[b"get_misses"], 1)
        # memcached's flush_all is lazy: flushed items may still be counted.
        self.assertGreaterEqual(stats[b"curr_items"], 1)
        settings = self.client.stats("settings")
        self.assertIn(b"maxbytes", settings)
        self.assertIn(b"item_size_max", settings)

    def test_version(self):
        version = self.client.version()
        self.assertRegex(version, rb"^\d+\.\d+\.\d+")

    def test_many_keys_multiget(self):
        values = {f"key{i}": str(i).encode() for i in range(200)}
        self.assertEqual(self.client.set_many(values), [])
        self.assertEqual(self.client.get_many(list(values)), values)


if __name__ == "__main__":
    if not SERVER:
        sys.exit("MEMKIT_SERVER is not set; run this through run_with_server")
    unittest.main(verbosity=2)
