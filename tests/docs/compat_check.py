#!/usr/bin/python3
"""Checks memkit-server and memkit-proxy against real memcached 1.6.18, side by side.

For every text and meta command, binary opcode, command-line flag and -o option
that memcached 1.6.18 has, this script asks real memcached, memkit-server and
memkit-proxy (in front of a second memcached) the same thing and prints one
table row per item: what each answered and the verdict for memkit
("yes": the same answer, "differs": answered but differently, "no": refused).

  compat_check.py --memcached=BIN --server=BIN --proxy=BIN [--check=FILE] [--only=KIND]

With --check, the verdicts are compared with docs/compatibility.md: each row of
that page whose first cell names a checked item (`set`, `0x01 SET`, `-m`,
`-o hashpower`) must start its memkit-server (and, for commands, memkit-proxy)
cell with the verdict found here. Exit 1 on any mismatch, so the page cannot
rot when a command or flag changes.

Every server is started on 127.0.0.1 with an OS-chosen port (memcached's
`-p -1` with MEMCACHED_PORT_FILENAME), waited for by polling with a deadline,
and stopped before the script exits.
"""

import argparse
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

START_DEADLINE = 10.0   # seconds for a server to write its port file or exit
REPLY_DEADLINE = 5.0    # seconds for a reply to be complete


# ---------------------------------------------------------------------------
# Processes

