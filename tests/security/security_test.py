"""memkit-server's -Z (TLS), -S (SASL) and -Y with real clients.

Every TLS case runs against real memcached 1.6.18 (Debian's is built with
TLS) and memkit-server started with the same arguments. SASL against both is
sasl_test.py; the one SASL case here checks memkit's MEMCACHED_SASL_PWDB
alone.
"""

import os
import shutil
import signal
import socket
import ssl
import subprocess
import time

import pylibmc
import pymemcache.client.base
import pymemcache.exceptions
import pytest

MEMCACHED = "/usr/bin/memcached"
MEMKIT = os.environ.get("MEMKIT_SERVER_BINARY", "")


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    """A CA, a server certificate for 127.0.0.1 and a client certificate
    signed by it, and a self-signed client certificate it did not sign."""
    d = tmp_path_factory.mktemp("certs")
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out",
            "ca.pem", "-days", "2", "-subj", "/CN=memkit test CA", cwd=d)
    for name, cn in (("server", "127.0.0.1"), ("client", "memkit client")):
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out",
                f"{name}.csr", "-subj", f"/CN={cn}", cwd=d)
        (d / f"{name}.ext").write_text("subjectAltName=IP:127.0.0.1\n")
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-out", f"{name}.pem", "-days", "2", "-extfile",
                f"{name}.ext", cwd=d)
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "rogue.key", "-out",
            "rogue.pem", "-days", "2", "-subj", "/CN=rogue", cwd=d)
    os.chmod(d, 0o755)
    for f in d.iterdir():
        os.chmod(f, 0o644)
    return d


class Server:
    """memcached or memkit-server on 127.0.0.1, OS-chosen ports read from
    MEMCACHED_PORT_FILENAME (polled with a deadline)."""

    def __init__(self, binary, args, tmp_path, env=None):
        self.ports_file = str(tmp_path / f"ports-{time.monotonic_ns()}")
        command = [binary, "-p", "-1", "-U", "0", *args]
        if binary == MEMCACHED and os.geteuid() == 0:
            command += ["-u", "root"]
        self.log = open(tmp_path / f"log-{time.monotonic_ns()}", "w+")
        self.process = subprocess.Popen(
            command, stdout=self.log, stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {}), "MEMCACHED_PORT_FILENAME": self.ports_file})
        deadline = time.monotonic() + 15
        while not os.path.exists(self.ports_file):
            if self.process.poll() is not None:
                self.log.seek(0)
                raise RuntimeError(f"{command} exited: {self.log.read()}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{command} never wrote its ports file")
            time.sleep(0.01)
        with open(self.ports_file) as f:
            self.ports = [int(line.split()[-1]) for line in f if line.startswith("TCP")]
        self.port = self.ports[0]

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.log.close()


@pytest.fixture(params=["memcached", "memkit"])
def binary(request):
    if request.param == "memkit":
        assert MEMKIT and os.access(MEMKIT, os.X_OK), "MEMKIT_SERVER_BINARY not set"
        return MEMKIT
    assert os.access(MEMCACHED, os.X_OK), "memcached missing (tools/setup.sh installs it)"
    return MEMCACHED


@pytest.fixture
def start(tmp_path):
    servers = []

    def _start(binary, args, env=None):
        s = Server(binary, args, tmp_path, env)
        servers.append(s)
        return s

    yield _start
    for s in servers:
        s.stop()


def tls_args(certs, *extra):
    opts = [f"ssl_chain_cert={certs / 'server.pem'}", f"ssl_key={certs / 'server.key'}", *extra]
    return ["-Z", "-o", ",".join(opts)]


def tls_client(certs, port, cert=None):
    ctx = ssl.create_default_context(cafile=str(certs / "ca.pem"))
    if cert:
        ctx.load_cert_chain(str(certs / f"{cert}.pem"), str(certs / f"{cert}.key"))
    # default_noreply=False: a set waits for STORED, so a get on another
    # connection cannot overtake it.
    return pymemcache.client.base.Client(("127.0.0.1", port), tls_context=ctx,
                                         connect_timeout=5, timeout=5, default_noreply=False)


