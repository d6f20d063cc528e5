"""Tests of the memkit Python module: every Testing control, GetStats and the
admin API from Python, with pymemcache and pylibmc as the clients."""

import subprocess
import sys
import time

import pylibmc
import pymemcache.client.base
import pymemcache.exceptions
import pytest

import memkit
from memkit._proto import pb

pytest_plugins = ["memkit.pytest_plugin"]


@pytest.fixture
def server():
    with memkit.MemkitServer() as s:
        yield s


def client(server):
    return pymemcache.client.base.Client(server.address, connect_timeout=1, timeout=1,
                                         default_noreply=False)


def test_starts_on_free_ports_and_stops(server):
    assert server.port and server.port != 11211
    assert server.admin_address.startswith("127.0.0.1:")
    process = server.process
    server.stop()
    assert process.poll() is not None  # really stopped
    server.stop()  # idempotent


def test_get_stats_counts_what_the_clients_did(server):
    c = client(server)
    before = server.stats()
    assert c.set("a", b"1")
    assert c.get("a") == b"1"
    assert c.get("missing") is None
    after = server.stats()
    assert after["cmd_set_total"] - before.get("cmd_set_total", 0) == 1
    assert after["get_hits_total"] - before.get("get_hits_total", 0) == 1
    assert after["get_misses_total"] - before.get("get_misses_total", 0) == 1
    snapshot = server.admin.get_stats()
    assert snapshot.component == "memkit-server"
    assert any(s.kind == pb.SCOPE_KIND_SERVER for s in snapshot.scopes)


def test_python_cli_prints_stats_as_json(server):
    out = subprocess.run([sys.executable, "-m", "memkit", "stats", server.admin_address],
                         check=True, capture_output=True, text=True).stdout
    assert '"component": "memkit-server"' in out


def test_pylibmc_sees_expiry_after_the_clock_moves(server):
    mc = pylibmc.Client([server.servers], binary=True)
    mc.set("k", "v", time=30)
    assert mc.get("k") == "v"
    server.advance_clock(31)
    assert mc.get("k") is None


def test_frozen_clock_stops_expiry(server):
    c = client(server)
    server.freeze_clock()
    assert c.set("k", b"v", expire=1)
    time.sleep(1.5)  # real time passes; the frozen server clock does not
    assert c.get("k") == b"v"
    server.advance_clock(2)
    assert c.get("k") is None


def test_outage_refuses_then_recovers(server):
    c = client(server)
    assert c.set("k", b"v")
    with server.outage("refuse"):
        with pytest.raises((OSError, pymemcache.exceptions.MemcacheError)):
            client(server).get("k")
    assert client(server).get("k") == b"v"


def test_fail_next_answers_server_error(server):
    c = client(server)
    state = server.fail_next(1, "out of memory storing object")
    assert state.failures_pending == 1
    with pytest.raises(pymemcache.exceptions.MemcacheServerError):
        c.set("k", b"v")
    assert c.set("k", b"v")  # only one failed


def test_latency_delays_replies(server):
    c = client(server)
    c.get("warm")
    server.set_latency(0.2)
    start = time.monotonic()
    c.get("k")
    assert time.monotonic() - start >= 0.19
    server.clear_faults()
    start = time.monotonic()
    c.get("k")
    assert time.monotonic() - start < 0.19


def test_dropped_reply_times_the_client_out(server):
    c = pymemcache.client.base.Client(server.address, timeout=0.3, default_noreply=False)
    c.get("warm")
    server.drop_replies(1)
    with pytest.raises((OSError, pymemcache.exceptions.MemcacheError)):
        c.get("k")


def test_close_all_connections(server):
    c = client(server)
    c.get("warm")
    assert server.close_all_connections() >= 1


def test_admin_errors_carry_the_grpc_code(server):
    with pytest.raises(memkit.AdminError) as e:
        server.admin.call("ListPools")
    assert e.value.code.name == "UNIMPLEMENTED"


def test_test_controls_off_means_failed_precondition():
    with memkit.MemkitServer(test_controls=False) as s:
        with pytest.raises(memkit.AdminError) as e:
            s.advance_clock(1)
        assert e.value.code.name == "FAILED_PRECONDITION"


def test_python_memcached_client(server):
    memcache = pytest.importorskip("memcache", reason="python3-memcache is not installed")

    mc = memcache.Client([server.servers])
    assert mc.set("k", {"a": 1}, time=10)
    assert mc.get("k") == {"a": 1}
    server.advance_clock(11)
    assert mc.get("k") is None


def test_pytest_plugin_fixture(memkit_server):
    c = client(memkit_server)
    assert c.set("k", b"v", expire=5)
    memkit_server.advance_clock(6)
    assert c.get("k") is None
