"""Cross-language test of memkit's value codec against pymemcache and pylibmc.

Starts a real memcached on 127.0.0.1 (a free port, readiness polled with a
deadline), then:
  1. pylibmc and pymemcache store values; a raw `get` fetches the flags and
     bytes memcached holds; memkit's value_tool decodes them.
  2. value_tool encodes values in both compat styles; a raw `set` stores them;
     pylibmc and pymemcache read them back.
memcached is stopped at the end, whatever happens. Exit status 0 = all passed.
"""

import argparse
import os
import socket
import subprocess
import sys
import time
import zlib

import pylibmc
from pymemcache import serde
from pymemcache.client.base import Client as PymemcacheClient

MEMCACHED = '/usr/bin/memcached'
READY_DEADLINE_S = 10.0


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def try_version(port):
    try:
        with socket.create_connection(('127.0.0.1', port), timeout=0.5) as s:
            s.sendall(b'version\r\n')
            return s.recv(100).startswith(b'VERSION ')
    except OSError:
        return False


def start_memcached():
    """Returns (process, port). Retries with another port if one was taken."""
    user = ['-u', 'root'] if os.geteuid() == 0 else []
    for _ in range(5):
        port = free_port()
        proc = subprocess.Popen([MEMCACHED, '-l', '127.0.0.1', '-p', str(port), '-U', '0',
                                 '-m', '64'] + user,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + READY_DEADLINE_S
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                break  # exited: port taken between free_port() and bind; try another
            if try_version(port):
                return proc, port
            time.sleep(0.02)  # polling interval, not a wait for readiness
        stop(proc)
    raise RuntimeError('memcached did not become ready on 127.0.0.1')


def stop(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Raw:
    """Raw text-protocol access, to see exactly what memcached stores."""

    def __init__(self, port):
        self.sock = socket.create_connection(('127.0.0.1', port), timeout=5)
        self.buf = b''

    def _line(self):
        while b'\r\n' not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise RuntimeError('memcached closed the connection')
            self.buf += chunk
        line, self.buf = self.buf.split(b'\r\n', 1)
        return line

    def _exactly(self, n):
        while len(self.buf) < n:
            self.buf += self.sock.recv(65536)
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def get(self, key):
        self.sock.sendall(b'get ' + key.encode() + b'\r\n')
        header = self._line()
        if header == b'END':
            raise KeyError(key)
        _, _, flags, length = header.split(b' ')
        data = self._exactly(int(length) + 2)[:-2]
        if self._line() != b'END':
            raise RuntimeError('expected END after ' + key)
        return int(flags), data

    def set(self, key, flags, data):
        self.sock.sendall(b'set %s %d 0 %d\r\n' % (key.encode(), flags, len(data)) + data + b'\r\n')
        reply = self._line()
        if reply != b'STORED':
            raise RuntimeError('set %s: %r' % (key, reply))


class Tool:
    def __init__(self, path):
        self.proc = subprocess.Popen([path], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True)

    def ask(self, line):
        self.proc.stdin.write(line + '\n')
        self.proc.stdin.flush()
        reply = self.proc.stdout.readline()
        if not reply:
            raise RuntimeError('value_tool exited')
        return reply.rstrip('\n')

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=5)


FAILURES = []


def check(what, got, want):
    ok = got == want
    detail = '' if ok else ': got %r, want %r' % (got, want)
    print('%s %s%s' % ('ok  ' if ok else 'FAIL', what, detail))
    if not ok:
        FAILURES.append(what)


BIG = 'abc' * 1000


def python_to_memkit(raw, tool, port):
    pl = pylibmc.Client(['127.0.0.1:%d' % port])
    pm = PymemcacheClient(('127.0.0.1', port), serde=serde.pickle_serde, default_noreply=False,
                          connect_timeout=5, timeout=5)
    # (client name, client, key, value, set kwargs, expected raw flags, expected value_tool reply)
    cases = [
        ('pylibmc', pl, 'str', 'h\u00e9llo', {}, 16, 'ok text ' + 'h\u00e9llo'.encode().hex()),
        ('pylibmc', pl, 'bytes', b'\x00\xffraw', {}, 0, 'ok bytes 00ff726177'),
        ('pylibmc', pl, 'int', 42, {}, 4, 'ok int 42'),
        ('pylibmc', pl, 'negint', -7, {}, 4, 'ok int -7'),
        ('pylibmc', pl, 'int64max', 2**63 - 1, {}, 4, 'ok int 9223372036854775807'),
        ('pylibmc', pl, 'true', True, {}, 2, 'ok int 1'),
        ('pylibmc', pl, 'false', False, {}, 2, 'ok int 0'),
        ('pylibmc', pl, 'empty', '', {}, 16, 'ok text '),
        ('pylibmc', pl, 'bigstr', BIG, {'min_compress_len': 100}, 24,
         'ok text ' + BIG.encode().hex()),
        ('pylibmc', pl, 'bigbytes', BIG.encode(), {'min_compress_len': 100}, 8,
         'ok bytes ' + BIG.encode().hex()),
        ('pylibmc', pl, 'hugeint', 2**70, {}, 4, 'error OUT_OF_RANGE'),
        ('pylibmc', pl, 'float', 1.5, {}, 1, 'error UNIMPLEMENTED'),
        ('pymemcache', pm, 'str', 'h\u00e9llo', {}, 16, 'ok text ' + 'h\u00e9llo'.encode().hex()),
        ('pymemcache', pm, 'bytes', b'\x00\xffraw', {}, 0, 'ok bytes 00ff726177'),
        ('pymemcache', pm, 'int', 42, {}, 2, 'ok int 42'),
        ('pymemcache', pm, 'negint', -7, {}, 2, 'ok int -7'),
        ('pymemcache', pm, 'true', True, {}, 1, 'ok bool true'),
        ('pymemcache', pm, 'false', False, {}, 1, 'ok bool false'),
        ('pymemcache', pm, 'bigstr', BIG, {}, 16, 'ok text ' + BIG.encode().hex()),
        ('pymemcache', pm, 'list', [1, 2], {}, 1, 'error UNIMPLEMENTED'),
    ]
    for name, client, key, value, kwargs, want_flags, want_reply in cases:
        full_key = '%s_%s' % (name, key)
        if not client.set(full_key, value, **kwargs):
            FAILURES.append('%s set %s' % (name, key))
            continue
        flags, data = raw.get(full_key)
        check('%s %s -> flags' % (name, key), flags, want_flags)
        reply = tool.ask('decode %d %s' % (flags, data.hex()))
        if want_reply.startswith('error'):
            reply = ' '.join(reply.split(' ')[:2])
        check('%s %s -> memkit decode' % (name, key), reply, want_reply)
    # Compression is byte-identical to pylibmc's.
    flags, pylibmc_zlib = raw.get('pylibmc_bigstr')
    reply = tool.ask('encode pylibmc 100 text ' + BIG.encode().hex())
    check('memkit compresses like pylibmc', reply, 'ok 24 ' + pylibmc_zlib.hex())
    pm.close()


class Raises:
    """An expected exception from a client's get()."""

    def __init__(self, exception_type):
        self.name = exception_type.__name__


def typed(want):
    if isinstance(want, Raises):
        return ('raises', want.name)
    return (type(want).__name__, want)


def read(client, key):
    try:
        got = client.get(key)
    except Exception as e:  # the exception is the observation
        return ('raises', type(e).__name__)
    return (type(got).__name__, got)


def memkit_to_python(raw, tool, port):
    pl = pylibmc.Client(['127.0.0.1:%d' % port])
    pm = PymemcacheClient(('127.0.0.1', port), serde=serde.pickle_serde, default_noreply=False,
                          connect_timeout=5, timeout=5)
    big_zlib = zlib.compress(BIG.encode(), 6)
    # (compat, min_compress_len, kind, payload, want pylibmc, want pymemcache)
    cases = [
        ('pylibmc', 0, 'text', 'h\u00e9llo'.encode().hex(), 'h\u00e9llo', 'h\u00e9llo'),
        ('pylibmc', 0, 'bytes', '00ff726177', b'\x00\xffraw', b'\x00\xffraw'),
        ('pylibmc', 0, 'int', '42', 42, 42),
        ('pylibmc', 0, 'int', '-9223372036854775808', -2**63, -2**63),
        # pylibmc itself stores bools this way and reads them back as ints.
        ('pylibmc', 0, 'bool', 'true', 1, 1),
        ('pylibmc', 0, 'bool', 'false', 0, 0),
        ('pymemcache', 0, 'int', '42', 42, 42),
        ('pymemcache', 0, 'bool', 'true', True, True),
        ('pymemcache', 0, 'bool', 'false', False, False),
        ('pymemcache', 0, 'text', ''.encode().hex(), '', ''),
        # pymemcache 3.5 does not inflate (its FLAG_COMPRESSED is "unused"):
        # compressed text fails its UTF-8 decode, compressed bytes come back
        # as the zlib bytes. pylibmc inflates both.
        ('pylibmc', 100, 'text', BIG.encode().hex(), BIG, Raises(UnicodeDecodeError)),
        ('pylibmc', 100, 'bytes', BIG.encode().hex(), BIG.encode(), big_zlib),
    ]
    for i, (compat, min_len, kind, payload, want_pl, want_pm) in enumerate(cases):
        reply = tool.ask('encode %s %d %s %s' % (compat, min_len, kind, payload)).split(' ')
        if reply[0] != 'ok':
            FAILURES.append('memkit encode %s %s: %s' % (kind, payload[:20], ' '.join(reply)))
            continue
        key = 'memkit_%d' % i
        raw.set(key, int(reply[1]), bytes.fromhex(reply[2] if len(reply) > 2 else ''))
        what = 'memkit(%s, min_compress_len=%d) %s %s' % (compat, min_len, kind, payload[:16])
        check(what + ' -> pylibmc', read(pl, key), typed(want_pl))
        check(what + ' -> pymemcache', read(pm, key), typed(want_pm))
    pm.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--tool', required=True)
    args = parser.parse_args()
    print('pylibmc %s, pymemcache %s' % (pylibmc.__version__, __import__('pymemcache').__version__))
    proc, port = start_memcached()
    tool = None
    try:
        tool = Tool(args.tool)
        raw = Raw(port)
        python_to_memkit(raw, tool, port)
        memkit_to_python(raw, tool, port)
    finally:
        if tool is not None:
            tool.close()
        stop(proc)
    if FAILURES:
        print('%d FAILED: %s' % (len(FAILURES), ', '.join(FAILURES)))
        return 1
    print('all passed')
    return 0


if __name__ == '__main__':
    sys.exit(main())
