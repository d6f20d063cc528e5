// Key hashes, bit for bit the ones libmemcached 1.1.4 (Debian's build) uses.
//
// memkit places keys where libmemcached, pylibmc and other libketama-style
// clients do, so the hash of a key must match theirs exactly, quirks included:
// one-at-a-time and the FNV variants read key bytes as signed `char` (bytes
// >= 0x80 sign-extend), CRC keeps only 15 bits, MD5 is the first four digest
// bytes read little-endian, and HSIEH is compiled out of Debian's build, where
// it always returns 1. docs/placement.md has the full table.
//
// Thread-safety: every function here is pure and safe from any thread.

#ifndef MEMKIT_CORE_HASH_HASH_H_
#define MEMKIT_CORE_HASH_HASH_H_

#include <array>
#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace memkit {
namespace hash {

// libmemcached's key hashes. The values are those of memcached_hash_t, so a
// cast converts between the two.
enum class HashAlgorithm : uint8_t {
  kDefault = 0,    // Bob Jenkins' one-at-a-time: MEMCACHED_HASH_DEFAULT.
  kMd5 = 1,        // MD5 digest bytes 0-3, little-endian.
  kCrc = 2,        // ((~crc32) >> 16) & 0x7fff: only 15 bits.
  kFnv1_64 = 3,    // 64-bit FNV-1 truncated to 32 bits.
  kFnv1a_64 = 4,   // libmemcached's FNV-1a "64", which is 32-bit arithmetic.
  kFnv1_32 = 5,    // 32-bit FNV-1.
  kFnv1a_32 = 6,   // 32-bit FNV-1a.
  kHsieh = 7,      // Compiled out of Debian's libmemcached: always 1.
  kMurmur = 8,     // MurmurHash2, seed 0xdeadbeef * length.
  kJenkins = 9,    // lookup3 hashlittle(), initval 13.
  kMurmur3 = 10,   // MurmurHash3_x86_32, seed 0xdeadbeef * length.
};

// Every algorithm, in enum order.
inline constexpr std::array<HashAlgorithm, 11> kAllHashAlgorithms = {
    HashAlgorithm::kDefault,  HashAlgorithm::kMd5,     HashAlgorithm::kCrc,
    HashAlgorithm::kFnv1_64,  HashAlgorithm::kFnv1a_64, HashAlgorithm::kFnv1_32,
    HashAlgorithm::kFnv1a_32, HashAlgorithm::kHsieh,   HashAlgorithm::kMurmur,
    HashAlgorithm::kJenkins,  HashAlgorithm::kMurmur3,
};

// The hash of `key` under `algorithm`, equal to libmemcached's
// memcached_generate_hash_value(key, len, algorithm).
uint32_t Hash(HashAlgorithm algorithm, absl::string_view key);

// MurmurHash3_x86_32 of `data` with `seed`, reading blocks little-endian.
// kMurmur3 is this with seed 0xdeadbeef * length; memcached's own default
// hash (its hash table, `stats detail` prefixes) and pymemcache's rendezvous
// placement use seed 0.
uint32_t MurmurHash3_x86_32(absl::string_view data, uint32_t seed);

// The standard CRC-32 of `data` (zlib's crc32(), Python's binascii.crc32):
// python-memcached's server hash is ((Crc32(key) >> 16) & 0x7fff) or 1.
uint32_t Crc32(absl::string_view data);

// False only for kHsieh: Debian's libmemcached refuses it as a key hash
// (memcached_behavior_set(MEMCACHED_BEHAVIOR_HASH, HSIEH) fails), so a
// Placement cannot use it either.
bool UsableForPlacement(HashAlgorithm algorithm);

// The configuration name: pylibmc's ("default", "md5", "crc", "fnv1_64",
// "fnv1a_64", "fnv1_32", "fnv1a_32", "hsieh", "murmur", "jenkins") and
// "murmur3".
absl::string_view HashAlgorithmName(HashAlgorithm algorithm);

// Parses a name from HashAlgorithmName() or "one_at_a_time". Case and the
// choice of '_', '-' or ' ' between words do not matter. Anything else is
// InvalidArgument, naming the accepted values.
absl::StatusOr<HashAlgorithm> ParseHashAlgorithm(absl::string_view name);

}  // namespace hash
}  // namespace memkit

#endif  // MEMKIT_CORE_HASH_HASH_H_
