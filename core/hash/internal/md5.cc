#include "core/hash/internal/md5.h"

#include <cstring>

namespace memkit {
namespace hash {
namespace internal {
namespace {

// Per-round shift amounts and the sine-derived constants of RFC 1321 3.4.
constexpr int kShift[64] = {
    7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
    5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20,
    4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
    6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
};

constexpr uint32_t kSine[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a,
    0xa8304613, 0xfd469501, 0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be,
    0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340,
    0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8,
    0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c,
    0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa,
    0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92,
    0xffeff47d, 0x85845dd1, 0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1,
    0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};

inline uint32_t RotateLeft(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

inline uint32_t LoadLittle32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

// One MD5 step: a = b + rotl(a + f + constant + message word, shift).
inline void Step(uint32_t& a, uint32_t b, uint32_t f, uint32_t word, int i) {
  a = b + RotateLeft(a + f + kSine[i] + word, kShift[i]);
}

// Mixes one 64-byte block into `state`. Four loops, one per round, so each
// round's function and message schedule are fixed and the loops unroll.
void Compress(uint32_t state[4], const uint8_t block[64]) {
  uint32_t m[16];
  for (int i = 0; i < 16; ++i) m[i] = LoadLittle32(block + 4 * i);

  uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
  for (int i = 0; i < 16; i += 4) {
    Step(a, b, (b & c) | (~b & d), m[i], i);
    Step(d, a, (a & b) | (~a & c), m[i + 1], i + 1);
    Step(c, d, (d & a) | (~d & b), m[i + 2], i + 2);
    Step(b, c, (c & d) | (~c & a), m[i + 3], i + 3);
  }
  for (int i = 16; i < 32; i += 4) {
    Step(a, b, (b & d) | (c & ~d), m[(5 * i + 1) & 15], i);
    Step(d, a, (a & c) | (b & ~c), m[(5 * i + 6) & 15], i + 1);
    Step(c, d, (d & b) | (a & ~b), m[(5 * i + 11) & 15], i + 2);
    Step(b, c, (c & a) | (d & ~a), m[(5 * i + 16) & 15], i + 3);
  }
  for (int i = 32; i < 48; i += 4) {
    Step(a, b, b ^ c ^ d, m[(3 * i + 5) & 15], i);
    Step(d, a, a ^ b ^ c, m[(3 * i + 8) & 15], i + 1);
    Step(c, d, d ^ a ^ b, m[(3 * i + 11) & 15], i + 2);
    Step(b, c, c ^ d ^ a, m[(3 * i + 14) & 15], i + 3);
  }
  for (int i = 48; i < 64; i += 4) {
    Step(a, b, c ^ (b | ~d), m[(7 * i) & 15], i);
    Step(d, a, b ^ (a | ~c), m[(7 * i + 7) & 15], i + 1);
    Step(c, d, a ^ (d | ~b), m[(7 * i + 14) & 15], i + 2);
    Step(b, c, d ^ (c | ~a), m[(7 * i + 21) & 15], i + 3);
  }
  state[0] += a;
  state[1] += b;
  state[2] += c;
  state[3] += d;
}

}  // namespace

Md5Digest Md5(absl::string_view data) {
  uint32_t state[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  size_t remaining = data.size();
  while (remaining >= 64) {
    Compress(state, p);
    p += 64;
    remaining -= 64;
  }

  // Padding: 0x80, zeros to 56 mod 64, then the bit length little-endian.
  uint8_t tail[128] = {};
  if (remaining > 0) std::memcpy(tail, p, remaining);
  tail[remaining] = 0x80;
  const size_t tail_size = remaining < 56 ? 64 : 128;
  const uint64_t bits = static_cast<uint64_t>(data.size()) * 8;
  for (int i = 0; i < 8; ++i) {
    tail[tail_size - 8 + i] = static_cast<uint8_t>(bits >> (8 * i));
  }
  Compress(state, tail);
  if (tail_size == 128) Compress(state, tail + 64);

  Md5Digest digest;
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 4; ++j) {
      digest[4 * i + j] = static_cast<uint8_t>(state[i] >> (8 * j));
    }
  }
  return digest;
}

}  // namespace internal
}  // namespace hash
}  // namespace memkit
