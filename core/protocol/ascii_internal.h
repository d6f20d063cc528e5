// Private helpers shared by memkit's text and meta codecs. memcached's number
// parsing and decimal formatting come from core/text/numbers.h, its base64
// from core/keys/base64.h. Not a public API.
//
// Thread-safety: pure functions.

#ifndef MEMKIT_CORE_PROTOCOL_ASCII_INTERNAL_H_
#define MEMKIT_CORE_PROTOCOL_ASCII_INTERNAL_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "absl/strings/string_view.h"
#include "core/text/numbers.h"

namespace memkit {
namespace protocol {
namespace internal {

// memcached's number rules and decimal forms live in core/text (one home
// for the codecs, the engine and the event loop); the codecs name them here.
using text::FormatI64;
using text::FormatU64;
using text::IsCSpace;
using text::kMaxI64Chars;
using text::kMaxU64Digits;
using text::ParseStrictI64;
using text::ParseStrictU32;
using text::ParseStrictU64;
using text::SafeStrtol;
using text::SafeStrtoul;
using text::SafeStrtoull;

// Copies `s` to `p` and returns the end (a no-op for an empty view, whose
// data() may be null).
inline char* CopyTo(char* p, absl::string_view s) {
  if (!s.empty()) std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

}  // namespace internal
}  // namespace protocol
}  // namespace memkit

#endif  // MEMKIT_CORE_PROTOCOL_ASCII_INTERNAL_H_
