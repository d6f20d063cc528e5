#include "core/text/numbers.h"

#include <cstring>
#include <limits>

namespace memkit {
namespace text {
namespace {

// What strtoull()/strtoll() would see in a token: the magnitude of the digits
// after optional white space and sign, whether it overflowed 64 bits, and
// where the digits end.
struct Scanned {
  uint64_t magnitude = 0;
  bool negative = false;
  bool overflow = false;
  bool has_digits = false;
  size_t end = 0;  // offset of the first byte after the digits
};

inline Scanned Scan(absl::string_view token) {
  Scanned s;
  const char* begin = token.data();
  const char* p = begin;
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
  s.has_digits = p != digits;
  s.end = static_cast<size_t>(p - begin);
  return s;
}

// Unsigned strto*: -x wraps; only a magnitude beyond 64 bits is ERANGE. Then
// memcached refuses a result with its top bit set if a '-' precedes the end
// of the number (memchr(str, '-', endptr - str)).
inline bool FinishUnsigned(absl::string_view token, const Scanned& s, uint64_t* out) {
  if (!s.has_digits || s.overflow) return false;
  const uint64_t v = s.negative ? (~s.magnitude + 1) : s.magnitude;
  if (static_cast<int64_t>(v) < 0 && std::memchr(token.data(), '-', s.end) != nullptr) return false;
  *out = v;
  return true;
}

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
  const Scanned s = Scan(token);
  if (s.end < token.size() && !IsCSpace(token[s.end])) return false;
  return FinishUnsigned(token, s, out);
}

}  // namespace

bool SafeStrtol(absl::string_view token, int32_t* out) {
  const Scanned s = Scan(token);
  if (!s.has_digits || s.overflow) return false;
  if (s.end < token.size() && !IsCSpace(token[s.end])) return false;
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

bool ParseIncrDecrValue(absl::string_view value, uint64_t* out) {
  *out = 0;
  size_t i = 0;
  while (i < value.size() && IsCSpace(value[i])) ++i;
  // strtoull would skip the "\r\n" after the data too and read beyond it:
  // treat that as "no digits".
  if (i == value.size()) return false;
  const Scanned s = Scan(value);
  // The number must end at the value's end ("\r\n" follows), a space or a NUL.
  if (s.end < value.size() && !IsCSpace(value[s.end]) && value[s.end] != '\0') return false;
  return FinishUnsigned(value, s, out);
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

}  // namespace text
}  // namespace memkit
