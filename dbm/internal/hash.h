// The seeded 64-bit key hash behind dbm's in-memory index.
//
// Stable across processes and builds (the hint file stores hashes), seeded per
// database so that keys chosen to collide in one file do not collide in
// another. Fast for short keys: a 16-byte key costs two 64x64->128 multiplies.
//
// Thread-safety: pure functions, safe from any thread.

#ifndef MEMKIT_DBM_INTERNAL_HASH_H_
#define MEMKIT_DBM_INTERNAL_HASH_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "absl/strings/string_view.h"

namespace memkit {
namespace dbm {
namespace internal {

namespace hash_detail {

constexpr uint64_t kK0 = 0x9e3779b97f4a7c15ULL;
constexpr uint64_t kK1 = 0xbf58476d1ce4e5b9ULL;
constexpr uint64_t kK2 = 0x94d049bb133111ebULL;
constexpr uint64_t kK3 = 0xd6e8feb86659fd93ULL;

// Folds the 128-bit product of a and b to 64 bits: cheap and well mixing.
inline uint64_t FoldMul(uint64_t a, uint64_t b) {
  const unsigned __int128 r = static_cast<unsigned __int128>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

inline uint64_t Word(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

// Up to 8 bytes, zero-padded.
inline uint64_t LoadPartial(const char* p, size_t n) {
  uint64_t v = 0;
  std::memcpy(&v, p, n);
  return v;
}

}  // namespace hash_detail

inline uint64_t HashKey(uint64_t seed, absl::string_view key) {
  using hash_detail::FoldMul;
  using hash_detail::kK0;
  using hash_detail::kK1;
  using hash_detail::kK2;
  using hash_detail::kK3;
  using hash_detail::LoadPartial;
  using hash_detail::Word;
  const char* p = key.data();
  size_t n = key.size();
  uint64_t h = seed ^ FoldMul(n ^ kK0, seed ^ kK3);
  while (n > 16) {
    h = FoldMul(Word(p) ^ seed ^ kK1, Word(p + 8) ^ h ^ kK2);
    p += 16;
    n -= 16;
  }
  uint64_t a;
  uint64_t b;
  if (n > 8) {
    a = Word(p);
    b = LoadPartial(p + 8, n - 8);
  } else {
    a = n == 0 ? 0 : LoadPartial(p, n);
    b = 0;
  }
  h = FoldMul(a ^ seed ^ kK1, b ^ h ^ kK2);
  return FoldMul(h ^ kK0, kK3);
}

}  // namespace internal
}  // namespace dbm
}  // namespace memkit

#endif  // MEMKIT_DBM_INTERNAL_HASH_H_
