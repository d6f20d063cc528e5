#include "core/value/internal/scalars.h"

#include <limits>

namespace memkit {
namespace value {
namespace internal {
namespace {

bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

bool IsContinuation(unsigned char c) { return (c & 0xc0) == 0x80; }

}  // namespace

size_t FindInvalidUtf8(absl::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    // The allowed range of the second byte narrows for the lead bytes that
    // could otherwise start an overlong form, a surrogate or a code point
    // above U+10FFFF.
    unsigned char lo = 0x80;
    unsigned char hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
      len = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      len = 3;
      if (c == 0xe0) lo = 0xa0;
      if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4;
      if (c == 0xf0) lo = 0x90;
      if (c == 0xf4) hi = 0x8f;
    } else {
      return i;  // 0x80..0xc1 or 0xf5..0xff cannot start a character.
    }
    if (i + 1 >= n || s[i + 1] < lo || s[i + 1] > hi) return i;
    for (size_t j = 2; j < len; ++j) {
      if (i + j >= n || !IsContinuation(s[i + j])) return i;
    }
    i += len;
  }
  return n;
}

IntParse ParseDecimalInt64(absl::string_view text, int64_t* out) {
  while (!text.empty() && IsAsciiSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsAsciiSpace(text.back())) text.remove_suffix(1);
  bool negative = false;
  if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  if (text.empty()) return IntParse::kNotANumber;
  // Accumulate as a negative number: int64's range is one larger below zero.
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  int64_t value = 0;
  bool overflow = false;
  for (char c : text) {
    if (c < '0' || c > '9') return IntParse::kNotANumber;
    const int digit = c - '0';
    if (value < (kMin + digit) / 10) {
      overflow = true;  // Keep scanning: a later non-digit still means "not a number".
    } else {
      value = value * 10 - digit;
    }
  }
  if (overflow) return IntParse::kOutOfRange;
  if (!negative) {
    if (value == kMin) return IntParse::kOutOfRange;
    value = -value;
  }
  *out = value;
  return IntParse::kOk;
}

absl::string_view PickledBool(bool value) {
  return value ? absl::string_view("\x80\x02\x88.", 4) : absl::string_view("\x80\x02\x89.", 4);
}

std::optional<bool> ParsePickledBool(absl::string_view data) {
  if (data == "I01\n.") return true;
  if (data == "I00\n.") return false;
  if (data.size() == 4 && data[0] == '\x80' && data[1] >= 2 && data[1] <= 5 && data[3] == '.') {
    if (data[2] == '\x88') return true;
    if (data[2] == '\x89') return false;
  }
  return std::nullopt;
}

}  // namespace internal
}  // namespace value
}  // namespace memkit
