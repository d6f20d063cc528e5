// MD5 (RFC 1321), the one cryptographic-looking piece of key placement: the
// MD5 key hash and every point of a weighted ketama continuum come from it.
// Written for memkit from the RFC; speed matters only a little (one call per
// key lookup with the MD5 hash), correctness is checked against the RFC's
// vectors and against libmemcached.
//
// Thread-safety: pure function.

#ifndef MEMKIT_CORE_HASH_INTERNAL_MD5_H_
#define MEMKIT_CORE_HASH_INTERNAL_MD5_H_

#include <array>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace memkit {
namespace hash {
namespace internal {

using Md5Digest = std::array<uint8_t, 16>;

// The MD5 digest of `data`.
Md5Digest Md5(absl::string_view data);

// Bytes 4*word .. 4*word+3 of `digest` read little-endian (word 0..3): how
// libmemcached turns a digest into a hash value or a ketama point.
inline uint32_t Md5Word(const Md5Digest& digest, int word) {
  const uint8_t* p = digest.data() + 4 * word;
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

}  // namespace internal
}  // namespace hash
}  // namespace memkit

#endif  // MEMKIT_CORE_HASH_INTERNAL_MD5_H_