def stats(client, *args):
    return {k.decode(): v for k, v in client.stats(*args).items()}


def test_pymemcache_over_tls(binary, certs, start):
    s = start(binary, ["-l", "127.0.0.1", *tls_args(certs)])
    c = tls_client(certs, s.port)
    big = os.urandom(600 * 1024)
    assert c.set("big", big)
    assert c.get("big") == big
    assert c.set("a", b"1") and c.set("b", b"2")
    assert c.get_many(["a", "b", "missing"]) == {"a": b"1", "b": b"2"}
    assert c.incr("a", 5) == 6
    st = stats(c)
    assert st["ssl_handshake_errors"] == 0
    assert "time_since_server_cert_refresh" in st
    settings = stats(c, "settings")
    assert settings["ssl_enabled"] == b"yes"
    assert settings["ssl_chain_cert"] == str(certs / "server.pem").encode()
    assert settings["ssl_verify_mode"] == 0
    assert settings["ssl_min_version"] == b"tlsv1.2"


def test_plain_and_tls_listeners_side_by_side(binary, certs, start):
    s = start(binary, ["-l", "127.0.0.1,notls:127.0.0.1:0", *tls_args(certs)])
    assert len(s.ports) == 2
    tls_port, plain_port = s.ports
    assert tls_client(certs, tls_port).set("k", b"over tls")
    plain = pymemcache.client.base.Client(("127.0.0.1", plain_port), connect_timeout=5, timeout=5,
                                          default_noreply=False)
    assert plain.get("k") == b"over tls"
    # A plain client on the TLS port gets no memcached reply.
    with socket.create_connection(("127.0.0.1", tls_port), timeout=5) as sock:
        sock.sendall(b"version\r\n")
        sock.settimeout(2)
        try:
            reply = sock.recv(100)
        except (socket.timeout, ConnectionResetError):
            reply = b""
        assert not reply.startswith(b"VERSION")


def test_openssl_s_client(binary, certs, start):
    s = start(binary, ["-l", "127.0.0.1", *tls_args(certs)])
    out = subprocess.run(
        ["openssl", "s_client", "-connect", f"127.0.0.1:{s.port}", "-quiet", "-verify_return_error",
         "-CAfile", str(certs / "ca.pem")],
        input=b"set k 0 0 5\r\nhello\r\nget k\r\nquit\r\n", capture_output=True, timeout=20)
    assert out.stdout == b"STORED\r\nVALUE k 0 5\r\nhello\r\nEND\r\n", out.stderr


def test_client_certificate_required(binary, certs, start):
    s = start(binary, ["-l", "127.0.0.1",
                       *tls_args(certs, "ssl_verify_mode=2", f"ssl_ca_cert={certs / 'ca.pem'}")])
    assert tls_client(certs, s.port, cert="client").set("k", b"v")
    for cert in (None, "rogue"):
        with pytest.raises((ssl.SSLError, OSError, pymemcache.exceptions.MemcacheError)):
            tls_client(certs, s.port, cert=cert).get("k")
    c = tls_client(certs, s.port, cert="client")
    assert c.get("k") == b"v"
    # memcached counts a handshake error only when its one SSL_accept at
    # accept time fails (the ClientHello has rarely arrived by then); memkit
    # counts every failed handshake (docs/server.md).
    if binary == MEMKIT:
        assert stats(c)["ssl_handshake_errors"] >= 1
    # memcached shows OpenSSL's flags: PEER | FAIL_IF_NO_PEER_CERT.
    assert stats(c, "settings")["ssl_verify_mode"] == 3


def test_client_certificate_requested(binary, certs, start):
    s = start(binary, ["-l", "127.0.0.1",
                       *tls_args(certs, "ssl_verify_mode=1", f"ssl_ca_cert={certs / 'ca.pem'}")])
    # Optional: none is fine, a good one is fine, one the CA did not sign is not.
    assert tls_client(certs, s.port).set("k", b"v")
    assert tls_client(certs, s.port, cert="client").get("k") == b"v"
    with pytest.raises((ssl.SSLError, OSError, pymemcache.exceptions.MemcacheError)):
        tls_client(certs, s.port, cert="rogue").get("k")


