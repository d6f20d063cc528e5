#include "server/internal/numeric.h"

namespace memkit {
namespace server {
namespace internal {
namespace {

// isspace() in the C locale.
bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

}  // namespace

bool ParseMemcachedNumber(absl::string_view value, uint64_t* out) {
  *out = 0;
  size_t i = 0;
  const size_t n = value.size();
  while (i < n && IsSpace(value[i])) ++i;
  // In memcached the value is followed by "\r\n", which strtoull would also
  // skip before reading whatever lies beyond: treat that as "no digits".
  if (i == n) return false;
  bool negative = false;
  if (value[i] == '+' || value[i] == '-') {
    negative = value[i] == '-';
    ++i;
  }
  const size_t digits_start = i;
  uint64_t result = 0;
  bool overflow = false;
  while (i < n && value[i] >= '0' && value[i] <= '9') {
    const uint64_t digit = static_cast<uint64_t>(value[i] - '0');
    if (result > (UINT64_MAX - digit) / 10) overflow = true;
    result = result * 10 + digit;
    ++i;
  }
  if (i == digits_start) return false;  // strtoull converted nothing.
  if (overflow) return false;           // ERANGE.
  // The number must end at the value's end ("\r\n" follows), a space or a NUL.
  if (i < n && !IsSpace(value[i]) && value[i] != '\0') return false;
  if (negative) result = 0 - result;  // strtoull negates in unsigned arithmetic.
  if (static_cast<int64_t>(result) < 0 && negative) return false;
  *out = result;
  return true;
}

size_t FormatDecimal(uint64_t value, char* buf) {
  char tmp[20];
  size_t len = 0;
  do {
    tmp[len++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  for (size_t i = 0; i < len; ++i) buf[i] = tmp[len - 1 - i];
  return len;
}

}  // namespace internal
}  // namespace server
}  // namespace memkit
