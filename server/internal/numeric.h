// How memcached reads and writes the numbers that incr/decr work on.
//
// memcached runs strtoull() over the stored value, which is followed in
// memory by "\r\n", and accepts the result when the number ends at a space,
// a control character counted as space, or a NUL (see safe_strtoull in
// memcached's util.c). This reproduces that on a value without its "\r\n".
//
// Thread-safety: pure functions.

#ifndef MEMKIT_SERVER_INTERNAL_NUMERIC_H_
#define MEMKIT_SERVER_INTERNAL_NUMERIC_H_

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace memkit {
namespace server {
namespace internal {

// Parses `value` as memcached's incr/decr does. Accepted: optional leading
// white space, an optional '+' or '-', decimal digits that fit in 64 bits,
// then the end of the value, white space or a NUL. A '-' is refused only when
// the wrapped result would be >= 2^63 (so "-0" reads as 0, as in memcached).
// A value of nothing but white space is refused (memcached would read past
// the item's end there).
bool ParseMemcachedNumber(absl::string_view value, uint64_t* out);

// Writes `value` in decimal into `buf` (at least 20 bytes); returns the length.
size_t FormatDecimal(uint64_t value, char* buf);

}  // namespace internal
}  // namespace server
}  // namespace memkit

#endif  // MEMKIT_SERVER_INTERNAL_NUMERIC_H_
