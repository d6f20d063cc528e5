"""pytest fixtures for memkit: enable with `pytest -p memkit.pytest_plugin` or
`pytest_plugins = ["memkit.pytest_plugin"]` in a conftest.py.

    def test_expiry(memkit_server):
        client = pymemcache.client.base.Client(memkit_server.address)
        ...
"""

import pytest

from memkit.server import MemkitServer


@pytest.fixture
def memkit_server():
    """A memkit-server with test controls, fresh for each test."""
    with MemkitServer() as server:
        yield server


@pytest.fixture(scope="module")
def memkit_server_module():
    """One memkit-server shared by a module's tests (flushed and with faults
    cleared before each use is up to the tests)."""
    with MemkitServer() as server:
        yield server
