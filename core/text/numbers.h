// memcached's decimal numbers: how it reads them (its safe_strto* rules,
// quirks included) and how it writes them. One home for the text and meta
// codecs, the storage engine's incr/decr, the event loop's output queue and
// anything else that must read or print a number exactly as memcached does.
//
// Thread-safety: pure functions, safe from any thread.

#ifndef MEMKIT_CORE_TEXT_NUMBERS_H_
#define MEMKIT_CORE_TEXT_NUMBERS_H_

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace memkit {
namespace text {

// C's isspace() in the "C" locale.
inline bool IsCSpace(char c) {
  return c == ' ' || (static_cast<unsigned char>(c) - 9u) < 5u;  // \t \n \v \f \r
}

// memcached's safe_strtol / safe_strtoul / safe_strtoull on one token, as if
// the token were NUL-terminated: strto*() skips leading white space, takes a
// sign, needs a digit, and the first byte after the digits must end the token
// or be white space; out-of-range for the 64-bit C type fails. Then:
//  - SafeStrtol truncates the long to int32 ("4294967297" -> 1), as memcached
//    does;
//  - SafeStrtoul truncates to uint32 and fails a "negative" value only when
//    the 64-bit result has its top bit set and the digits follow a '-';
//  - SafeStrtoull fails the same way for a "negative" 64-bit value.
bool SafeStrtol(absl::string_view token, int32_t* out);
bool SafeStrtoul(absl::string_view token, uint32_t* out);
bool SafeStrtoull(absl::string_view token, uint64_t* out);

// Parses a stored value as memcached's incr/decr does: safe_strtoull over the
// item's data, which is followed in memory by "\r\n". So the number may also
// end at a NUL, and a value of nothing but white space is refused (memcached
// would read past the item's end there). "-0" reads as 0.
bool ParseIncrDecrValue(absl::string_view value, uint64_t* out);

// Parses a plain unsigned decimal (digits only, no sign, no white space, at
// most 20 digits, no overflow): the strict form memcached's replies use.
bool ParseStrictU64(absl::string_view s, uint64_t* out);
bool ParseStrictU32(absl::string_view s, uint32_t* out);
// As ParseStrictU64 with an optional leading '-'.
bool ParseStrictI64(absl::string_view s, int64_t* out);

// Longest decimal forms (with a sign for the signed one).
inline constexpr size_t kMaxU64Digits = 20;
inline constexpr size_t kMaxI64Chars = 20;

// Writes the decimal form of `v` at `out` (room for kMaxU64Digits /
// kMaxI64Chars bytes); returns the end.
char* FormatU64(uint64_t v, char* out);
char* FormatI64(int64_t v, char* out);

}  // namespace text
}  // namespace memkit

#endif  // MEMKIT_CORE_TEXT_NUMBERS_H_
