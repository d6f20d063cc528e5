#include "core/protocol/ascii_internal.h"

#include <cstring>
#include <limits>

namespace memkit {
namespace protocol {
namespace ascii_internal {
namespace {

// What strtoull()/strtoll() would see in a token: the magnitude of the digits
// after optional white space and sign, whether it overflowed 64 bits, and
// whether the byte after the digits lets memcached accept the token.
struct Scanned {
  uint64_t magnitude = 0;
  bool negative = false;
  bool overflow = false;
  bool ok = false;  // at least one digit, followed by the end or white space
};

inline Scanned Scan(absl::string_view token) {
  Scanned s;
  const char* p = token.data();
  const char* end = p + token.size();
  while (p < end && IsCSpace(*p)) ++p;
  if (p < end && (*p == '+' || *p == '-')) {
    s.negative = *p == '-';
    ++p;
  }
  const char* digits = p;
  uint64_t v = 0;
  for (; p < end; ++p) {
    unsigned d = static_cast<unsigned char>(*p) - static_cast<unsigned>('0');
    if (d > 9) break;
    if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) {
      s.overflow = true;
    } else {
      v = v * 10 + d;
    }
  }
  s.magnitude = v;
  s.ok = p != digits && (p == end || IsCSpace(*p));
  return s;
}

inline bool HasMinus(absl::string_view token) {
  return std::memchr(token.data(), '-', token.size()) != nullptr;
}

// Unsigned strto*: -x wraps; only a magnitude beyond 64 bits is ERANGE.
inline bool ScanUnsigned(absl::string_view token, uint64_t* out) {
  if (!token.empty() && static_cast<unsigned>(token[0] - '0') <= 9 && token.size() <= 19) {
    // Fast path: plain digits that cannot overflow.
    uint64_t v = 0;
    size_t i = 0;
    for (; i < token.size(); ++i) {
      unsigned d = static_cast<unsigned char>(token[i]) - static_cast<unsigned>('0');
      if (d > 9) break;
      v = v * 10 + d;
    }
    if (i == token.size()) {
      *out = v;
      return true;
    }
  }
  Scanned s = Scan(token);
  if (!s.ok || s.overflow) return false;
  uint64_t v = s.negative ? (~s.magnitude + 1) : s.magnitude;
  if (static_cast<int64_t>(v) < 0 && HasMinus(token)) return false;
  *out = v;
  return true;
}

}  // namespace

bool SafeStrtol(absl::string_view token, int32_t* out) {
  Scanned s = Scan(token);
  if (!s.ok || s.overflow) return false;
  // strtol's range is that of a 64-bit long.
  constexpr uint64_t kMaxPositive = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (s.negative ? s.magnitude > kMaxPositive + 1 : s.magnitude > kMaxPositive) return false;
  uint64_t v = s.negative ? (~s.magnitude + 1) : s.magnitude;
  *out = static_cast<int32_t>(static_cast<uint32_t>(v));  // memcached's truncation
  return true;
}

bool SafeStrtoul(absl::string_view token, uint32_t* out) {
  uint64_t v;
  if (!ScanUnsigned(token, &v)) return false;
  *out = static_cast<uint32_t>(v);
  return true;
}

bool SafeStrtoull(absl::string_view token, uint64_t* out) { return ScanUnsigned(token, out); }

char* FormatU64(uint64_t v, char* out) {
  char tmp[kMaxU64Digits];
  char* p = tmp + sizeof(tmp);
  do {
    *--p = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  size_t n = static_cast<size_t>(tmp + sizeof(tmp) - p);
  std::memcpy(out, p, n);
  return out + n;
}

char* FormatI64(int64_t v, char* out) {
  if (v < 0) {
    *out++ = '-';
    return FormatU64(~static_cast<uint64_t>(v) + 1, out);
  }
  return FormatU64(static_cast<uint64_t>(v), out);
}

bool ParseStrictU64(absl::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > kMaxU64Digits) return false;
  uint64_t v = 0;
  for (char c : s) {
    unsigned d = static_cast<unsigned char>(c) - static_cast<unsigned>('0');
    if (d > 9) return false;
    if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

bool ParseStrictU32(absl::string_view s, uint32_t* out) {
  uint64_t v;
  if (!ParseStrictU64(s, &v) || v > std::numeric_limits<uint32_t>::max()) return false;
  *out = static_cast<uint32_t>(v);
  return true;
}

bool ParseStrictI64(absl::string_view s, int64_t* out) {
  bool negative = !s.empty() && s[0] == '-';
  uint64_t v;
  if (!ParseStrictU64(negative ? s.substr(1) : s, &v)) return false;
  constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (negative ? v > kMax + 1 : v > kMax) return false;
  *out = negative ? static_cast<int64_t>(~v + 1) : static_cast<int64_t>(v);
  return true;
}

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Decoding table: 0x80 for bytes outside the alphabet; '=' decodes as 0.
struct DecodeTable {
  unsigned char v[256];
  constexpr DecodeTable() : v() {
    for (int i = 0; i < 256; ++i) v[i] = 0x80;
    for (int i = 0; i < 64; ++i) v[static_cast<unsigned char>(kAlphabet[i])] = static_cast<unsigned char>(i);
    v[static_cast<unsigned char>('=')] = 0;
  }
};
constexpr DecodeTable kDecode;

}  // namespace

size_t Base64Decode(absl::string_view in, char* out, size_t out_cap) {
  size_t count = 0;
  for (char c : in) count += kDecode.v[static_cast<unsigned char>(c)] != 0x80;
  if (count == 0 || count % 4 != 0) return 0;
  if (count / 4 * 3 > out_cap) return 0;
  unsigned char block[4];
  size_t n = 0;
  int pad = 0;
  char* pos = out;
  for (char c : in) {
    unsigned char v = kDecode.v[static_cast<unsigned char>(c)];
    if (v == 0x80) continue;
    if (c == '=') ++pad;
    block[n++] = v;
    if (n == 4) {
      *pos++ = static_cast<char>((block[0] << 2) | (block[1] >> 4));
      *pos++ = static_cast<char>((block[1] << 4) | (block[2] >> 2));
      *pos++ = static_cast<char>((block[2] << 6) | block[3]);
      n = 0;
      if (pad != 0) {
        if (pad > 2) return 0;  // invalid padding
        pos -= pad;
        break;
      }
    }
  }
  return static_cast<size_t>(pos - out);
}

char* Base64Encode(absl::string_view in, char* out) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(in.data());
  const unsigned char* end = p + in.size();
  while (end - p >= 3) {
    *out++ = kAlphabet[p[0] >> 2];
    *out++ = kAlphabet[((p[0] & 0x03) << 4) | (p[1] >> 4)];
    *out++ = kAlphabet[((p[1] & 0x0f) << 2) | (p[2] >> 6)];
    *out++ = kAlphabet[p[2] & 0x3f];
    p += 3;
  }
  if (end - p == 1) {
    *out++ = kAlphabet[p[0] >> 2];
    *out++ = kAlphabet[(p[0] & 0x03) << 4];
    *out++ = '=';
    *out++ = '=';
  } else if (end - p == 2) {
    *out++ = kAlphabet[p[0] >> 2];
    *out++ = kAlphabet[((p[0] & 0x03) << 4) | (p[1] >> 4)];
    *out++ = kAlphabet[(p[1] & 0x0f) << 2];
    *out++ = '=';
  }
  return out;
}

}  // namespace ascii_internal
}  // namespace protocol
}  // namespace memkit