class Server:
    """One server process on 127.0.0.1 with an OS-chosen TCP port."""

    def __init__(self, argv, workdir, name, env=None):
        self.argv = argv
        self.env = env or {}
        self.dir = tempfile.mkdtemp(prefix=name + ".", dir=workdir)
        self.port_file = os.path.join(self.dir, "port")
        self.proc = None
        self.port = None
        self.exit_code = None
        self.stderr = ""

    def start(self):
        """Starts the process. True if it listens; False if it exited."""
        env = dict(os.environ, MEMCACHED_PORT_FILENAME=self.port_file, **self.env)
        self._err = open(os.path.join(self.dir, "stderr"), "w+")
        self.proc = subprocess.Popen(self.argv, env=env, cwd=self.dir, stdin=subprocess.DEVNULL,
                                     stdout=self._err, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_DEADLINE
        while time.monotonic() < deadline:
            code = self.proc.poll()
            port = self._read_port()
            if port:
                self.port = port
                return True
            if code is not None:
                self.exit_code = code
                self._err.seek(0)
                self.stderr = self._err.read()
                return False
            time.sleep(0.005)   # polling interval, not a readiness guess
        raise TimeoutError("%s neither listened nor exited" % " ".join(self.argv))

    def _read_port(self):
        try:
            with open(self.port_file) as f:
                m = re.search(r"TCP INET6?: (\d+)", f.read())
                return int(m.group(1)) if m else None
        except OSError:
            return None

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self._err.seek(0)
            self.stderr = self._err.read()
            self._err.close()


def as_root(argv):
    return argv + (["-u", "root"] if os.getuid() == 0 else [])


# ---------------------------------------------------------------------------
# Text and meta commands

SETUP = b"set k 0 0 5\r\nhello\r\nset n 0 0 2\r\n10\r\n"

# (name shown in the table, request bytes sent after SETUP, end of reply)
# The default end is the reply to a trailing "mn" (MN), so replies of any shape
# are read whole without guessing how long to wait.
TEXT_CASES = [
    ("get", b"get k\r\n"),
    ("get (several keys)", b"get k nokey n\r\n"),
    ("gets", b"gets k\r\n"),
    ("gat", b"gat 100 k\r\n"),
    ("gats", b"gats 100 k\r\n"),
    ("set", b"set k2 5 0 3\r\nabc\r\n"),
    ("set noreply", b"set k3 0 0 3 noreply\r\nabc\r\n"),
    ("add", b"add k 0 0 1\r\nx\r\nadd k4 0 0 1\r\nx\r\n"),
    ("replace", b"replace k 0 0 1\r\nx\r\nreplace nokey 0 0 1\r\nx\r\n"),
    ("append", b"append k 0 0 1\r\n!\r\nget k\r\n"),
    ("prepend", b"prepend k 0 0 1\r\n<\r\nget k\r\n"),
    ("cas", b"cas k 0 0 1 999999\r\nx\r\ncas nokey 0 0 1 1\r\nx\r\n"),
    ("incr", b"incr n 5\r\nincr nokey 1\r\nincr k 1\r\n"),
    ("decr", b"decr n 50\r\n"),
    ("delete", b"delete k\r\ndelete k\r\n"),
    ("touch", b"touch k 100\r\ntouch nokey 100\r\n"),
    ("version", b"version\r\n"),
    ("verbosity", b"verbosity 1\r\nverbosity 0 noreply\r\n"),
    ("stats", b"stats\r\n"),
    ("stats settings", b"stats settings\r\n"),
    ("stats items", b"stats items\r\n"),
    ("stats slabs", b"stats slabs\r\n"),
    ("stats sizes", b"stats sizes\r\n"),
    ("stats conns", b"stats conns\r\n"),
    ("stats detail on/off/dump", b"stats detail on\r\nget k\r\nstats detail dump\r\nstats detail off\r\n"),
    ("stats reset", b"stats reset\r\n"),
    ("stats cachedump", b"stats cachedump 1 10\r\n"),
    ("stats extstore", b"stats extstore\r\n"),
    ("cache_memlimit", b"cache_memlimit 100\r\n"),
    ("slabs reassign", b"slabs reassign 1 2\r\n"),
    ("slabs automove", b"slabs automove 1\r\n"),
    ("lru_crawler crawl", b"lru_crawler crawl all\r\n"),
    ("lru_crawler metadump", b"lru_crawler metadump all\r\n", b"END\r\n"),
    ("lru_crawler metadump hash", b"lru_crawler metadump hash\r\n", b"END\r\n"),
    ("lru_crawler sleep/tocrawl", b"lru_crawler sleep 100\r\nlru_crawler tocrawl 0\r\n"),
    ("lru", b"lru mode segmented\r\nlru target 10 10\r\nlru temp_ttl 61\r\n"),
    ("extstore", b"extstore free_memchunks 0 0\r\n"),
    ("shutdown (without -A)", b"shutdown\r\n"),
    ("misbehave", b"misbehave\r\n"),
    ("debugtime", b"debugtime 1\r\n"),
    ("refresh_certs", b"refresh_certs\r\n"),
    ("mg", b"mg k v f t c s k\r\nmg nokey v\r\nmg nokey v q\r\n"),
    ("mg (base64 key, opaque)", b"mg aw== b v O123\r\n"),
    ("ms", b"ms k2 3 T100 F7\r\nabc\r\nms k2 3 MA\r\ndef\r\nmg k2 v f\r\n"),
    ("ms invalid", b"ms k2 x\r\nabc\r\n"),
    ("md", b"md k\r\nmd k\r\nmd n q\r\n"),
    ("ma", b"ma n\r\nma n MD D5 v\r\nma nokey N0 J13 v\r\n"),
    ("mn", b"mn\r\n"),
    ("me", b"me k\r\n"),
    ("unknown command", b"bogus\r\n"),
    ("watch", b"watch mutations\r\n", b"OK\r\n"),
    ("quit", b"quit\r\n", None),
    ("lru_crawler disable", b"lru_crawler disable\r\n"),
    ("flush_all", b"flush_all 100\r\nflush_all noreply\r\nflush_all\r\nget k\r\n"),
]


def read_until(s, done):
    out = b""
    deadline = time.monotonic() + REPLY_DEADLINE
    while time.monotonic() < deadline and not done(out):
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        out += chunk
    return out


def ends_in_error(out):
    last = out[:-2].rsplit(b"\r\n", 1)[-1] if out.endswith(b"\r\n") else b""
    return last.startswith((b"ERROR", b"SERVER_ERROR", b"CLIENT_ERROR"))


def exchange(port, data, end=b"MN\r\n"):
    """Stores SETUP's keys, then sends data (plus "mn" when end is MN) and reads
    until the reply ends with `end` (or an error line), or until EOF when end is
    None. Only the reply to data is returned. memcached answers an lru_crawler
    request "BUSY ..." while its crawler thread still runs an earlier one: such
    a reply is asked again, until a deadline."""
    deadline = time.monotonic() + REPLY_DEADLINE
    while True:
        reply = exchange_once(port, data, end)
        if not reply.startswith(b"BUSY ") or time.monotonic() > deadline:
            return reply
        time.sleep(0.01)  # the crawler's pace, not a wait for readiness


def exchange_once(port, data, end):
    with socket.create_connection(("127.0.0.1", port), timeout=REPLY_DEADLINE) as s:
        s.sendall(SETUP)
        read_until(s, lambda out: out.count(b"STORED\r\n") >= 2)
        s.sendall(data + (b"mn\r\n" if end == b"MN\r\n" else b""))
        if end is None:
            return read_until(s, lambda out: False)
        if end == b"MN\r\n":
            want = data.count(b"mn\r\n") + 1
            return read_until(s, lambda out: out.endswith(end) and out.count(end) >= want)
        return read_until(s, lambda out: out.endswith(end) or ends_in_error(out))


def normalize_text(reply):
    """Hides what legitimately differs between two servers: cas uniques, stat
    values (a set of stat names is compared), versions, item ages."""
    lines = reply.decode("latin-1").split("\r\n")
    out = []
    stats = set()
    for line in lines:
        if line.startswith("STAT ") or line.startswith("ITEM "):
            stats.add(line.split(" ")[1].split(":")[-1] if line.startswith("STAT ") else "ITEM")
            continue
        line = re.sub(r"^(VALUE \S+ \d+ \d+) \d+$", r"\1 CAS", line)
        line = re.sub(r"^VERSION .*", "VERSION x", line)
        line = re.sub(r" c\d+", " cN", line)
        line = re.sub(r" t-?\d+", " tN", line)
        line = re.sub(r"^ME (\S+) .*", r"ME \1 ...", line)
        line = re.sub(r"^key=\S+ exp=.*", "key=... (metadump line)", line)
        out.append(line)
    return out, stats


def text_verdict(ref, got):
    if not got and ref:
        return "no", "no reply"
    (ref_lines, ref_stats), (got_lines, got_stats) = normalize_text(ref), normalize_text(got)
    if got_lines == ref_lines and got_stats == ref_stats:
        return "yes", ""
    refused = [l for l in got_lines if l == "ERROR" or l.startswith("SERVER_ERROR not supported")]
    if len(refused) > len([l for l in ref_lines if l == "ERROR"]):
        return "no", refused[0]
    why = []
    if got_lines != ref_lines:
        for a, b in zip(ref_lines + [""] * 50, got_lines + [""] * 50):
            if a != b:
                why.append("memcached %r, memkit %r" % (a[:60], b[:60]))
                break
    if ref_stats - got_stats:
        why.append("stats missing: %s" % " ".join(sorted(ref_stats - got_stats)[:8]) +
                   (" (+%d)" % (len(ref_stats - got_stats) - 8) if len(ref_stats - got_stats) > 8 else ""))
    if got_stats - ref_stats:
        why.append("extra stats: %s" % " ".join(sorted(got_stats - ref_stats)[:5]))
    return "differs", "; ".join(why)


def run_text(ports):
    """ports: {"memcached": p, "memkit-server": p, "memkit-proxy": p}"""
    rows = []
    for case in TEXT_CASES:
        name, req = case[0], case[1]
        end = case[2] if len(case) > 2 else b"MN\r\n"
        replies = {}
        for who, port in ports.items():
            # Each case gets fresh keys: SETUP stores them again.
            replies[who] = exchange(port, SETUP + req, end)
        rows.append(("text", name, replies))
    return rows


# ---------------------------------------------------------------------------
# Binary opcodes

def bin_req(opcode, key=b"", extras=b"", value=b"", opaque=0):
    body = extras + key + value
    return struct.pack(">BBHBBHIIQ", 0x80, opcode, len(key), len(extras), 0, 0, len(body),
                       opaque, 0) + body


def bin_parse(data):
    """Splits binary responses into (opcode, status, key, value) tuples,
    leaving out the reply to bin_exchange's closing noop (whether it is read
    after an "Unknown command" reply depends on timing; see bin_exchange)."""
    out = []
    while len(data) >= 24:
        magic, op, klen, elen, _, status, blen, opaque, _ = struct.unpack(">BBHBBHIIQ", data[:24])
        if magic != 0x81 or len(data) < 24 + blen:
            out.append(("garbage", data[:16].hex()))
            break
        body = data[24:24 + blen]
        if not (op == 0x0A and opaque == 0xFEEDFACE):
            out.append((op, status, body[elen:elen + klen], body[elen + klen:]))
        data = data[24 + blen:]
    return out


SET_EXTRAS = struct.pack(">II", 0, 0)
ARITH_EXTRAS = struct.pack(">QQI", 1, 0, 0)
EXP = struct.pack(">I", 100)

BINARY_CASES = [
    (0x00, "GET", bin_req(0x00, b"k")), (0x01, "SET", bin_req(0x01, b"k2", SET_EXTRAS, b"v")),
    (0x02, "ADD", bin_req(0x02, b"k", SET_EXTRAS, b"v")),
    (0x03, "REPLACE", bin_req(0x03, b"k", SET_EXTRAS, b"v")),
    (0x04, "DELETE", bin_req(0x04, b"k")), (0x05, "INCREMENT", bin_req(0x05, b"n", ARITH_EXTRAS)),
    (0x06, "DECREMENT", bin_req(0x06, b"n", ARITH_EXTRAS)), (0x07, "QUIT", bin_req(0x07)),
    (0x08, "FLUSH", bin_req(0x08)), (0x09, "GETQ", bin_req(0x09, b"k") + bin_req(0x09, b"nokey")),
    (0x0A, "NOOP", bin_req(0x0A)), (0x0B, "VERSION", bin_req(0x0B)),
    (0x0C, "GETK", bin_req(0x0C, b"k")), (0x0D, "GETKQ", bin_req(0x0D, b"k") + bin_req(0x0D, b"x")),
    (0x0E, "APPEND", bin_req(0x0E, b"k", b"", b"!")), (0x0F, "PREPEND", bin_req(0x0F, b"k", b"", b"<")),
    (0x10, "STAT", bin_req(0x10)), (0x11, "SETQ", bin_req(0x11, b"k2", SET_EXTRAS, b"v")),
    (0x12, "ADDQ", bin_req(0x12, b"k", SET_EXTRAS, b"v")),
    (0x13, "REPLACEQ", bin_req(0x13, b"nokey", SET_EXTRAS, b"v")),
    (0x14, "DELETEQ", bin_req(0x14, b"k") + bin_req(0x14, b"k")),
    (0x15, "INCREMENTQ", bin_req(0x15, b"n", ARITH_EXTRAS)),
    (0x16, "DECREMENTQ", bin_req(0x16, b"n", ARITH_EXTRAS)), (0x17, "QUITQ", bin_req(0x17)),
    (0x18, "FLUSHQ", bin_req(0x18)), (0x19, "APPENDQ", bin_req(0x19, b"k", b"", b"!")),
    (0x1A, "PREPENDQ", bin_req(0x1A, b"k", b"", b"<")),
    (0x1B, "VERBOSITY", bin_req(0x1B, b"", struct.pack(">I", 1))),
    (0x1C, "TOUCH", bin_req(0x1C, b"k", EXP)), (0x1D, "GAT", bin_req(0x1D, b"k", EXP)),
    (0x1E, "GATQ", bin_req(0x1E, b"k", EXP) + bin_req(0x1E, b"nokey", EXP)),
    (0x20, "SASL_LIST_MECHS", bin_req(0x20)),
    (0x21, "SASL_AUTH", bin_req(0x21, b"PLAIN", b"", b"\0u\0p")),
    (0x22, "SASL_STEP", bin_req(0x22, b"PLAIN", b"", b"\0u\0p")),
    (0x23, "GATK", bin_req(0x23, b"k", EXP)),
    (0x24, "GATKQ", bin_req(0x24, b"k", EXP) + bin_req(0x24, b"nokey", EXP)),
    (0x30, "RGET (range ops 0x30-0x3c)", bin_req(0x30, b"k")),
]

BIN_SETUP = (bin_req(0x11, b"k", SET_EXTRAS, b"hello") + bin_req(0x11, b"n", SET_EXTRAS, b"10"))
NOOP = bin_req(0x0A, opaque=0xFEEDFACE)


def bin_exchange(port, req, closes, opcode):
    """Sends the request and a noop; reads until the noop's reply, or until EOF
    when the request closes the connection. memcached answers an unknown
    opcode and then ignores the rest of the packet stream, so for those the
    first reply to that opcode ends the exchange."""
    def done(out):
        if closes:
            return False
        replies = bin_parse(out)
        if any(r[0] == opcode and r[1] == 0x81 for r in replies):
            return True
        return len(out) >= 24 and out[-24:-20] == b"\x81\x0a\x00\x00" and \
            out[-12:-8] == struct.pack(">I", 0xFEEDFACE)
    with socket.create_connection(("127.0.0.1", port), timeout=REPLY_DEADLINE) as s:
        s.sendall(BIN_SETUP + req + (b"" if closes else NOOP))
        return read_until(s, done)


def normalize_bin(data):
    out, stats = [], set()
    for r in bin_parse(data):
        if r[0] == "garbage":
            out.append(r)
            continue
        op, status, key, value = r
        if op == 0x10 and key:
            stats.add(key.decode("latin-1"))
            continue
        if op in (0x0B,):
            value = b"x"
        if status != 0 and value:
            value = b"<message>"   # error texts are free-form
        out.append((hex(op), hex(status), key, value))
    return out, stats


def bin_verdict(ref, got):
    (ref_r, ref_s), (got_r, got_s) = normalize_bin(ref), normalize_bin(got)
    if ref_r == got_r and ref_s == got_s:
        return "yes", ""
    ref_statuses = [r[1] for r in ref_r if len(r) == 4 and r[0] != "0xa"]
    got_statuses = [r[1] for r in got_r if len(r) == 4 and r[0] != "0xa"]
    if "0x81" in got_statuses and "0x81" not in ref_statuses:
        return "no", "status 0x81 unknown command"
    why = []
    if ref_r != got_r:
        why.append("memcached %s, memkit %s" % (ref_r[:4], got_r[:4]))
    if ref_s - got_s:
        why.append("stats missing: %d" % len(ref_s - got_s))
    return "differs", "; ".join(why)


def run_binary(ports):
    rows = []
    for opcode, name, req in BINARY_CASES:
        closes = name.startswith("QUIT")
        replies = {who: bin_exchange(port, req, closes, opcode) for who, port in ports.items()}
        rows.append(("binary", "0x%02X %s" % (opcode, name), replies))
    return rows


# ---------------------------------------------------------------------------
# Command-line flags

CLEANUP = []   # directories outside the work directory, removed at exit


def make_cert(workdir):
    """A self-signed certificate and key for -Z (both servers need real files)."""
    cert, key = os.path.join(workdir, "cert.pem"), os.path.join(workdir, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    return cert, key


def flag_cases(workdir):
    """(row name, arguments[, extra environment])."""
    auth = os.path.join(workdir, "auth")
    with open(auth, "w") as f:
        f.write("user:pass\n")
    # A unix socket path must fit sun_path (108 bytes); Bazel's TEST_TMPDIR may not.
    short_dir = tempfile.mkdtemp(prefix="compat.", dir="/tmp")
    CLEANUP.append(short_dir)
    sock = os.path.join(short_dir, "sock")
    cert, key = make_cert(workdir)
    tls = ["-Z", "-o", "ssl_chain_cert=%s,ssl_key=%s" % (cert, key)]
    return [
        ("-p", ["-p", "-1"]), ("-U", ["-U", "-1"]), ("-s", ["-s", sock + "%d"]),
        ("-a", ["-a", "700"]), ("-A", ["-A"]), ("-l", ["-l", "127.0.0.1"]),
        ("-d", ["-d", "-P", "PIDFILE"]), ("-r", ["-r"]), ("-u", ["-u", "root"]),
        ("-m", ["-m", "32"]), ("-M", ["-M"]), ("-c", ["-c", "100"]), ("-k", ["-k"]),
        ("-v", ["-v"]), ("-vv", ["-vv"]), ("-vvv", ["-vvv"]), ("-h", ["-h"]), ("-i", ["-i"]),
        ("-V", ["-V"]), ("-P", ["-P", "PIDFILE"]), ("-f", ["-f", "1.5"]), ("-n", ["-n", "64"]),
        ("-L", ["-L"]), ("-D", ["-D", ":"]), ("-t", ["-t", "2"]), ("-R", ["-R", "10"]),
        ("-C", ["-C"]), ("-b", ["-b", "128"]), ("-B", ["-B", "ascii"]), ("-I", ["-I", "2m"]),
        ("-S", ["-S"], {"MEMCACHED_SASL_PWDB": auth}), ("-F", ["-F"]), ("-X", ["-X"]), ("-W", ["-W"]), ("-Y", ["-Y", auth]),
        ("-e", ["-e", os.path.join(workdir, "memfile")]), ("-Z", tls), ("-l notls:", tls + ["-l", "notls:127.0.0.1"]), ("-N", ["-N", "1"]),
    ] + [("-o " + o.split("=")[0], ["-o", o]) for o in [
        "maxconns_fast", "no_maxconns_fast", "hashpower=16", "tail_repair_time=10",
        "hash_algorithm=murmur3", "lru_crawler", "no_lru_crawler", "lru_crawler_sleep=100",
        "lru_crawler_tocrawl=0", "read_buf_mem_limit=0", "lru_maintainer", "no_lru_maintainer",
        "hot_lru_pct=20", "warm_lru_pct=40", "hot_max_factor=0.2", "warm_max_factor=2.0",
        "temporary_ttl=61", "idle_timeout=10", "slab_chunk_max=512",
        "watcher_logbuf_size=256", "worker_logbuf_size=64", "track_sizes", "no_hashexpand",
        "modern", "no_modern", "sock_cookie_id=1", "slab_reassign", "no_slab_reassign",
        "slab_automove=1", "no_slab_automove", "slab_automove_ratio=0.8",
        "slab_automove_window=30", "slab_automove_freeratio=0.01", "no_chunked_items", "no_inline_ascii_resp", "drop_privileges",
        "no_drop_privileges", "resp_obj_mem_limit=0", "ext_path=" + os.path.join(workdir, "ext") + ":64m",
        "ext_page_size=64", "ext_wbuf_size=4", "ext_threads=1", "ext_item_size=512",
        "ext_item_age=0", "ext_low_ttl=0", "ext_drop_unread", "ext_recache_rate=2000",
        "ext_compact_under=1", "ext_drop_under=1", "ext_max_frag=0.8", "ext_max_sleep=1000000",
        "ssl_chain_cert=x", "ssl_key=x", "ssl_keyformat=1", "ssl_verify_mode=0",
        "ssl_ciphers=x", "ssl_ca_cert=x", "ssl_wbuf_size=16", "ssl_session_cache",
        "ssl_kernel_tls", "ssl_min_version=2", "debugtime", "persist=" + os.path.join(workdir, "p"),
    ]]


def try_flag(binary_argv, args, workdir, name, index, env=None):
    """'accepted', 'info' (printed and exited 0) or 'rejected: <first line>'."""
    args = [a.replace("PIDFILE", os.path.join(workdir, "pid-%s-%d" % (name, index))) for a in args]
    args = [a.replace("%d", "-%s-%d" % (name, index)) for a in args]
    argv = list(binary_argv)
    if "-p" not in args and "-s" not in args:
        argv += ["-p", "-1"]
    if "-l" not in args and "-s" not in args:
        argv += ["-l", "127.0.0.1"]
    if "-u" not in args and os.getuid() == 0:
        argv += ["-u", "root"]
    argv += args
    if "-s" in args:
        return try_unix(argv, args[args.index("-s") + 1])
    srv = Server(argv, workdir, name, env)
    try:
        up = srv.start()
    finally:
        srv.stop()
    if "-d" in args:
        return try_daemon(srv, args)
    if up:
        return "accepted"
    if srv.exit_code == 0:
        return "info"
    first = [l for l in srv.stderr.splitlines() if l.strip()]
    return "rejected: " + (first[0][:90] if first else "exit %d" % srv.exit_code)


def try_unix(argv, path):
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + START_DEADLINE
        while time.monotonic() < deadline:
            if os.path.exists(path):
                return "accepted"
            if proc.poll() is not None:
                out = proc.stdout.read().decode("latin-1").strip().splitlines()
                return "rejected: " + (out[0][:90] if out else "exit %d" % proc.returncode)
            time.sleep(0.005)
        return "rejected: no socket"
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait()


def try_daemon(srv, args):
    """-d: the first process exits 0 and the daemon writes the pid file."""
    pid_file = args[args.index("-P") + 1]
    deadline = time.monotonic() + START_DEADLINE
    while time.monotonic() < deadline:
        try:
            with open(pid_file) as f:
                pid = int(f.read().strip())
            os.kill(pid, signal.SIGTERM)
            return "accepted"
        except (OSError, ValueError):
            pass
        if srv.exit_code not in (None, 0):
            break
        time.sleep(0.005)
    first = [l for l in srv.stderr.splitlines() if l.strip()]
    return "rejected: " + (first[0][:90] if first else "no pid file")


def run_flags(bins, workdir):
    rows = []
    for i, (name, args, *env) in enumerate(flag_cases(workdir)):
        env = env[0] if env else None
        ref = try_flag(as_root_free(bins["memcached"]), args, workdir, "mc", i, env)
        got = try_flag(bins["memkit-server"], args, workdir, "mk", i, env)
        rows.append(("flag", name, {"memcached": ref, "memkit-server": got}))
    return rows


def as_root_free(argv):
    return list(argv)


def flag_verdict(ref, got):
    if ref.startswith("rejected") and got.startswith("rejected"):
        # memcached needs what this machine lacks (SASL config, a certificate);
        # memkit's own answer still says whether it knows the flag.
        if re.search(r"not supported|Illegal suboption|invalid option", got):
            return "no", got[10:]
        return "n/a", "memcached rejects it too: " + ref[10:]
    if got.startswith("rejected"):
        return "no", got[10:]
    if ref.startswith("rejected"):
        return "yes", "memkit only"
    return "yes", "accepted"


# ---------------------------------------------------------------------------
# The compatibility page

def parse_page(path):
    """{item name: [cell, cell, ...]} for every table row of the page."""
    rows = {}
    with open(path) as f:
        for line in f:
            if not line.startswith("| "):
                continue
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            m = re.match(r"^`([^`]+)`", cells[0])
            if m:
                # The first table naming an item wins (`cas` is a command
                # before it is a pylibmc behavior).
                rows.setdefault(m.group(1), cells)
    return rows


def behavior_names():
    """Every libmemcached behavior (from its installed header) and every pylibmc
    behavior name (from the installed module): each needs a row on the page."""
    names = []
    header = "/usr/include/libmemcached-1.0/types/behavior.h"
    with open(header) as f:
        for m in re.finditer(r"MEMCACHED_BEHAVIOR_([A-Z0-9_]+)", f.read()):
            if m.group(1) != "MAX" and m.group(1) not in names:
                names.append(m.group(1))
    out = subprocess.run([sys.executable, "-c", "import _pylibmc; print(' '.join(_pylibmc.all_behaviors))"],
                         capture_output=True, text=True, check=True)
    return names + out.stdout.split()


def first_word(cell):
    m = re.match(r"^\**([a-z/]+)", cell)
    return m.group(1) if m else ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--memcached", default="/usr/bin/memcached")
    ap.add_argument("--server", required=True)
    ap.add_argument("--proxy", required=True)
    ap.add_argument("--check")
    ap.add_argument("--only", choices=["text", "binary", "flag"])
    a = ap.parse_args()
    a.memcached, a.server, a.proxy = (os.path.abspath(x) for x in (a.memcached, a.server, a.proxy))

    workdir = tempfile.mkdtemp(prefix="compat.", dir=os.environ.get("TEST_TMPDIR"))
    servers = []
    rows = []
    try:
        if a.only in (None, "text", "binary"):
            mc = Server(as_root([a.memcached, "-p", "-1", "-l", "127.0.0.1", "-U", "0"]), workdir, "mc")
            mk = Server(as_root([a.server, "-p", "-1", "-l", "127.0.0.1", "-U", "0"]), workdir, "mk")
            backend = Server(as_root([a.memcached, "-p", "-1", "-l", "127.0.0.1", "-U", "0"]),
                             workdir, "backend")
            servers += [mc, mk, backend]
            for s in (mc, mk, backend):
                if not s.start():
                    raise RuntimeError("%s did not start: %s" % (s.argv[0], s.stderr))
            proxy = Server([a.proxy, "-p", "-1", "-l", "127.0.0.1",
                            "--servers=127.0.0.1:%d" % backend.port], workdir, "proxy")
            servers.append(proxy)
            if not proxy.start():
                raise RuntimeError("memkit-proxy did not start: %s" % proxy.stderr)
            ports = {"memcached": mc.port, "memkit-server": mk.port, "memkit-proxy": proxy.port}
            if a.only in (None, "text"):
                rows += run_text(ports)
            if a.only in (None, "binary"):
                rows += run_binary(ports)
        if a.only in (None, "flag"):
            rows += run_flags({"memcached": [a.memcached], "memkit-server": [a.server]}, workdir)
    finally:
        for s in servers:
            s.stop()
        for d in [workdir] + CLEANUP:
            shutil.rmtree(d, ignore_errors=True)

    page = parse_page(a.check) if a.check else {}
    mismatches = []
    checked = 0
    print("| kind | item | memkit-server | memkit-proxy |")
    print("|---|---|---|---|")
    for kind, name, replies in rows:
        cells = []
        for who in ("memkit-server", "memkit-proxy"):
            if who not in replies:
                cells.append("")
                continue
            if kind == "text":
                v, why = text_verdict(replies["memcached"], replies[who])
            elif kind == "binary":
                v, why = bin_verdict(replies["memcached"], replies[who])
            else:
                v, why = flag_verdict(replies["memcached"], replies[who])
            cells.append((v, why))
        print("| %s | `%s` | %s | %s |" % (kind, name, *[
            ("%s%s" % (c[0], (": " + c[1]) if c[1] else "")).replace("|", "\\|") if c else ""
            for c in cells]))
        if a.check:
            key = name.split(" (")[0] if kind != "binary" else name.split(" (")[0]
            row = page.get(name) or page.get(key)
            if row is None:
                if kind == "flag" and cells[0][0] == "n/a":
                    continue
                mismatches.append("%s `%s`: no row on the page" % (kind, name))
                continue
            checked += 1
            # Columns: item | memkit-server | memkit's client | memkit-proxy | ...
            want = {"memkit-server": first_word(row[1]) if len(row) > 1 else "",
                    "memkit-proxy": first_word(row[3]) if len(row) > 3 else ""}
            for who, c in zip(("memkit-server", "memkit-proxy"), cells):
                # A flag that starts is "yes" to the script; only the page knows
                # whether its effect differs, so "differs" passes for it too.
                ok = want[who] == c[0] if c else True
                if c and kind == "flag" and c[0] == "yes" and want[who] == "differs":
                    ok = True
                if c and c[0] != "n/a" and not ok:
                    mismatches.append("%s `%s`: the page says %s %r, found %r (%s)" % (
                        kind, name, who, want[who], c[0], c[1]))
    if a.check:
        for name in behavior_names():
            checked += 1
            if name not in page:
                mismatches.append("behavior `%s`: no row on the page" % name)
        print("\nchecked %d rows of %s; %d mismatches" % (checked, a.check, len(mismatches)))
        for m in mismatches:
            print("MISMATCH " + m)
        return 1 if mismatches else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
