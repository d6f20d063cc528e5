"""pylibmc (Debian's python3-pylibmc 1.6.3, on libmemcached) against the server
under test, over the text protocol and again over the binary protocol.

Run by run_with_server, which starts the server and sets MEMKIT_SERVER to
127.0.0.1:PORT. Every test starts from an empty cache (flush_all in setUp).
"""

import os
import pickle
import sys
import unittest

try:
    import pylibmc
except ImportError as error:  # pragma: no cover - environment check
    sys.exit(f"pylibmc is missing ({error}); run tools/setup.sh "
             "(Debian package python3-pylibmc, for /usr/bin/python3)")

SERVER = os.environ.get("MEMKIT_SERVER", "")


class PylibmcText(unittest.TestCase):
    BINARY = False

    def make_client(self, **behaviors):
        merged = {"cas": True, "tcp_nodelay": True, "connect_timeout": 5000,
                  "receive_timeout": 5000000, "send_timeout": 5000000}
        merged.update(behaviors)
        return pylibmc.Client([SERVER], binary=self.BINARY, behaviors=merged)

    def setUp(self):
        self.client = self.make_client()
        self.assertTrue(self.client.flush_all())

    def tearDown(self):
        self.client.disconnect_all()

    def test_set_get_delete(self):
        self.assertTrue(self.client.set("k", b"value"))
        self.assertEqual(self.client.get("k"), b"value")
        self.assertTrue(self.client.delete("k"))
        self.assertIsNone(self.client.get("k"))
        self.assertFalse(self.client.delete("k"))

    def test_get_multi_and_set_multi(self):
        self.assertEqual(self.client.set_multi({"a": b"1", "b": b"2", "c": b"3"}), [])
        self.assertEqual(self.client.get_multi(["a", "b", "missing", "c"]),
                         {"a": b"1", "b": b"2", "c": b"3"})
        self.assertEqual(self.client.get_multi(["x", "y"], key_prefix="none:"), {})
        self.assertEqual(self.client.set_multi({"1": b"one"}, key_prefix="p:"), [])
        self.assertEqual(self.client.get_multi(["1"], key_prefix="p:"), {"1": b"one"})
        self.assertTrue(self.client.delete_multi(["a", "b"]))
        self.assertEqual(self.client.get_multi(["a", "b", "c"]), {"c": b"3"})

    def test_add_replace_append_prepend(self):
        self.assertTrue(self.client.add("k", b"1"))
        self.assertFalse(self.client.add("k", b"2"))
        self.assertTrue(self.client.replace("k", b"b"))
        if self.BINARY:
            # libmemcached reports the binary protocol's NOT_FOUND for a
            # replace as an error rather than NOT_STORED.
            with self.assertRaises(pylibmc.NotFound):
                self.client.replace("missing", b"x")
        else:
            self.assertFalse(self.client.replace("missing", b"x"))
        self.assertTrue(self.client.append("k", b"c"))
        self.assertTrue(self.client.prepend("k", b"a"))
        self.assertEqual(self.client.get("k"), b"abc")
        self.assertFalse(self.client.append("missing", b"x"))

    def test_incr_decr(self):
        self.assertTrue(self.client.set("n", 10))
        self.assertEqual(self.client.incr("n", 5), 15)
        self.assertEqual(self.client.decr("n", 20), 0)
        self.assertEqual(self.client.get("n"), 0)
        with self.assertRaises(pylibmc.NotFound):
            self.client.incr("missing")
        with self.assertRaises(pylibmc.NotFound):
            self.client.decr("missing")
        self.client.incr_multi(["n", "n"], delta=3)
        self.assertEqual(self.client.get("n"), 6)

    def test_incr_non_numeric(self):
        self.assertTrue(self.client.set("s", b"abc"))
        with self.assertRaises(pylibmc.Error):
            self.client.incr("s")

    def test_gets_and_cas(self):
        self.assertTrue(self.client.set("k", b"v1"))
        value, cas = self.client.gets("k")
        self.assertEqual(value, b"v1")
        self.assertTrue(self.client.cas("k", b"v2", cas))
        self.assertFalse(self.client.cas("k", b"v3", cas))
        self.assertEqual(self.client.get("k"), b"v2")
        self.assertEqual(self.client.gets("missing"), (None, None))

    def test_touch_and_expiry(self):
        self.assertTrue(self.client.set("k", b"v", time=100))
        self.assertTrue(self.client.touch("k", 200))
        self.assertFalse(self.client.touch("missing", 10))
        self.assertEqual(self.client.get("k"), b"v")

    def test_flush_all(self):
        self.client.set_multi({"a": b"1", "b": b"2"})
        self.assertTrue(self.client.flush_all())
        self.assertEqual(self.client.get_multi(["a", "b"]), {})

    def test_typed_values(self):
        for value in (b"raw", "text \u00e9", 42, 2**62, True, False, 1.5,
                      {"nested": [1, (2, 3)]}):
            with self.subTest(value=value):
                self.assertTrue(self.client.set("typed", value))
                got = self.client.get("typed")
                self.assertEqual(got, value)
                # pylibmc stores a bool as the int 0 / 1 and reads back an int.
                expected_type = int if isinstance(value, bool) else type(value)
                self.assertEqual(type(got), expected_type)

    def test_flags_as_pylibmc_writes_them(self):
        # pylibmc's flags: 0 bytes, 1 pickle, 4 int (as "long"), 16 text.
        self.assertEqual(self.client.serialize(b"x")[1], 0)
        self.assertEqual(self.client.serialize(7)[1], 4)
        self.assertEqual(self.client.serialize("t")[1], 16)
        self.assertEqual(self.client.serialize([1])[1], 1)

    def test_compression(self):
        client = self.make_client()
        big = b"memkit " * 2000
        self.assertTrue(client.set("big", big, min_compress_len=100))
        self.assertEqual(client.get("big"), big)
        self.assertTrue(client.set("small", b"tiny", min_compress_len=100))
        self.assertEqual(client.get("small"), b"tiny")
        client.disconnect_all()

    def test_binary_safe_values(self):
        value = bytes(range(256)) * 4 + b"\r\nEND\r\n"
        self.assertTrue(self.client.set("bin", value))
        self.assertEqual(self.client.get("bin"), value)

    def test_large_value_and_too_large(self):
        value = b"x" * (512 * 1024)
        self.assertTrue(self.client.set("large", value))
        self.assertEqual(self.client.get("large"), value)
        with self.assertRaises((pylibmc.TooBig, pylibmc.Error)):
            self.client.set("huge", b"x" * (2 * 1024 * 1024))

    def test_stats(self):
        self.client.set("k", b"v")
        self.client.get("k")
        stats = self.client.get_stats()
        self.assertEqual(len(stats), 1)
        name, values = stats[0]
        self.assertIn(SERVER.split(":")[-1].encode(), name)
        for key in ("pid", "uptime", "version", "curr_items", "cmd_get", "get_hits"):
            self.assertIn(key, values)
        # memcached's flush_all is lazy: flushed items may still be counted.
        self.assertGreaterEqual(int(values["curr_items"]), 1)
        self.assertGreaterEqual(int(values["get_hits"]), 1)
        # (pylibmc maps `stats settings` onto libmemcached's fixed stat
        # struct, which has no settings keys, so only general stats are read.)

    def test_many_keys_multiget(self):
        values = {f"key{i}": str(i).encode() for i in range(200)}
        self.assertEqual(self.client.set_multi(values), [])
        self.assertEqual(self.client.get_multi(list(values)), values)

    def test_cross_client_with_pymemcache(self):
        try:
            from pymemcache import serde
            from pymemcache.client.base import Client
        except ImportError:
            self.skipTest("pymemcache not installed")
        host, _, port = SERVER.rpartition(":")
        other = Client((host, int(port)), default_noreply=False, serde=serde.pickle_serde,
                       connect_timeout=5, timeout=5)
        # Both use python-memcached's flags for bytes, text and pickles.
        self.assertTrue(self.client.set("from_pylibmc", "caf\u00e9"))
        self.assertEqual(other.get("from_pylibmc"), "caf\u00e9")
        self.assertTrue(other.set("from_pymemcache", {"a": 1}))
        self.assertEqual(self.client.get("from_pymemcache"), {"a": 1})
        self.assertTrue(other.set("raw", b"\x00\x01"))
        self.assertEqual(self.client.get("raw"), b"\x00\x01")
        other.close()


class PylibmcBinary(PylibmcText):
    BINARY = True

    def test_incr_non_numeric(self):
        self.assertTrue(self.client.set("s", b"abc"))
        with self.assertRaises(pylibmc.Error):
            self.client.incr("s")


if __name__ == "__main__":
    if not SERVER:
        sys.exit("MEMKIT_SERVER is not set; run this through run_with_server")
    # Unpickling needs the same protocol both ways; pin it for reproducibility.
    assert pickle.HIGHEST_PROTOCOL >= 4
    unittest.main(verbosity=2)
