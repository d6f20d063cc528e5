#!/usr/bin/env bash
# `memkit migrate-plan` and `memkit locate --placement` against the real
# Python clients: the keys python-memcached and pymemcache place on different
# servers, counted with the libraries themselves, must be exactly the keys
# memkit says move; server-list changes move what consistent hashing says.
set -uo pipefail
memkit=tools/memkit
python=/usr/bin/python3
tmp=${TEST_TMPDIR:-$(mktemp -d)}
failures=0
check() {  # check NAME EXPECTED ACTUAL
  if [[ "$2" != "$3" ]]; then
    echo "FAIL $1: expected [$2] got [$3]"
    failures=$((failures + 1))
  fi
}
servers=10.0.0.1:11211,10.0.0.2:11211,10.0.0.3:11212

"$python" - "$tmp/keys" <<'PY'
import random, sys
rng = random.Random(5)
with open(sys.argv[1], "w") as f:
    for i in range(5000):
        f.write("user:%d:%s\n" % (i, "".join(rng.choice("abcdefxyz0123") for _ in range(rng.randint(0, 12)))))
PY

# The direct count, with the two libraries.
direct=$("$python" - "$tmp/keys" <<'PY'
import sys
import memcache
from pymemcache.client.rendezvous import RendezvousHash
names = ["10.0.0.1:11211", "10.0.0.2:11211", "10.0.0.3:11212"]
old = memcache.Client(names)
for s in old.servers:
    s.connect = lambda: 1
new = RendezvousHash(names)
keys = [k.rstrip("\n") for k in open(sys.argv[1])]
moved = 0
for k in keys:
    before = old._get_server(k.encode())[0]
    before = "%s:%d" % (before.ip, before.port)
    moved += before != new.get_node(k)
print(moved, len(keys))
PY
)
[[ -n "$direct" ]] || { echo "FAIL: the Python clients did not run (run tools/setup.sh)"; exit 1; }
out=$("$memkit" migrate-plan --servers=$servers --from=python_memcached --to=pymemcache --json <"$tmp/keys")
check "migrate-plan exit" 0 $?
check "python-memcached -> pymemcache moved keys" "$direct" \
  "$("$python" -c 'import json,sys; r=json.loads(sys.argv[1]); print(r["moved"], r["keys"])' "$out")"
check "per-server totals add up" "5000 5000" \
  "$("$python" -c 'import json,sys; r=json.loads(sys.argv[1]); s=r["servers"].values(); print(sum(v["before"] for v in s), sum(v["after"] for v in r["servers"].values()))' "$out")"

# Adding a fourth server: ketama moves about a quarter, modula about three quarters.
moved_fraction() {
  "$memkit" migrate-plan --servers=$servers --to-servers=$servers,10.0.0.4:11211 --from="$1" --json <"$tmp/keys" |
    "$python" -c 'import json,sys; print(int(100 * json.load(sys.stdin)["moved_fraction"]))'
}
ketama=$(moved_fraction ketama_weighted)
modula=$(moved_fraction modula)
((ketama >= 15 && ketama <= 35)) || { echo "FAIL ketama 3->4 moved ${ketama}%"; failures=$((failures + 1)); }
((modula >= 65 && modula <= 85)) || { echo "FAIL modula 3->4 moved ${modula}%"; failures=$((failures + 1)); }
out=$("$memkit" migrate-plan --servers=$servers --from=pymemcache --json <"$tmp/keys" |
  "$python" -c 'import json,sys; print(json.load(sys.stdin)["moved"])')
check "unchanged plan" 0 "$out"

# locate --placement agrees with the libraries key by key.
want=$("$python" - <<'PY'
import memcache
from pymemcache.client.rendezvous import RendezvousHash
names = ["10.0.0.1:11211", "10.0.0.2:11211", "10.0.0.3:11212"]
old = memcache.Client(names)
for s in old.servers:
    s.connect = lambda: 1
new = RendezvousHash(names)
for k in ["foo", "bar", "hello", "user:1234", "clé"]:
    s = old._get_server(k.encode())[0]
    print("%s %s:%d %s" % (k, s.ip, s.port, new.get_node(k)))
PY
)
got=$(for k in foo bar hello user:1234 clé; do
  echo "$k $("$memkit" locate --servers=$servers --placement=python_memcached "$k" | cut -f2) $("$memkit" locate --servers=$servers --placement=pymemcache "$k" | cut -f2)"
done)
check "locate per key" "$want" "$got"

"$memkit" locate --servers=$servers --placement=nonsense k 2>/dev/null; check "bad placement" 2 $?
"$memkit" migrate-plan --servers=$servers --from=ketama </dev/null 2>/dev/null; check "no keys" 2 $?
"$memkit" migrate-plan --servers=$servers --to=bogus:md5 <"$tmp/keys" 2>/dev/null; check "bad --to" 2 $?

echo "$failures failures"
((failures == 0))
