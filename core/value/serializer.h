// The hook for user serializers: a type memkit does not know (JSON, a
// protobuf, a Python pickle reader) gets one flag bit of its own, and the
// Codec hands every value carrying that bit to it.
//
//   class PointSerializer : public memkit::value::TypedSerializer<Point> {
//    public:
//     uint32_t flag() const override { return 1u << 8; }
//     absl::string_view name() const override { return "point"; }
//     absl::Status EncodeTyped(const Point& p, std::string* out) const override;
//     absl::StatusOr<Point> DecodeTyped(absl::string_view data) const override;
//   };
//   options.serializers.push_back(std::make_shared<PointSerializer>());
//   codec->Encode(Value::Custom(1u << 8, Point{1, 2}), &encoded);
//
// The bit must be a single bit that is not one of the codec's own (0x02 int,
// 0x04 long, 0x08 zlib, 0x10 text); 0x01 (pickle) is allowed, so a pickle
// reader can take over Python's pickled values. Compression applies to custom
// values like any other.
//
// Thread-safety: one Serializer serves every thread using the Codec, so its
// methods must be safe to call concurrently (stateless ones are).

#ifndef MEMKIT_CORE_VALUE_SERIALIZER_H_
#define MEMKIT_CORE_VALUE_SERIALIZER_H_

#include <any>
#include <cstdint>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace memkit {
namespace value {

class Serializer {
 public:
  virtual ~Serializer() = default;

  // The one flag bit this serializer owns.
  virtual uint32_t flag() const = 0;

  // A short name for error messages ("json", "point").
  virtual absl::string_view name() const = 0;

  // Appends the bytes of `object` to `*out`.
  virtual absl::Status Encode(const std::any& object, std::string* out) const = 0;

  // The object `data` stands for. A failure should be DataLoss (the stored
  // bytes are not what the flag says) unless another code fits better.
  virtual absl::StatusOr<std::any> Decode(absl::string_view data) const = 0;
};

// A Serializer for one C++ type T, so implementations need no std::any.
template <typename T>
class TypedSerializer : public Serializer {
 public:
  virtual absl::Status EncodeTyped(const T& object, std::string* out) const = 0;
  virtual absl::StatusOr<T> DecodeTyped(absl::string_view data) const = 0;

  absl::Status Encode(const std::any& object, std::string* out) const final {
    const T* typed = std::any_cast<T>(&object);
    if (typed == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "serializer \"", name(), "\" was given an object of another type than it encodes"));
    }
    return EncodeTyped(*typed, out);
  }

  absl::StatusOr<std::any> Decode(absl::string_view data) const final {
    absl::StatusOr<T> typed = DecodeTyped(data);
    if (!typed.ok()) return typed.status();
    return std::any(std::move(*typed));
  }
};

}  // namespace value
}  // namespace memkit

#endif  // MEMKIT_CORE_VALUE_SERIALIZER_H_
