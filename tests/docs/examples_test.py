#!/usr/bin/python3
"""Runs or checks every python, sh and json block of docs/*.md and README.md.

  examples_test.py --root=DIR --memkit=BIN --server=BIN --pythonpath=DIR PAGE.md...

(tests/docs/doc_blocks.py says how markers decide a block's fate; C++ blocks are
//tests/docs:cpp_examples_test's.)
- python: run with /usr/bin/python3 against a memkit-server started here on an
  OS-chosen port; the examples' `127.0.0.1:11211` / ("127.0.0.1", 11211) are
  pointed at it. A block defining test_* functions runs under pytest with the
  memkit module importable. A context marker is prepended. A block marked
  `tls` runs against a second memkit-server started with -Z on a fresh
  self-signed certificate (openssl req), in a directory holding ca.pem,
  server.pem and server.key; its ("127.0.0.1", 11311) is pointed at that
  server and the marker's further lines run after the block.
- Starlark blocks (python blocks starting with "# WORKSPACE", "# BUILD" or
  "# <path>/BUILD.bazel"): parsed, and each label's package and target must exist.
- sh: parsed. Every `memkit COMMAND --flag` must be a command and flag that
  `memkit help COMMAND` lists; every Bazel label and every script path must
  exist. With `<!-- docs-test: run -->` the block is run by bash -e in a scratch
  directory, `memkit` on PATH and MEMCACHED_SERVERS set to the test server.
- json: parsed.
Prints one line per block and exits 1 if any failed.
"""

import argparse
import ast
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ beside the sources
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import doc_blocks  # noqa: E402

DEADLINE = 60.0


class MemkitServer:
    def __init__(self, binary, workdir, extra_args=()):
        self.port_file = os.path.join(workdir, "server.port")
        self.log = open(os.path.join(workdir, "server.log"), "w")
        env = dict(os.environ, MEMCACHED_PORT_FILENAME=self.port_file)
        argv = [binary, "-p", "-1", "-l", "127.0.0.1", "-U", "0"] + list(extra_args)
        self.proc = subprocess.Popen(argv, env=env,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        self.port = None
        while self.port is None:
            if self.proc.poll() is not None:
                raise RuntimeError("memkit-server exited with %d" % self.proc.returncode)
            if time.monotonic() > deadline:
                raise TimeoutError("memkit-server wrote no port file")
            try:
                with open(self.port_file) as f:
                    m = re.search(r"TCP INET: (\d+)", f.read())
                    self.port = int(m.group(1)) if m else None
            except OSError:
                pass
            time.sleep(0.005)  # polling interval, not a readiness guess

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def source_root(root):
    """The checkout (for BUILD files, which are not test data): the runfiles'
    pages are symlinks into it."""
    real = os.path.realpath(os.path.join(root, "docs", "compatibility.md"))
    return os.path.dirname(os.path.dirname(real))


def label_problem(label, src):
    m = re.match(r"^(?:@memkit)?//([A-Za-z0-9_/.-]*)(?::([A-Za-z0-9_.+-]+))?$", label)
    if not m:
        return None
    pkg, name = m.group(1), m.group(2)
    if pkg.endswith("/...") or pkg == "...":
        pkg = pkg[:-4] if pkg != "..." else ""
        return None if os.path.isdir(os.path.join(src, pkg)) else "no package //%s" % pkg
    build = None
    for f in ("BUILD.bazel", "BUILD"):
        if os.path.exists(os.path.join(src, pkg, f)):
            build = os.path.join(src, pkg, f)
    if build is None:
        return "no package //%s (label %s)" % (pkg, label)
    name = name or os.path.basename(pkg)
    if name == "all":
        return None
    with open(build) as f:
        text = f.read()
    if re.search(r'name = "%s"' % re.escape(name), text) or \
            os.path.exists(os.path.join(src, pkg, name)):
        return None
    return "no target %s" % label


# ---------------------------------------------------------------------------

def check_starlark(block, src):
    ast.parse(block.text)
    problems = []
    for label in re.findall(r'"((?:@memkit)?//[^"]*)"', block.text):
        p = label_problem(label, src)
        if p:
            problems.append(p)
    # load("@memkit//bazel:deps.bzl", "memkit_dependencies"): the symbol must exist.
    for pkg, file, sym in re.findall(r'load\("@memkit//([^:"]*):([^"]+)",\s*"(\w+)"', block.text):
        with open(os.path.join(src, pkg, file)) as f:
            if not re.search(r"^def %s\(" % sym, f.read(), re.M):
                problems.append("%s does not define %s" % (file, sym))
    return problems


def point_at(text, port, doc_port=11211):
    text = text.replace("127.0.0.1:%d" % doc_port, "127.0.0.1:%d" % port)
    return re.sub(r'\("127\.0\.0\.1",\s*%d\)' % doc_port, '("127.0.0.1", %d)' % port, text)


class TlsServer:
    """memkit-server with -Z on a fresh self-signed certificate for 127.0.0.1
    (its own CA), in a directory holding ca.pem, server.pem and server.key as
    the TLS examples name them. Started on first use, for `tls` blocks."""

    def __init__(self, binary, workdir):
        self.dir = os.path.join(workdir, "tls")
        os.makedirs(self.dir)
        cert, key = os.path.join(self.dir, "server.pem"), os.path.join(self.dir, "server.key")
        r = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                            "-keyout", key, "-out", cert], capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("openssl req failed: " + r.stderr.strip()[-400:])
        shutil.copy(cert, os.path.join(self.dir, "ca.pem"))   # self-signed: its own CA
        self.server = MemkitServer(binary, self.dir, [
            "-Z", "-o", "ssl_chain_cert=%s,ssl_key=%s" % (cert, key)])
        self.port = self.server.port

    def stop(self):
        self.server.stop()


