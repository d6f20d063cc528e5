#!/usr/bin/env python3
"""Records a session with a real memcached: one well-formed request of every
kind memkit writes (text and meta, hits and misses, quiet and not), each with
the exact bytes memcached answered. //core/protocol:ascii_session_test checks
that memkit's request writers reproduce each request from its parsed form,
that its reply parser reads every answer, and that its reply writers
reproduce every answer byte for byte.

    python3 record_session.py [/usr/bin/memcached] > session.txt
"""
import socket
import subprocess
import sys
import time

from record_hostile import escape

BIG = b'v' * 5000

SESSION = [
    ('set', b'set foo 5 0 3\r\nbar\r\n'),
    ('set_noreply', b'set quiet 0 0 1 noreply\r\nq\r\n'),
    ('get_hit', b'get foo\r\n'),
    ('get_miss', b'get nothing\r\n'),
    ('gets_hit', b'gets foo\r\n'),
    ('get_multi', b'get foo nothing quiet foo\r\n'),
    ('set_big', b'set big 4294967295 0 5000\r\n' + BIG + b'\r\n'),
    ('get_big', b'get big\r\n'),
    ('set_binaryish', b'set bin 0 0 6\r\n\r\n\x00\xff\r\n\r\n'),
    ('gets_binaryish', b'gets bin\r\n'),
    ('add_exists', b'add foo 0 0 1\r\nx\r\n'),
    ('add_new', b'add fresh 0 100 1\r\nx\r\n'),
    ('replace_missing', b'replace nothing 0 0 1\r\nx\r\n'),
    ('replace', b'replace fresh 1 0 2\r\nxy\r\n'),
    ('append', b'append foo 0 0 2\r\n!!\r\n'),
    ('prepend', b'prepend foo 0 0 2\r\n<<\r\n'),
    ('cas_mismatch', b'cas foo 0 0 1 999999\r\nx\r\n'),
    ('cas_missing', b'cas nothing 0 0 1 1\r\nx\r\n'),
    ('cas_noreply', b'cas foo 0 0 1 999999 noreply\r\nx\r\n'),
    ('set_number', b'set n 0 0 2\r\n10\r\n'),
    ('incr', b'incr n 5\r\n'),
    ('decr_floor', b'decr n 100\r\n'),
    ('incr_wrap', b'incr n 18446744073709551615\r\n'),
    ('incr_missing', b'incr nothing 1\r\n'),
    ('incr_non_numeric', b'incr foo 1\r\n'),
    ('decr_noreply', b'decr n 1 noreply\r\n'),
    ('touch', b'touch foo 1000\r\n'),
    ('touch_missing', b'touch nothing 10\r\n'),
    ('gat', b'gat 1000 foo nothing\r\n'),
    ('gats', b'gats 0 foo fresh\r\n'),
    ('delete', b'delete fresh\r\n'),
    ('delete_missing', b'delete fresh\r\n'),
    ('delete_noreply', b'delete quiet noreply\r\n'),
    ('verbosity', b'verbosity 0\r\n'),
    ('version', b'version\r\n'),
    ('stats_slabs', b'stats slabs\r\n'),
    ('stats_reset', b'stats reset\r\n'),
    ('stats_bogus', b'stats bogus\r\n'),
    ('stats_detail_bad', b'stats detail what\r\n'),
    ('cache_memlimit_small', b'cache_memlimit 1\r\n'),
    ('cache_memlimit', b'cache_memlimit 64\r\n'),
    ('shutdown_disabled', b'shutdown\r\n'),
    ('unknown', b'bogus\r\n'),
    ('client_error', b'touch foo x\r\n'),
    ('too_large', b'set huge 0 0 2000000\r\n' + b'x' * 2000000 + b'\r\n'),
    # meta
    ('mn', b'mn\r\n'),
    ('ms', b'ms mfoo 3 T1000 F7\r\nbar\r\n'),
    ('ms_flags', b'ms mfoo 3 T1000 F7 k O1 c\r\nbaz\r\n'),
    ('ms_quiet', b'ms mquiet 1 q\r\nq\r\n'),
    ('mg_hit_all', b'mg mfoo s t c f l h k O2 v\r\n'),
    ('mg_hit_head', b'mg mfoo k f\r\n'),
    ('mg_hit_novalue_quiet', b'mg mfoo s q\r\n'),
    ('mg_hit_value_quiet', b'mg mfoo v q O3\r\n'),
    ('mg_miss', b'mg nothing v k O4\r\n'),
    ('mg_miss_quiet', b'mg nothing v q\r\n'),
    ('mg_hit_no_flags', b'mg mfoo\r\n'),
    ('mg_touch', b'mg mfoo T500 t v\r\n'),
    ('mg_vivify', b'mg viv s v c N30 t\r\n'),
    ('mg_vivify_again', b'mg viv s v N30\r\n'),
    ('mg_recache', b'mg mfoo v R2000 c\r\n'),
    ('ms_add_exists', b'ms mfoo 1 ME\r\nx\r\n'),
    ('ms_append', b'ms mfoo 2 MA\r\n!!\r\n'),
    ('ms_prepend_missing', b'ms nothing 2 MP O5 k\r\n<<\r\n'),
    ('ms_replace', b'ms mfoo 3 MR\r\nnew\r\n'),
    ('ms_cas_mismatch', b'ms mfoo 1 C1 O6\r\nx\r\n'),
    ('ms_cas_missing', b'ms nothing 1 C1\r\nx\r\n'),
    ('ms_invalidate', b'ms mfoo 3 I\r\nold\r\n'),
    ('md_stale', b'md mfoo I T30 O7 k\r\n'),
    ('mg_stale', b'mg mfoo v c\r\n'),
    ('mg_stale_again', b'mg mfoo v\r\n'),
    ('md', b'md mfoo\r\n'),
    ('md_quiet_miss', b'md mfoo q\r\n'),
    ('md_quiet_hit', b'md viv q\r\n'),
    ('ms_number', b'ms cnt 2\r\n10\r\n'),
    ('ma', b'ma cnt\r\n'),
    ('ma_value', b'ma cnt v t c D5 O8 k\r\n'),
    ('ma_decr', b'ma cnt MD D100 v\r\n'),
    ('ma_quiet', b'ma cnt q\r\n'),
    ('ma_miss', b'ma nothing O9\r\n'),
    ('ma_vivify', b'ma newcnt N0 J42 v\r\n'),
    ('ma_non_numeric', b'ma foo\r\n'),
    ('ms_base64', b'ms Zm9vYg== 3 k b\r\nbin\r\n'),
    ('mg_base64', b'mg Zm9vYg== k v s b\r\n'),
    ('ma_base64_miss', b'ma Zm9v O1 k b\r\n'),
    ('md_base64', b'md Zm9vYg== k q b\r\n'),
    ('mg_base64_key_raw', b'mg foob k v\r\n'),
    ('me', b'me cnt\r\n'),
    ('me_base64', b'me Zm9vYg== b\r\n'),
    ('me_miss', b'me nothing\r\n'),
    ('mg_bad_flag', b'mg mfoo zz\r\n'),
    ('ms_too_large', b'ms huge 2000000 T0\r\n' + b'x' * 2000000 + b'\r\n'),
    ('flush_all', b'flush_all\r\n'),
    ('flush_all_delay', b'flush_all 0\r\n'),
]


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else '/usr/bin/memcached'
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    server = subprocess.Popen([binary, '-U', '0', '-l', '127.0.0.1', '-p', str(port), '-u', 'root'])
    try:
        deadline = time.time() + 5
        while True:
            try:
                c = socket.create_connection(('127.0.0.1', port))
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.02)
        c.settimeout(5)
        print('# Generated by record_session.py from a real memcached; do not edit by hand.')
        print('# name<TAB>request bytes<TAB>reply bytes, C-escaped; one connection, in order.')
        for name, request in SESSION:
            # "mn" after each request marks the end of its answer.
            c.sendall(request + b'mn\r\n')
            out = b''
            while not out.endswith(b'MN\r\n') or (name == 'mn' and out.count(b'MN\r\n') < 2):
                chunk = c.recv(1 << 20)
                if not chunk:
                    raise SystemExit('memcached closed the connection at ' + name)
                out += chunk
            out = out[:-4]
            print('%s\t%s\t%s' % (name, escape(request), escape(out)))
        c.close()
    finally:
        server.terminate()
        server.wait()


if __name__ == '__main__':
    main()
