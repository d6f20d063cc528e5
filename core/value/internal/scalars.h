// The scalar encodings behind the value codec's flags, matched to what
// Python's clients write and read: UTF-8 validation (Python's strict codec),
// decimal integers (Python's int() on a bytes value, minus its underscores),
// and the pickles of True and False.
//
// Thread-safety: stateless functions, safe from any thread.

#ifndef MEMKIT_CORE_VALUE_INTERNAL_SCALARS_H_
#define MEMKIT_CORE_VALUE_INTERNAL_SCALARS_H_

#include <cstddef>
#include <cstdint>
#include <optional>

#include "absl/strings/string_view.h"

namespace memkit {
namespace value {
namespace internal {

// The offset of the first byte that does not belong to well-formed UTF-8
// (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF), or
// text.size() if there is none.
size_t FindInvalidUtf8(absl::string_view text);

enum class IntParse {
  kOk,
  kNotANumber,  // Not [space][+|-]digits[space].
  kOutOfRange,  // A number, but outside int64.
};

// Parses a decimal int64 as Python's int() reads a stored number: optional
// ASCII whitespace around it (memcached's in-place decr pads with spaces) and
// an optional sign. `*out` is set only on kOk.
IntParse ParseDecimalInt64(absl::string_view text, int64_t* out);

// True/False pickled at protocol 2, which every Python since 2.3 reads:
// "\x80\x02\x88." and "\x80\x02\x89.".
absl::string_view PickledBool(bool value);

// The boolean if `data` is exactly a pickle of True or False at any protocol
// (0-1: "I01\n." / "I00\n."; 2-5: "\x80" <proto> "\x88." / "\x89."), else
// nullopt.
std::optional<bool> ParsePickledBool(absl::string_view data);

}  // namespace internal
}  // namespace value
}  // namespace memkit

#endif  // MEMKIT_CORE_VALUE_INTERNAL_SCALARS_H_
