"""MemkitServer: a memkit-server process for one test, on free ports.

It starts `memkit-server -p 0 -l 127.0.0.1 --admin-listen=127.0.0.1:0
--enable-test-controls`, waits (with a deadline) until the admin API answers,
learns the memcached port from the admin API's settings, and stops the process
when closed. Every Testing control of the admin API is a method.
"""

import contextlib
import os
import shutil
import subprocess
import tempfile
import time

from memkit.admin import AdminClient


def find_server_binary():
    """memkit-server's path: $MEMKIT_SERVER_BINARY, `memkit-server` on PATH,
    or bazel-bin/server/memkit-server above the current directory."""
    env = os.environ.get("MEMKIT_SERVER_BINARY")
    if env:
        return os.path.abspath(env)
    on_path = shutil.which("memkit-server")
    if on_path:
        return on_path
    d = os.getcwd()
    while True:
        candidate = os.path.join(d, "bazel-bin", "server", "memkit-server")
        if os.access(candidate, os.X_OK):
            return candidate
        parent = os.path.dirname(d)
        if parent == d:
            break
        d = parent
    raise FileNotFoundError(
        "memkit-server not found: set MEMKIT_SERVER_BINARY, put it on PATH, or "
        "`bazel build //server:memkit-server`")


class MemkitServer:
    """A memkit-server started for a test.

    `binary`: the server (default: find_server_binary()). `args`: extra
    memcached flags (e.g. ["-m", "16"]). `test_controls`: serve the Testing
    service (clock, faults). `start_timeout`: seconds to wait for it.

    Attributes once started: `host`, `port` (memcached), `address`
    ((host, port), what pymemcache takes), `servers` ("host:port", what
    pylibmc and python-memcached take), `admin_address`, `admin`
    (an AdminClient).
    """

    def __init__(self, binary=None, args=(), test_controls=True, start_timeout=10.0):
        self.binary = binary or find_server_binary()
        self.args = list(args)
        self.test_controls = test_controls
        self.start_timeout = start_timeout
        self.process = None
        self.admin = None
        self.host = "127.0.0.1"
        self.port = None
        self.admin_address = None
        self._tmp = None

    # ---- lifecycle

    def start(self):
        if self.process is not None:
            return self
        self._tmp = tempfile.mkdtemp(prefix="memkit-")
        port_file = os.path.join(self._tmp, "admin.port")
        cmd = [self.binary, "-p", "0", "-l", self.host, "--admin-listen=127.0.0.1:0",
               "--admin-port-file=" + port_file] + self.args
        if self.test_controls:
            cmd.append("--enable-test-controls")
        self._log = open(os.path.join(self._tmp, "server.log"), "wb")
        self.process = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT)
        try:
            self._wait_started(port_file)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_started(self, port_file):
        deadline = time.monotonic() + self.start_timeout
        while not _has_line(port_file):
            if self.process.poll() is not None:
                raise RuntimeError("memkit-server exited with %s: %s" %
                                   (self.process.returncode, self.log()))
            if time.monotonic() > deadline:
                raise TimeoutError("memkit-server wrote no admin port within %ss" %
                                   self.start_timeout)
            time.sleep(0.01)
        with open(port_file) as f:
            self.admin_address = "127.0.0.1:%d" % int(f.read().strip())
        self.admin = AdminClient(self.admin_address)
        self.admin.wait_ready(timeout=max(0.1, deadline - time.monotonic()))
        self.port = int(self.admin.settings()["tcpport"])

    def stop(self):
        """Stops the server (SIGTERM, then SIGKILL after 5 s) and cleans up."""
        if self.admin is not None:
            self.admin.close()
            self.admin = None
        if self.process is not None:
            if self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
            self.process = None
            self._log.close()
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def log(self):
        """What the server printed so far."""
        if self._tmp is None:
            return ""
        with open(os.path.join(self._tmp, "server.log"), "rb") as f:
            return f.read().decode(errors="replace")

    # ---- where clients connect

    @property
    def address(self):
        return (self.host, self.port)

    @property
    def servers(self):
        return "%s:%d" % (self.host, self.port)

    # ---- test controls (the admin API's Testing service)

    def advance_clock(self, seconds):
        """Moves the server's clock; expiry follows at once."""
        return self.admin.advance_clock(seconds)

    def set_clock(self, unix_seconds=None, frozen=None):
        return self.admin.set_clock(unix_seconds, frozen)

    def freeze_clock(self):
        return self.admin.set_clock(frozen=True)

    @contextlib.contextmanager
    def outage(self, kind="refuse"):
        """Within the block, connections are refused ("refuse") or reset
        ("reset") and open ones are closed; afterwards every fault is cleared."""
        self.admin.start_outage(kind)
        try:
            yield self
        finally:
            self.admin.clear_faults()

    def start_outage(self, kind="refuse"):
        return self.admin.start_outage(kind)

    def set_latency(self, seconds):
        """Holds every reply back by `seconds`."""
        return self.admin.set_latency(seconds)

    def fail_next(self, count, message=""):
        """The next `count` commands answer SERVER_ERROR `message`."""
        return self.admin.fail_next(count, message)

    def drop_replies(self, count):
        """The next `count` commands run but get no reply."""
        return self.admin.drop_replies(count)

    def clear_faults(self):
        return self.admin.clear_faults()

    def close_all_connections(self, reset=False):
        return self.admin.close_all_connections(reset)

    def flush_all(self):
        return self.admin.flush_all()

    def stats(self):
        """{counter name: value} of the server's stats (e.g. "cmd_get_total")."""
        return self.admin.counters()


def _has_line(path):
    try:
        with open(path) as f:
            return f.read().endswith("\n")
    except FileNotFoundError:
        return False
