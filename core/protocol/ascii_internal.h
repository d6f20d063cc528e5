// Private helpers shared by memkit's text and meta codecs: memcached's number
// parsing (its safe_strto* rules, quirks included), decimal formatting, and
// memcached's base64 (its decoder's leniency included). Not a public API.
//
// Thread-safety: pure functions.

#ifndef MEMKIT_CORE_PROTOCOL_ASCII_INTERNAL_H_
#define MEMKIT_CORE_PROTOCOL_ASCII_INTERNAL_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "absl/strings/string_view.h"

namespace memkit {
namespace protocol {
namespace ascii_internal {

// C's isspace() in the "C" locale.
inline bool IsCSpace(char c) {
  return c == ' ' || (static_cast<unsigned char>(c) - 9u) < 5u;  // \t \n \v \f \r
}

// Copies `s` to `p` and returns the end (a no-op for an empty view, whose
// data() may be null).
inline char* CopyTo(char* p, absl::string_view s) {
  if (!s.empty()) std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

// memcached's safe_strtol / safe_strtoul / safe_strtoull on one token, as if
// the token were NUL-terminated: strto*() skips leading white space, takes a
// sign, needs a digit, and the first byte after the digits must end the token
// or be white space; out-of-range for the 64-bit C type fails. Then:
//  - Strtol truncates the long to int32 ("4294967297" -> 1), as memcached does;
//  - Strtoul truncates to uint32 and fails a "negative" value only when the
//    64-bit result has its top bit set and the token holds a '-';
//  - Strtoull fails the same way for a "negative" 64-bit value.
bool SafeStrtol(absl::string_view token, int32_t* out);
bool SafeStrtoul(absl::string_view token, uint32_t* out);
bool SafeStrtoull(absl::string_view token, uint64_t* out);

// Longest decimal forms (with a sign for the signed ones).
inline constexpr size_t kMaxU64Digits = 20;
inline constexpr size_t kMaxI64Chars = 20;

// Writes the decimal form of `v` at `out`; returns the end.
char* FormatU64(uint64_t v, char* out);
char* FormatI64(int64_t v, char* out);

// Parses a plain unsigned decimal (digits only, no sign, no white space, at
// most 20 digits, no overflow): the strict form memcached's replies use.
bool ParseStrictU64(absl::string_view s, uint64_t* out);
bool ParseStrictU32(absl::string_view s, uint32_t* out);
// As ParseStrictU64 with an optional leading '-'.
bool ParseStrictI64(absl::string_view s, int64_t* out);

// memcached's base64_decode(): ignores bytes outside the alphabet, needs a
// multiple of 4 alphabet bytes ('=' counts), stops after the first block
// holding padding. Returns the decoded length, 0 on failure (memcached treats
// an empty result as failure too). Writes at most `out_cap` bytes.
size_t Base64Decode(absl::string_view in, char* out, size_t out_cap);

// Standard base64 with '=' padding, as memcached's base64_encode() writes it.
inline constexpr size_t Base64EncodedSize(size_t n) { return (n + 2) / 3 * 4; }
// Writes Base64EncodedSize(in.size()) bytes at `out`; returns the end.
char* Base64Encode(absl::string_view in, char* out);

}  // namespace ascii_internal
}  // namespace protocol
}  // namespace memkit

#endif  // MEMKIT_CORE_PROTOCOL_ASCII_INTERNAL_H_
