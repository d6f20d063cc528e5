"""python3 -m memkit stats HOST:PORT [--token-file=F]: prints GetStats as JSON.

A minimal admin client in Python, built only from Debian packages.
"""

import sys

from google.protobuf import json_format

from memkit.admin import AdminClient, AdminError


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    flags = dict(a[2:].split("=", 1) for a in argv if a.startswith("--") and "=" in a)
    if len(args) != 2 or args[0] != "stats":
        print("usage: python3 -m memkit stats HOST:PORT [--token-file=F]", file=sys.stderr)
        return 2
    token = None
    if "token-file" in flags:
        with open(flags["token-file"]) as f:
            token = f.read().strip()
    try:
        with AdminClient(args[1], token=token) as admin:
            snapshot = admin.get_stats()
    except AdminError as e:
        print("memkit: %s" % e, file=sys.stderr)
        return 1
    print(json_format.MessageToJson(snapshot, preserving_proto_field_name=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