def run_python(block, args, server, workdir, tls=None):
    code = (block.context + "\n" if block.context else "") + point_at(block.text, server.port)
    if tls is not None:
        # The TLS examples use port 11311 and ca.pem in the current directory;
        # the marker's lines after "tls" run after the block (they use it).
        code = point_at(code, tls.port, 11311) + "\n" + block.tls_epilogue + "\n"
        workdir = tls.dir
    path = os.path.join(workdir, "%s.py" % block.ident)
    with open(path, "w") as f:
        f.write(code)
    env = dict(os.environ, PYTHONPATH=args.pythonpath, MEMKIT_SERVER_BINARY=args.server)
    cmd = [sys.executable, path]
    if re.search(r"^def test_", code, re.M):
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", path]
    r = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True, timeout=DEADLINE)
    if r.returncode != 0:
        return ["exit %d: %s" % (r.returncode, (r.stdout + r.stderr).strip()[-800:])]
    return []


_help_cache = {}


def memkit_flags(memkit, command):
    if command not in _help_cache:
        r = subprocess.run([memkit, "help", command], capture_output=True, text=True)
        _help_cache[command] = None if r.returncode != 0 else set(
            re.findall(r"--[a-z0-9][a-z0-9-]*", r.stdout + r.stderr))
    return _help_cache[command]


def shell_commands(text):
    """Simple commands of a shell snippet: continuation lines joined, comments
    dropped, split at pipes, && and ;."""
    text = text.replace("\\\n", " ")
    out = []
    for line in text.split("\n"):
        line = re.sub(r"(^|\s)#.*$", "", line).strip()
        if not line:
            continue
        for part in re.split(r"\|\||&&|\||;", line):
            part = re.sub(r"\s*\d?[<>]+\s*\S+", "", part).strip()   # redirections
            if part:
                out.append(part)
    return out