def test_minimum_version(binary, certs, start):
    s = start(binary, ["-l", "127.0.0.1", *tls_args(certs, "ssl_min_version=3")])
    ctx = ssl.create_default_context(cafile=str(certs / "ca.pem"))
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    c = pymemcache.client.base.Client(("127.0.0.1", s.port), tls_context=ctx,
                                      connect_timeout=5, timeout=5, default_noreply=False)
    with pytest.raises((ssl.SSLError, OSError, pymemcache.exceptions.MemcacheError)):
        c.get("k")
    assert tls_client(certs, s.port).set("k", b"v")  # TLS 1.3 is fine


def test_refuses_to_start_without_a_certificate(binary, certs, tmp_path):
    for args in (["-Z"], ["-Z", "-o", f"ssl_chain_cert={tmp_path / 'missing.pem'}"]):
        with pytest.raises(RuntimeError):
            Server(binary, ["-l", "127.0.0.1", *args], tmp_path).stop()


def test_ascii_auth_over_tls(binary, certs, start, tmp_path):
    users = tmp_path / "users"
    users.write_text("alice:secret\n")
    os.chmod(tmp_path, 0o755)
    os.chmod(users, 0o644)
    s = start(binary, ["-l", "127.0.0.1", "-Y", str(users), *tls_args(certs)])
    out = subprocess.run(
        ["openssl", "s_client", "-connect", f"127.0.0.1:{s.port}", "-quiet",
         "-CAfile", str(certs / "ca.pem")],
        input=b"get k\r\nset a 0 0 12\r\nalice secret\r\nget k\r\nquit\r\n",
        capture_output=True, timeout=20)
    # The first line may share a read with the login (memcached then sends
    # only the login's reply), so only the login and what follows are fixed.
    assert out.stdout.endswith(b"STORED\r\nEND\r\n"), out.stdout


# ---- SASL (-S): memkit-server's user file (both servers: sasl_test.py)

def test_pylibmc_sasl_login(certs, start, tmp_path):
    users = tmp_path / "sasl_users"
    users.write_text("alice:secret\n")
    s = start(MEMKIT, ["-l", "127.0.0.1", "-S"], env={"MEMCACHED_SASL_PWDB": str(users)})
    good = pylibmc.Client([f"127.0.0.1:{s.port}"], binary=True, username="alice",
                          password="secret")
    assert good.set("k", "v")
    assert good.get("k") == "v"
    bad = pylibmc.Client([f"127.0.0.1:{s.port}"], binary=True, username="alice",
                         password="wrong")
    with pytest.raises(pylibmc.Error):
        bad.set("k", "x")
    # Without credentials the server refuses the command (and closes).
    anonymous = pylibmc.Client([f"127.0.0.1:{s.port}"], binary=True)
    with pytest.raises(pylibmc.Error):
        anonymous.set("k", "x")
    assert good.get("k") == "v"


def test_refresh_certs(binary, certs, start, tmp_path):
    chain, key = tmp_path / "chain.pem", tmp_path / "key.pem"
    shutil.copy(certs / "server.pem", chain)
    shutil.copy(certs / "server.key", key)
    os.chmod(tmp_path, 0o755)
    s = start(binary, ["-l", "127.0.0.1,notls:127.0.0.1:0", "-Z", "-o",
                       f"ssl_chain_cert={chain},ssl_key={key}"])
    tls_port, plain_port = s.ports
    with socket.create_connection(("127.0.0.1", plain_port), timeout=5) as sock:
        f = sock.makefile("rb")
        sock.sendall(b"refresh_certs\r\n")
        assert f.readline() == b"OK\r\n"
        os.rename(chain, tmp_path / "moved.pem")
        sock.sendall(b"refresh_certs noreply\r\n")  # errors ignore noreply
        assert f.readline() == (
            f"Error loading the certificate chain: {chain} : "
            "error:80000002:system library::No such file or directory\r\n").encode()
    # The certificates loaded before still serve.
    assert tls_client(certs, tls_port).set("k", b"v")
