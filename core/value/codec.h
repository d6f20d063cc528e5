// The value codec: turns a typed Value into memcached's (flags, bytes) and
// back, with the flag bits python-memcached, pymemcache and pylibmc use (see
// value.h and docs/values.md), optional zlib compression, and user
// serializers for other types.
//
//   auto codec = memkit::value::Codec::Create(options);   // or Codec() for defaults
//   memkit::value::EncodedValue wire;
//   (*codec)->Encode(Value::Text("héllo"), &wire);         // wire.flags == 0x10
//   absl::StatusOr<Value> v = (*codec)->Decode(flags, bytes);
//
// Ints and bools: pylibmc and pymemcache disagree (measured, docs/values.md):
//   Compat::kPylibmc     int -> flag 0x04 "42";  bool -> flag 0x02 "1"/"0"
//   Compat::kPymemcache  int -> flag 0x02 "42";  bool -> flag 0x01 pickle of True/False
// Both Pythons read both styles (a pylibmc-style bool reads back there as the
// int 1 or 0); Decode reads both, whatever Compat is set.
//
// Errors (absl::Status codes; none is a memcached outcome, so no McCode):
//   Encode: text that is not UTF-8, a custom value no serializer owns, or
//     an object of the wrong type for its serializer         InvalidArgument
//     a serializer's own failure                             its status, as is
//   Decode: flag bits nobody owns, or two type bits at once   Unimplemented
//     a pickle other than True/False (and no serializer)     Unimplemented
//     a serializer's failure             its code, message prefixed with its name
//     corrupt, truncated or trailing zlib data               DataLoss
//     zlib output above max_decompressed_size                ResourceExhausted
//     invalid UTF-8 under 0x10, a non-number under 0x02/0x04  DataLoss
//     a number outside int64 (Python ints are unbounded)     OutOfRange
//   Decode<Kind>: the value is of another kind               FailedPrecondition
//   Create: invalid options                                  InvalidArgument
//
// Thread-safety: a Codec is immutable after Create; any number of threads may
// Encode and Decode with one concurrently (serializers must allow that too).

#ifndef MEMKIT_CORE_VALUE_CODEC_H_
#define MEMKIT_CORE_VALUE_CODEC_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/value/serializer.h"
#include "core/value/value.h"

namespace memkit {
namespace value {

// Which Python client's encoding of ints and bools Encode writes.
enum class Compat {
  kPylibmc,     // int: flag 0x04 (long); bool: flag 0x02 (int) "1"/"0".
  kPymemcache,  // int: flag 0x02 (int); bool: flag 0x01 (pickle protocol 2).
};

struct CodecOptions {
  // The int and bool encoding Encode writes; Decode reads both.
  Compat compat = Compat::kPylibmc;

  // Compress values whose encoded size is at least this many bytes, keeping
  // the result only if it is smaller (pylibmc's min_compress_len, same rule).
  // 0 = never compress. pymemcache 3.5 cannot read compressed values: turn
  // this on only if every reader is memkit, pylibmc or python-memcached.
  size_t min_compress_len = 0;

  // zlib level, 1 (fastest) .. 9 (smallest); 0 turns compression off, as in
  // pylibmc. 6 is zlib's and pylibmc's default.
  int compress_level = 6;

  // Decode refuses (ResourceExhausted) compressed values that inflate to more
  // than this, having allocated at most this much plus one byte. memcached's
  // default item limit is 1 MiB; 64 MiB leaves room for very compressible
  // values while bounding a zlib bomb.
  size_t max_decompressed_size = 64 << 20;

  // Decode values with flag bits memkit does not understand (or two type
  // bits at once) as kBytes, inflating them first if 0x08 is set, as pylibmc
  // and pymemcache do for bits they do not know. Off: Unimplemented.
  bool unknown_flags_as_bytes = false;

  // User serializers, each owning one flag bit (see serializer.h).
  std::vector<std::shared_ptr<const Serializer>> serializers;
};

// A value as memcached stores it.
struct EncodedValue {
  uint32_t flags = 0;
  std::string data;
};

class Codec {
 public:
  // Default options: pylibmc compat, no compression, no serializers.
  Codec();

  // Fails (InvalidArgument) for a compress_level outside 0..9, a zero
  // max_decompressed_size, or a serializer that is null, owns no bit or more
  // than one, owns one of 0x02/0x04/0x08/0x10, or shares its bit.
  static absl::StatusOr<std::unique_ptr<Codec>> Create(const CodecOptions& options);

  const CodecOptions& options() const { return options_; }

  // Replaces `*out` with the wire form of `value` (reusing its buffer).
  absl::Status Encode(const Value& value, EncodedValue* out) const;
  absl::StatusOr<EncodedValue> Encode(const Value& value) const;

  // The same without building a Value first (no copy of the caller's bytes
  // beyond the one into `*out`).
  absl::Status EncodeBytes(absl::string_view data, EncodedValue* out) const;
  absl::Status EncodeText(absl::string_view utf8, EncodedValue* out) const;
  absl::Status EncodeInt(int64_t v, EncodedValue* out) const;
  absl::Status EncodeBool(bool v, EncodedValue* out) const;

  // The Value that `flags` and `data` (as a server returned them) stand for.
  absl::StatusOr<Value> Decode(uint32_t flags, absl::string_view data) const;

  // Decode, then insist on a kind (FailedPrecondition if it is another).
  // DecodeBool also accepts an int 0 or 1, which is how pylibmc stores bools.
  absl::StatusOr<std::string> DecodeBytes(uint32_t flags, absl::string_view data) const;
  absl::StatusOr<std::string> DecodeText(uint32_t flags, absl::string_view data) const;
  absl::StatusOr<int64_t> DecodeInt(uint32_t flags, absl::string_view data) const;
  absl::StatusOr<bool> DecodeBool(uint32_t flags, absl::string_view data) const;

 private:
  explicit Codec(const CodecOptions& options);

  // The serializer owning `flag`, or null.
  const Serializer* FindSerializer(uint32_t flag) const;

  // Compresses out->data in place when the options say so and it pays.
  absl::Status MaybeCompress(EncodedValue* out) const;

  // Decode of an already inflated payload whose type bits are `type`.
  absl::StatusOr<Value> DecodePayload(uint32_t flags, uint32_t type, absl::string_view payload,
                                      std::string* owned) const;

  CodecOptions options_;
  uint32_t serializer_flags_ = 0;  // Union of the serializers' bits.
};

}  // namespace value
}  // namespace memkit

#endif  // MEMKIT_CORE_VALUE_CODEC_H_
