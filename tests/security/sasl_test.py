"""-S (SASL in the binary protocol) against real memcached 1.6.18 and
memkit-server with the same users: pylibmc's username/password and a raw
binary client.

Debian's memcached takes its users from Cyrus SASL (a sasldb, written here
by make_sasldb, and SASL_CONF_PATH/memcached.conf with mech_list: plain);
memkit-server from MEMCACHED_SASL_PWDB, a user:password file (what
memcached's --enable-sasl-pwdb build reads).
"""

import os
import socket
import struct
import subprocess

import pylibmc
import pytest

from security_test import MEMCACHED, MEMKIT, Server

PLAIN_PLUGIN = "/usr/lib/x86_64-linux-gnu/sasl2/libplain.so"
MAKE_SASLDB = os.environ.get("MAKE_SASLDB", "")


@pytest.fixture(params=["memcached", "memkit"])
def sasl_server(request, tmp_path):
    assert os.path.exists(PLAIN_PLUGIN), \
        "Cyrus SASL's PLAIN plugin is missing: install libsasl2-modules (tools/setup.sh)"
    os.chmod(tmp_path, 0o755)
    if request.param == "memcached":
        db = tmp_path / "sasldb2"
        subprocess.run([MAKE_SASLDB, str(db), "alice", "secret"], check=True)
        os.chmod(db, 0o644)
        (tmp_path / "memcached.conf").write_text(f"mech_list: plain\nsasldb_path: {db}\n")
        s = Server(MEMCACHED, ["-l", "127.0.0.1", "-S"], tmp_path,
                   env={"SASL_CONF_PATH": str(tmp_path)})
    else:
        users = tmp_path / "users"
        users.write_text("alice:secret\n")
        s = Server(MEMKIT, ["-l", "127.0.0.1", "-S"], tmp_path,
                   env={"MEMCACHED_SASL_PWDB": str(users)})
    yield s
    s.stop()


def packet(opcode, key=b"", value=b"", extras=b""):
    body = extras + key + value
    return struct.pack(">BBHBBHIIQ", 0x80, opcode, len(key), len(extras), 0, 0, len(body),
                       7, 0) + body


def read_response(f):
    head = f.read(24)
    if len(head) < 24:
        return None
    _, opcode, keylen, extlen, _, status, bodylen, _, _ = struct.unpack(">BBHBBHIIQ", head)
    body = f.read(bodylen)
    return opcode, status, body[extlen + keylen:]


def test_pylibmc_login(sasl_server):
    address = [f"127.0.0.1:{sasl_server.port}"]
    good = pylibmc.Client(address, binary=True, username="alice", password="secret")
    assert good.set("k", "v")
    assert good.get("k") == "v"
    with pytest.raises(pylibmc.Error):
        pylibmc.Client(address, binary=True, username="alice", password="wrong").set("k", "x")
    with pytest.raises(pylibmc.Error):
        pylibmc.Client(address, binary=True).set("k", "x")
    assert good.get("k") == "v"


def test_raw_binary_replies(sasl_server):
    with socket.create_connection(("127.0.0.1", sasl_server.port), timeout=5) as sock:
        f = sock.makefile("rb")
        sock.sendall(packet(0x20))  # list mechs
        assert read_response(f) == (0x20, 0, b"PLAIN")
        sock.sendall(packet(0x0b))  # version: allowed before the login
        assert read_response(f) == (0x0b, 0, b"1.6.18")
        sock.sendall(packet(0x21, b"PLAIN", b"\0alice\0wrong"))
        assert read_response(f) == (0x21, 0x20, b"Auth failure.")
        sock.sendall(packet(0x21, b"PLAIN", b"\0alice\0secret"))
        assert read_response(f) == (0x21, 0, b"Authenticated")
        sock.sendall(packet(0x01, b"k", b"v", extras=b"\0" * 8))  # set
        assert read_response(f)[:2] == (0x01, 0)
        sock.sendall(packet(0x22, b"PLAIN", b"x"))  # step: nothing to continue
        assert read_response(f) == (0x22, 0x20, b"Auth failure.")
    with socket.create_connection(("127.0.0.1", sasl_server.port), timeout=5) as sock:
        f = sock.makefile("rb")
        sock.sendall(packet(0x00, b"k"))  # get before any login
        assert read_response(f) == (0x00, 0x20, b"Auth failure.")
        assert f.read(1) == b""  # and the connection is closed


def stats_over_binary(sock, f, group=b""):
    sock.sendall(packet(0x10, group))
    stats = {}
    while True:
        head = f.read(24)
        _, _, keylen, extlen, _, status, bodylen, _, _ = struct.unpack(">BBHBBHIIQ", head)
        body = f.read(bodylen)
        if status != 0 or keylen == 0:
            return stats
        stats[body[extlen:extlen + keylen].decode()] = body[extlen + keylen:].decode()


def test_auth_counters(sasl_server):
    address = [f"127.0.0.1:{sasl_server.port}"]
    with pytest.raises(pylibmc.Error):
        pylibmc.Client(address, binary=True, username="alice", password="wrong").get("k")
    with socket.create_connection(("127.0.0.1", sasl_server.port), timeout=5) as sock:
        f = sock.makefile("rb")
        sock.sendall(packet(0x21, b"PLAIN", b"\0alice\0secret"))
        assert read_response(f) == (0x21, 0, b"Authenticated")
        stats = stats_over_binary(sock, f)
        assert (stats["auth_cmds"], stats["auth_errors"]) == ("2", "1")
        settings = stats_over_binary(sock, f, b"settings")
        assert settings["auth_enabled_sasl"] == "yes"
        assert settings["binding_protocol"] == "binary"
