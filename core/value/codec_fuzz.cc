// Fuzzes Codec::Decode with arbitrary flags and bytes: it must never crash or
// allocate past max_decompressed_size, and whatever decodes must survive an
// Encode/Decode round trip unchanged.
//
// Input: 4 bytes of flags (big-endian), 1 byte of option bits, then the data.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "core/value/codec.h"
#include "core/value/value.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using memkit::value::Codec;
  using memkit::value::CodecOptions;
  using memkit::value::EncodedValue;
  using memkit::value::Value;
  if (size < 5) return 0;
  const uint32_t flags =
      (uint32_t{data[0]} << 24) | (uint32_t{data[1]} << 16) | (uint32_t{data[2]} << 8) | data[3];
  CodecOptions options;
  options.compat =
      (data[4] & 1) != 0 ? memkit::value::Compat::kPymemcache : memkit::value::Compat::kPylibmc;
  options.unknown_flags_as_bytes = (data[4] & 2) != 0;
  options.min_compress_len = (data[4] & 4) != 0 ? 1 : 0;
  options.max_decompressed_size = 1 << 20;
  absl::StatusOr<std::unique_ptr<Codec>> codec = Codec::Create(options);
  Check(codec.ok());
  const absl::string_view payload(reinterpret_cast<const char*>(data + 5), size - 5);

  absl::StatusOr<Value> value = (*codec)->Decode(flags, payload);
  if (!value.ok()) return 0;
  Check(value->data().size() <= options.max_decompressed_size ||
        (flags & memkit::value::kFlagZlib) == 0);

  if (value->data().size() > options.max_decompressed_size) return 0;  // Would not re-inflate.
  absl::StatusOr<EncodedValue> again = (*codec)->Encode(*value);
  Check(again.ok());
  if (value->kind() == Value::Kind::kBool) {
    absl::StatusOr<bool> b = (*codec)->DecodeBool(again->flags, again->data);
    Check(b.ok() && *b == value->bool_value());
  } else {
    absl::StatusOr<Value> back = (*codec)->Decode(again->flags, again->data);
    Check(back.ok() && back->kind() == value->kind() && back->data() == value->data() &&
          back->int_value() == value->int_value());
  }
  return 0;
}
