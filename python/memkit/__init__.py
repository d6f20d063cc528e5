"""memkit for Python tests: a real memcached-compatible server under test control.

The fakeredis experience for memcached: start memkit-server on a free port with
its test controls on, point pymemcache / pylibmc / python-memcached at it, then
move its clock and inject faults through its gRPC admin API::

    from memkit import MemkitServer

    with MemkitServer() as server:
        client = pymemcache.client.base.Client(server.address)
        client.set("k", "v", expire=60)
        server.advance_clock(seconds=61)
        assert client.get("k") is None
        with server.outage():
            ...  # connections are refused until the block ends

Only the standard library, Debian's python3-grpcio and python3-protobuf, and
stubs generated from core/admin/admin.proto by Debian's protoc at build time.
See docs/python.md.
"""

from memkit.admin import AdminClient, AdminError
from memkit.server import MemkitServer, find_server_binary

__all__ = ["AdminClient", "AdminError", "MemkitServer", "find_server_binary"]
