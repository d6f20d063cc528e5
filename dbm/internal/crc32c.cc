#include "dbm/internal/crc32c.h"

#include <array>
#include <cstring>

namespace memkit {
namespace dbm {
namespace internal {
namespace {

constexpr uint32_t kPolynomial = 0x82f63b78;  // CRC-32C, reflected.

struct Tables {
  std::array<std::array<uint32_t, 256>, 8> t;
  constexpr Tables() : t() {
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c >> 1) ^ ((c & 1) ? kPolynomial : 0);
      t[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; ++i) {
      for (int s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xff];
    }
  }
};

constexpr Tables kTables;

inline uint64_t Load64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t Crc32cExtendSse42(uint32_t crc, const char* data,
                                                             size_t n) {
  uint64_t c = ~crc;
  while (n >= 8) {
    c = __builtin_ia32_crc32di(c, Load64(data));
    data += 8;
    n -= 8;
  }
  uint32_t c32 = static_cast<uint32_t>(c);
  while (n > 0) {
    c32 = __builtin_ia32_crc32qi(c32, static_cast<unsigned char>(*data));
    ++data;
    --n;
  }
  return ~c32;
}

bool HaveSse42() {
  static const bool have = __builtin_cpu_supports("sse4.2");
  return have;
}
#endif

}  // namespace

uint32_t Crc32cExtendPortable(uint32_t crc, const char* data, size_t n) {
  const auto& t = kTables.t;
  uint32_t c = ~crc;
  while (n >= 8) {
    // Little-endian slice-by-8; on big-endian hosts fall back to bytes below.
    uint64_t w = Load64(data) ^ c;
    if (!(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)) break;
    c = t[7][w & 0xff] ^ t[6][(w >> 8) & 0xff] ^ t[5][(w >> 16) & 0xff] ^
        t[4][(w >> 24) & 0xff] ^ t[3][(w >> 32) & 0xff] ^ t[2][(w >> 40) & 0xff] ^
        t[1][(w >> 48) & 0xff] ^ t[0][w >> 56];
    data += 8;
    n -= 8;
  }
  while (n > 0) {
    c = t[0][(c ^ static_cast<unsigned char>(*data)) & 0xff] ^ (c >> 8);
    ++data;
    --n;
  }
  return ~c;
}

uint32_t Crc32cExtend(uint32_t crc, const char* data, size_t n) {
#if defined(__x86_64__)
  if (HaveSse42()) return Crc32cExtendSse42(crc, data, n);
#endif
  return Crc32cExtendPortable(crc, data, n);
}

}  // namespace internal
}  // namespace dbm
}  // namespace memkit
