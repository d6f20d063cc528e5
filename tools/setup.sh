#!/usr/bin/env bash
# Installs every Debian package memkit's build, tests, benchmarks and peers
# need, and nothing when they are all present. Safe to run any number of times.
set -euo pipefail

PACKAGES=(
  # build
  bazel-bootstrap default-jdk-headless pkg-config g++ git
  libabsl-dev libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libgtest-dev libgmock-dev libbenchmark-dev zlib1g-dev libre2-dev
  libssl-dev libsasl2-modules  # memkit-server -Z (OpenSSL); SASL PLAIN for pylibmc and memcached -S
  # fuzzing (--config=fuzz)
  clang libclang-rt-14-dev
  # peers: real memcached, libmemcached and its tools, twemproxy, Python clients
  memcached libmemcached-dev libmemcached-tools nutcracker
  python3 python3-pymemcache python3-pylibmc python3-memcache
  # admin API: promtool (checks /metrics), gRPC for Python, openssl (test certificates)
  prometheus python3-grpcio python3-protobuf python3-pytest openssl
  # dbm peers
  libleveldb-dev liblmdb-dev libgdbm-dev libkyotocabinet-dev
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if [[ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" != "install ok installed" ]]; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

SUDO=""
if [[ "$(id -u)" != 0 ]]; then
  SUDO="sudo"
fi
echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done" >&2
