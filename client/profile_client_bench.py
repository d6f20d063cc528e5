#!/usr/bin/python3
"""Per-operation syscalls, context switches, CPU and instructions for each
client_bench contender: figures that stay put on a loaded machine, unlike
ops/s.

  bazel build --config=opt //client:client_bench
  client/profile_client_bench.py bazel-bin/client/client_bench [--ops=20000]
      [--workloads=get,set,multiget] [--callgrind] [--value_size=32]

Starts four memcached on free loopback ports (stopped again at exit), then for
each workload and client runs client_bench twice under `perf stat` (tracepoint
and software events only: no hardware counters needed), with --ops=N and with
--ops=0, and prints the difference divided by N. With --callgrind it also
counts the client's own user-space instructions per operation (valgrind's
--toggle-collect on the bench's One<Client><Workload> functions; slow).
"""

import argparse
import os
import signal
import socket
import subprocess
import sys
import time

EVENTS = [
    'raw_syscalls:sys_enter', 'syscalls:sys_enter_sendto', 'syscalls:sys_enter_recvfrom',
    'syscalls:sys_enter_poll', 'context-switches', 'task-clock'
]
SHORT = {
    'raw_syscalls:sys_enter': 'syscalls', 'syscalls:sys_enter_sendto': 'send',
    'syscalls:sys_enter_recvfrom': 'recv', 'syscalls:sys_enter_poll': 'poll',
    'context-switches': 'ctxsw', 'task-clock': 'cpu_us'
}
CLIENTS = {
    'get': [('memkit', 'MemkitGet'), ('libmemcached', 'LibmemcachedGet'), ('raw', 'RawGet')],
    'set': [('memkit', 'MemkitSet'), ('libmemcached', 'LibmemcachedSet')],
    'multiget': [('memkit', 'MemkitMultiGet'), ('memkit map', 'MemkitMapMultiGet'),
                 ('libmemcached', 'LibmemcachedMultiGet'), ('raw', 'RawMultiGet')],
}


def free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(('127.0.0.1', 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def start_memcached(n):
    procs, ports = [], free_ports(n)
    for port in ports:
        argv = ['/usr/bin/memcached', '-l', '127.0.0.1', '-p', str(port), '-U', '0', '-t', '1',
                '-m', '64']
        if os.geteuid() == 0:
            argv += ['-u', 'root']
        procs.append(subprocess.Popen(argv))
    deadline = time.time() + 10
    for port in ports:
        while True:
            try:
                socket.create_connection(('127.0.0.1', port), timeout=1).close()
                break
            except OSError:
                if time.time() > deadline:
                    raise SystemExit('memcached did not start on port %d' % port)
                time.sleep(0.02)
    return procs, ports


def perf_counts(bench, servers, workload, client, ops, extra):
    argv = ['perf', 'stat', '-x', ',', '-e', ','.join(EVENTS), bench, '--servers=' + servers,
            '--workload=' + workload, '--client=' + client, '--ops=%d' % ops, '--rounds=1'] + extra
    r = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                       check=True)
    counts = {}
    for line in r.stderr.splitlines():
        f = line.split(',')
        if len(f) > 2:
            name = f[2].split(':u')[0] if f[2].startswith('task-clock') else f[2]
            if name in EVENTS:
                try:
                    counts[name] = float(f[0])
                except ValueError:
                    pass
    return counts


def callgrind_per_op(bench, servers, workload, client, function, ops, extra):
    out = '/tmp/profile_client_bench.%d.callgrind' % os.getpid()
    argv = ['valgrind', '--tool=callgrind', '--callgrind-out-file=' + out,
            '--toggle-collect=*One%s*' % function, bench, '--servers=' + servers,
            '--workload=' + workload, '--client=' + client, '--ops=%d' % ops, '--rounds=1'] + extra
    r = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                       check=True)
    os.unlink(out)
    for line in r.stderr.splitlines():
        if 'Collected :' in line:
            # The bench calls each operation once more before measuring.
            return float(line.split()[-1]) / (ops + 1)
    return float('nan')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('bench')
    ap.add_argument('--ops', type=int, default=20000)
    ap.add_argument('--workloads', default='get,set,multiget')
    ap.add_argument('--callgrind', action='store_true')
    ap.add_argument('--value_size', type=int, default=32)
    args = ap.parse_args()
    extra = ['--value_size=%d' % args.value_size]
    procs, ports = start_memcached(4)
    try:
        servers = ','.join('127.0.0.1:%d' % p for p in ports)
        cols = [SHORT[e] for e in EVENTS] + (['instr'] if args.callgrind else [])
        print('%-9s %-13s' % ('workload', 'client') + ''.join('%10s' % c for c in cols))
        for workload in args.workloads.split(','):
            for client, function in CLIENTS[workload]:
                base = perf_counts(args.bench, servers, workload, client, 0, extra)
                full = perf_counts(args.bench, servers, workload, client, args.ops, extra)
                row = []
                for e in EVENTS:
                    v = (full.get(e, 0) - base.get(e, 0)) / args.ops
                    row.append(v * 1000 if e == 'task-clock' else v)  # msec -> us
                if args.callgrind:
                    row.append(callgrind_per_op(args.bench, servers, workload, client, function,
                                                min(args.ops, 2000), extra))
                print('%-9s %-13s' % (workload, client) + ''.join('%10.2f' % v for v in row))
                sys.stdout.flush()
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait()


if __name__ == '__main__':
    main()
