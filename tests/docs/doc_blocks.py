"""Fenced code blocks of the Markdown pages, with their docs-test markers.

A block's fate is decided by its language tag and by marker comments on the
lines right above its opening fence (blank lines may sit between them):

  <!-- docs-test: skip (why) -->     not tested; the reason is required
  <!-- docs-test: run -->            an sh block run with bash against a test server
  <!-- docs-test: cpp-test -->       a C++ block that becomes the body of a gtest TEST
  <!-- docs-test: tls
  client.set("k", "v")
  -->                                a python block run against memkit-server -Z on a
                                     fresh certificate (ca.pem in its directory, port
                                     11311 as the examples say); the lines after "tls"
                                     run after the block and must use what it made
  <!-- docs-test: includes
  #include "server/cache.h"
  -->                                headers a C++ block needs but does not show
  <!-- docs-test: context
  std::vector<absl::string_view> keys = {"a"};
  -->                                declarations the block assumes (C++ blocks: placed
                                     before the body; hidden on the rendered page)

Defaults by language: cpp/c++ is compiled (as the body of a function returning
absl::Status, or at namespace scope when it declares classes or TESTs); python
is run with /usr/bin/python3 against memkit-server (Starlark blocks starting
with "# WORKSPACE" or "# BUILD" are parsed and their labels checked); sh is
parsed (each memkit command and flag must exist; each Bazel label and script
path too); json is parsed. Untagged blocks are prose (diagrams, output) and
are not tested.

OVERRIDES gives markers for pages this package does not own (edited by
others), keyed by page and the block's first line.
"""

import os
import re

OVERRIDES = {
    # (page, start of the block's first line): markers
    ("docs/admin.md", "class MyStats : public memkit::admin::StatsProvider"): [
        "skip (a sketch inside a class of the reader's: requests_, latency_, my_pools_service)"],
    ("docs/server.md", "memkit::server::ServerOptions options;"): [
        'includes\n#include "server/server.h"'],
    ("docs/server.md", "import ssl, pymemcache.client.base"): [
        'tls\nclient.set("tls", "ok")\nassert client.get("tls") == b"ok"'],
    ("docs/server-engine.md", "memkit::server::CacheOptions options;"): [
        'includes\n#include "server/cache.h"'],
}


def _override(page, first_line):
    for (p, prefix), markers in OVERRIDES.items():
        if p == page and first_line.startswith(prefix):
            return markers
    return []


class Block:
    def __init__(self, page, line, lang, text, markers):
        self.page = page        # path relative to the repository root
        self.line = line        # 1-based line of the opening fence
        self.lang = lang        # "cpp", "python", "sh", ... ("" untagged)
        self.text = text
        self.markers = markers  # list of marker strings (after "docs-test:")

    @property
    def first_line(self):
        return self.text.split("\n", 1)[0]

    def marker(self, name):
        for m in self.markers:
            if m == name or m.startswith(name + " ") or m.startswith(name + "\n"):
                return m
        return None

    @property
    def skip_reason(self):
        m = self.marker("skip")
        if m is None:
            return None
        return m[len("skip"):].strip() or "(no reason given)"

    @property
    def context(self):
        m = self.marker("context")
        return m[len("context"):].strip("\n ") if m else ""

    @property
    def tls_epilogue(self):
        m = self.marker("tls")
        return m[len("tls"):].strip("\n ") if m else ""

    @property
    def includes(self):
        m = self.marker("includes")
        return [l.strip() for l in m.split("\n")[1:] if l.strip()] if m else []

    @property
    def ident(self):
        return re.sub(r"[^A-Za-z0-9]", "_", "%s_%d" % (self.page, self.line))

    def where(self):
        return "%s:%d" % (self.page, self.line)


LANG_ALIASES = {"c++": "cpp", "cc": "cpp", "console": "sh", "bash": "sh", "shell": "sh"}


def parse(page, text):
    """Blocks of one page. `page` is the path shown in messages."""
    blocks = []
    lines = text.split("\n")
    markers = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("<!-- docs-test:"):
            body = line[len("<!-- docs-test:"):]
            while "-->" not in body and i + 1 < len(lines):
                i += 1
                body += "\n" + lines[i]
            markers.append(body.split("-->")[0].strip(" "))
            i += 1
            continue
        fence = re.match(r"^```(\S*)\s*$", line)
        if fence:
            lang = LANG_ALIASES.get(fence.group(1), fence.group(1))
            start = i + 1
            j = start
            while j < len(lines) and not lines[j].startswith("```"):
                j += 1
            block = Block(page, start, lang, "\n".join(lines[start:j]), markers)
            block.markers = block.markers + _override(page, block.first_line)
            blocks.append(block)
            markers = []
            i = j + 1
            continue
        if line.strip():
            markers = []
        i += 1
    return blocks


def load(paths, root):
    """Blocks of every page; paths are files, shown relative to root."""
    out = []
    for p in sorted(paths):
        with open(p) as f:
            out += parse(os.path.relpath(p, root), f.read())
    return out
