#include "core/value/internal/zlib.h"

#include <zlib.h>

#include <algorithm>
#include <climits>
#include <cstdint>

#include "absl/strings/str_cat.h"

namespace memkit {
namespace value {
namespace internal {
namespace {

// zlib counts in uInt (32 bits); feed larger buffers in slices.
constexpr size_t kMaxSlice = UINT_MAX;

// The first output buffer for inflation; it then doubles up to the bound.
constexpr size_t kInitialInflateSize = 4096;

}  // namespace

absl::Status ZlibCompress(absl::string_view data, int level, std::string* out) {
  if (level < 1 || level > 9) {
    return absl::InvalidArgumentError(absl::StrCat("zlib level ", level, " is not in 1..9"));
  }
  const uLong bound = compressBound(static_cast<uLong>(data.size()));
  out->resize(bound);
  uLongf written = bound;
  const int rc = compress2(reinterpret_cast<Bytef*>(&(*out)[0]), &written,
                           reinterpret_cast<const Bytef*>(data.data()),
                           static_cast<uLong>(data.size()), level);
  if (rc != Z_OK) {
    out->clear();
    return absl::InternalError(absl::StrCat("zlib compress2 failed: ", zError(rc)));
  }
  out->resize(written);
  return absl::OkStatus();
}

absl::Status ZlibInflate(absl::string_view data, size_t max_size, std::string* out) {
  out->clear();
  z_stream stream{};
  if (inflateInit(&stream) != Z_OK) return absl::InternalError("zlib inflateInit failed");

  // One byte past the bound is room enough to notice the bound is exceeded.
  const size_t hard_cap = max_size == SIZE_MAX ? max_size : max_size + 1;
  std::string buffer;
  size_t produced = 0;
  // Grows `buffer` to exactly `size` bytes. std::string's own growth may
  // double the capacity, which would break the bound, so reserve in a fresh
  // string (whose capacity is then exactly `size`) and move the output over.
  auto grow = [&](size_t size) {
    std::string bigger;
    bigger.reserve(size);
    bigger.append(buffer, 0, produced);
    bigger.resize(size);
    buffer.swap(bigger);
  };
  const size_t guess = data.size() > SIZE_MAX / 4 ? SIZE_MAX : data.size() * 4;
  grow(std::min(hard_cap, std::max(kInitialInflateSize, guess)));

  size_t consumed = 0;
  int rc = Z_OK;
  while (true) {
    if (produced == buffer.size()) {
      if (buffer.size() >= hard_cap) break;
      grow(buffer.size() > hard_cap / 2 ? hard_cap : buffer.size() * 2);
    }
    const size_t in_slice = std::min(kMaxSlice, data.size() - consumed);
    const size_t out_slice = std::min(kMaxSlice, buffer.size() - produced);
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data() + consumed));
    stream.avail_in = static_cast<uInt>(in_slice);
    stream.next_out = reinterpret_cast<Bytef*>(&buffer[produced]);
    stream.avail_out = static_cast<uInt>(out_slice);
    rc = inflate(&stream, Z_NO_FLUSH);
    consumed += in_slice - stream.avail_in;
    produced += out_slice - stream.avail_out;
    if (rc == Z_STREAM_END) break;
    if (rc == Z_BUF_ERROR && stream.avail_out == 0) continue;  // needs more room
    if (rc != Z_OK) break;  // Z_BUF_ERROR here means the input ran out: truncated
  }
  const char* message = stream.msg;
  inflateEnd(&stream);

  if (produced > max_size) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "zlib data inflates to more than max_decompressed_size (", max_size, " bytes)"));
  }
  if (rc == Z_STREAM_END) {
    if (consumed != data.size()) {
      return absl::DataLossError(absl::StrCat("zlib data has ", data.size() - consumed,
                                              " trailing bytes after the end of the stream"));
    }
    buffer.resize(produced);
    out->swap(buffer);
    return absl::OkStatus();
  }
  if (rc == Z_OK || rc == Z_BUF_ERROR) {
    return absl::DataLossError(
        absl::StrCat("zlib data is truncated (", data.size(), " bytes end mid-stream)"));
  }
  return absl::DataLossError(
      absl::StrCat("zlib data is corrupt: ", message != nullptr ? message : zError(rc)));
}

}  // namespace internal
}  // namespace value
}  // namespace memkit
