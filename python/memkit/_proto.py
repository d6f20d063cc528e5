"""Loads admin_pb2, the messages generated from core/admin/admin.proto.

Bazel generates it beside this file (//python:memkit). Outside Bazel,
`python/generate.sh` writes it here with Debian's protoc; MEMKIT_ADMIN_PB2_DIR
may also name a directory holding an admin_pb2.py.
"""

import importlib.util
import os


def _load():
    candidates = [os.path.join(os.path.dirname(__file__), "admin_pb2.py")]
    extra = os.environ.get("MEMKIT_ADMIN_PB2_DIR")
    if extra:
        candidates.insert(0, os.path.join(extra, "admin_pb2.py"))
    # Bazel may put the generated file in a parallel tree (bazel-bin) that
    # shares the package name: look along sys.path for any memkit/admin_pb2.py.
    import sys

    for entry in sys.path:
        candidates.append(os.path.join(entry, "memkit", "admin_pb2.py"))
    for path in candidates:
        if os.path.isfile(path):
            spec = importlib.util.spec_from_file_location("memkit.admin_pb2", path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            sys.modules["memkit.admin_pb2"] = module
            return module
    raise ImportError(
        "memkit: admin_pb2.py not found; build //python:memkit with Bazel or run "
        "python/generate.sh (Debian's protoc --python_out on core/admin/admin.proto)")


pb = _load()