def check_sh(block, args, src):
    problems = []
    for cmd in shell_commands(block.text):
        try:
            words = shlex.split(cmd)
        except ValueError as e:
            problems.append("cannot parse %r: %s" % (cmd, e))
            continue
        if not words:
            continue
        if words[0] == "memkit":
            rest = [w for w in words[1:]]
            command = next((w for w in rest if not w.startswith("-")), None)
            if command is None:
                continue
            flags = memkit_flags(args.memkit, command)
            if flags is None:
                problems.append("`memkit help %s` fails: no such command" % command)
                continue
            for w in rest:
                if w.startswith("--"):
                    flag = w.split("=")[0]
                    if flag not in flags:
                        problems.append("`memkit %s` has no flag %s" % (command, flag))
        elif words[0] == "bazel":
            for w in words[1:]:
                if w.startswith("//") or w.startswith("@memkit//"):
                    p = label_problem(w, src)
                    if p:
                        problems.append(p)
        for w in words:
            if re.match(r"^[a-z_]+/[\w/.-]+\.(sh|py)$", w) and \
                    not os.path.exists(os.path.join(src, w)):
                problems.append("no file %s" % w)
    return problems


def run_sh(block, args, server, workdir):
    bindir = os.path.join(workdir, "bin")
    os.makedirs(bindir, exist_ok=True)
    link = os.path.join(bindir, "memkit")
    if not os.path.exists(link):
        os.symlink(args.memkit, link)
    scratch = tempfile.mkdtemp(dir=workdir)
    env = dict(os.environ, PATH=bindir + os.pathsep + os.environ.get("PATH", "/usr/bin:/bin"))
    code = "set -euo pipefail\n" + (block.context + "\n" if block.context else "") + \
        point_at(block.text, server.port)
    r = subprocess.run(["/bin/bash", "-c", code], cwd=scratch, env=env, capture_output=True,
                       text=True, timeout=DEADLINE)
    if r.returncode != 0:
        return ["exit %d: %s" % (r.returncode, (r.stdout + r.stderr).strip()[-800:])]
    return []


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--memkit", required=True)
    ap.add_argument("--server", required=True)
    ap.add_argument("--pythonpath", required=True)
    ap.add_argument("pages", nargs="+")
    args = ap.parse_args()
    src = source_root(args.root)
    workdir = tempfile.mkdtemp(prefix="docs-examples.", dir=os.environ.get("TEST_TMPDIR"))
    blocks = doc_blocks.load([os.path.join(args.root, p) for p in args.pages], args.root)
    server = MemkitServer(args.server, workdir)
    tls = None
    failed = 0
    counts = {}
    try:
        for b in blocks:
            if b.lang not in ("python", "sh", "json"):
                continue
            if b.skip_reason:
                verdict, problems = "skipped " + b.skip_reason, []
            elif b.lang == "json":
                verdict = "parsed"
                try:
                    json.loads(b.text)
                    problems = []
                except ValueError as e:
                    problems = [str(e)]
            elif b.lang == "python" and re.match(r"^# (WORKSPACE|BUILD|\S+/BUILD(\.bazel)?)\b", b.text):
                verdict, problems = "starlark checked", check_starlark(b, src)
            elif b.lang == "python" and b.marker("tls"):
                if tls is None:
                    tls = TlsServer(args.server, workdir)
                verdict, problems = "ran (TLS)", run_python(b, args, server, workdir, tls)
            elif b.lang == "python":
                verdict, problems = "ran", run_python(b, args, server, workdir)
            elif b.marker("run"):
                problems = check_sh(b, args, src)
                verdict = "ran"
                if not problems:
                    problems = run_sh(b, args, server, workdir)
            else:
                verdict, problems = "checked", check_sh(b, args, src)
            counts[verdict.split(" ")[0]] = counts.get(verdict.split(" ")[0], 0) + 1
            status = "FAIL" if problems else "ok"
            print("%-4s %s %s: %s" % (status, b.where(), b.lang, verdict))
            for p in problems:
                print("       " + p.replace("\n", "\n       "))
            failed += bool(problems)
    finally:
        server.stop()
        if tls is not None:
            tls.stop()
    print("%d blocks failed; %s" % (failed, ", ".join("%s %d" % kv for kv in sorted(counts.items()))))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
