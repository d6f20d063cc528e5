"""pymemcache 3.5 (Debian's python3-pymemcache) and pylibmc (binary protocol)
through memkit-proxy, whose address is in MEMKIT_PROXY (127.0.0.1:PORT).
The proxy fronts several memcached servers, so multi-key calls span them."""

import os
import sys
import unittest

try:
    from pymemcache.client.base import Client
except ImportError as error:  # pragma: no cover - environment check
    sys.exit(f"pymemcache is missing ({error}); install python3-pymemcache")

PROXY = os.environ["MEMKIT_PROXY"]
HOST, _, PORT = PROXY.rpartition(":")


class PymemcacheThroughProxy(unittest.TestCase):
    def setUp(self):
        self.client = Client((HOST, int(PORT)), connect_timeout=5, timeout=5)

    def tearDown(self):
        self.client.close()

    def test_set_get_delete(self):
        self.assertTrue(self.client.set("pm:a", b"alpha", noreply=False))
        self.assertEqual(self.client.get("pm:a"), b"alpha")
        self.assertTrue(self.client.delete("pm:a", noreply=False))
        self.assertIsNone(self.client.get("pm:a"))

    def test_noreply_then_get(self):
        self.client.set("pm:nr", b"quiet", noreply=True)
        self.assertEqual(self.client.get("pm:nr"), b"quiet")

    def test_get_many_spans_servers(self):
        values = {f"pm:many:{i}": f"v{i}".encode() for i in range(100)}
        self.assertEqual(self.client.set_many(values, noreply=False), [])
        keys = list(values) + ["pm:many:absent"]
        got = self.client.get_many(keys)
        self.assertEqual(got, values)

    def test_add_replace_append_prepend(self):
        self.client.delete("pm:s", noreply=False)
        self.assertTrue(self.client.add("pm:s", b"b", noreply=False))
        self.assertFalse(self.client.add("pm:s", b"x", noreply=False))
        self.assertTrue(self.client.append("pm:s", b"c", noreply=False))
        self.assertTrue(self.client.prepend("pm:s", b"a", noreply=False))
        self.assertTrue(self.client.replace("pm:s", b"abc!", noreply=False))
        self.assertEqual(self.client.get("pm:s"), b"abc!")

    def test_incr_decr(self):
        self.client.set("pm:n", b"10", noreply=False)
        self.assertEqual(self.client.incr("pm:n", 5, noreply=False), 15)
        self.assertEqual(self.client.decr("pm:n", 20, noreply=False), 0)
        self.assertIsNone(self.client.incr("pm:absent-counter", 1, noreply=False))

    def test_gets_cas(self):
        self.client.set("pm:c", b"one", noreply=False)
        value, cas = self.client.gets("pm:c")
        self.assertEqual(value, b"one")
        self.assertTrue(self.client.cas("pm:c", b"two", cas, noreply=False))
        self.assertFalse(self.client.cas("pm:c", b"three", cas, noreply=False))
        self.assertEqual(self.client.get("pm:c"), b"two")

    def test_touch_and_flags(self):
        self.client.set("pm:t", b"x", noreply=False)
        self.assertTrue(self.client.touch("pm:t", 100, noreply=False))
        self.assertFalse(self.client.touch("pm:absent", 100, noreply=False))

    def test_large_value(self):
        big = b"z" * (512 * 1024)
        self.assertTrue(self.client.set("pm:big", big, noreply=False))
        self.assertEqual(self.client.get("pm:big"), big)

    def test_version_and_stats(self):
        self.assertEqual(self.client.version(), b"1.6.18-memkit-proxy")
        stats = self.client.stats()
        self.assertIn(b"pool:default:requests", stats)
        self.assertIn(b"pool:default:servers_up", stats)

    def test_flush_all(self):
        self.client.set("pm:f", b"x", noreply=False)
        self.assertTrue(self.client.flush_all(noreply=False))
        self.assertIsNone(self.client.get("pm:f"))


class PylibmcBinaryThroughProxy(unittest.TestCase):
    def test_binary_protocol(self):
        try:
            import pylibmc
        except ImportError:  # pragma: no cover
            self.fail("pylibmc is missing; install python3-pylibmc")
        mc = pylibmc.Client([PROXY], binary=True)
        self.assertTrue(mc.set("pl:a", "alpha"))
        self.assertEqual(mc.get("pl:a"), "alpha")
        mc.set_multi({f"pl:m:{i}": i for i in range(50)})
        got = mc.get_multi([f"pl:m:{i}" for i in range(50)] + ["pl:absent"])
        self.assertEqual(got, {f"pl:m:{i}": i for i in range(50)})
        self.assertEqual(mc.incr("pl:m:7", 3), 10)
        self.assertTrue(mc.delete("pl:a"))
        self.assertIsNone(mc.get("pl:a"))
        self.assertFalse(mc.add("pl:m:1", 5))


if __name__ == "__main__":
    unittest.main(verbosity=2)
