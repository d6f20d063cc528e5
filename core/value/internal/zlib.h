// zlib helpers for the value codec: compression in zlib format (what pylibmc
// and python-memcached write under flag 0x08) and inflation with a hard bound
// on the output, so a small "zlib bomb" cannot make memkit allocate without
// limit.
//
// Thread-safety: stateless functions, safe from any thread.

#ifndef MEMKIT_CORE_VALUE_INTERNAL_ZLIB_H_
#define MEMKIT_CORE_VALUE_INTERNAL_ZLIB_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace memkit {
namespace value {
namespace internal {

// Replaces `*out` with `data` compressed at `level` (1..9) in zlib format
// (2-byte header, deflate stream, Adler-32), byte-identical to Python's
// zlib.compress(data, level) with the same zlib.
absl::Status ZlibCompress(absl::string_view data, int level, std::string* out);

// Replaces `*out` with the bytes the zlib-format `data` inflates to. Fails
// with ResourceExhausted, having allocated at most max_size + 1 bytes, once
// the output would exceed `max_size`; with DataLoss if the data is corrupt,
// truncated, or followed by trailing bytes.
absl::Status ZlibInflate(absl::string_view data, size_t max_size, std::string* out);

}  // namespace internal
}  // namespace value
}  // namespace memkit

#endif  // MEMKIT_CORE_VALUE_INTERNAL_ZLIB_H_
