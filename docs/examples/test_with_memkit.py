"""Testing code that uses memcached, with memkit (docs/python.md).

Run: PYTHONPATH=python /usr/bin/python3 -m pytest docs/examples/test_with_memkit.py
(after `bazel build //server:memkit-server` and python/generate.sh), or
`bazel test //python:example_test`, which the test suite runs.
"""

import pymemcache.client.base
import pymemcache.exceptions
import pytest

from memkit import MemkitServer


@pytest.fixture
def memcached():
    """A fresh memkit-server per test, stopped afterwards."""
    with MemkitServer() as server:
        yield server


def make_client(server):
    # Short timeouts so that an outage shows up quickly.
    return pymemcache.client.base.Client(server.address, connect_timeout=1, timeout=1,
                                         default_noreply=False)


def test_items_expire_when_the_server_clock_moves(memcached):
    client = make_client(memcached)
    assert client.set("session:42", b"alice", expire=60)
    memcached.advance_clock(59)
    assert client.get("session:42") == b"alice"  # not yet
    memcached.advance_clock(2)
    assert client.get("session:42") is None  # 61 s later: gone, without waiting


def test_code_survives_a_server_outage(memcached):
    def cached_lookup(client, key, compute):
        """The code under test: read-through caching that must not fail when
        memcached is down."""
        try:
            value = client.get(key)
        except (OSError, pymemcache.exceptions.MemcacheError):
            return compute()  # cache down: serve from the source
        if value is None:
            value = compute()
            try:
                client.set(key, value)
            except (OSError, pymemcache.exceptions.MemcacheError):
                pass
        return value

    client = make_client(memcached)
    assert cached_lookup(client, "user:1", lambda: b"from-db") == b"from-db"
    assert client.get("user:1") == b"from-db"  # cached
    with memcached.outage():
        with pytest.raises((OSError, pymemcache.exceptions.MemcacheError)):
            make_client(memcached).get("user:1")  # really down
        assert cached_lookup(make_client(memcached), "user:1", lambda: b"db-again") == b"db-again"
    # Back up (an outage keeps the items): the cache answers again.
    assert cached_lookup(make_client(memcached), "user:1", lambda: b"unused") == b"from-db"
