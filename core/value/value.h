// Typed cache values and the flag bits that say, on the wire, what they are.
//
// memcached stores a 32-bit "flags" word beside each value and never looks at
// it. python-memcached, pymemcache and pylibmc agree on what its low bits mean
// (checked against pymemcache 3.5.2 and pylibmc 1.6.3 on memcached 1.6.18; see
// docs/values.md), so memkit uses the same bits and a value written by one
// language reads back in the other:
//
//   flags   meaning                     memkit kind
//   0       raw bytes                   kBytes
//   0x01    Python pickle               kBool (True/False only), else a Serializer
//   0x02    integer, decimal text       kInt   (pymemcache's int; pylibmc's bool)
//   0x04    long, decimal text          kInt   (pylibmc's int)
//   0x08    zlib-compressed (modifier; combined with one of the others)
//   0x10    UTF-8 text                  kText
//   other   a user Serializer's bit     kCustom
//
// A Value is what a caller stores or gets back; core/value's Codec turns it
// into (flags, bytes) and back.
//
// Thread-safety: a Value is a plain value type; const access from several
// threads is safe, mutation needs external synchronisation.

#ifndef MEMKIT_CORE_VALUE_VALUE_H_
#define MEMKIT_CORE_VALUE_VALUE_H_

#include <any>
#include <cstdint>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"

namespace memkit {
namespace value {

inline constexpr uint32_t kFlagBytes = 0;
inline constexpr uint32_t kFlagPickle = 1u << 0;
inline constexpr uint32_t kFlagInt = 1u << 1;
inline constexpr uint32_t kFlagLong = 1u << 2;
inline constexpr uint32_t kFlagZlib = 1u << 3;
inline constexpr uint32_t kFlagText = 1u << 4;

// Every bit the codec itself interprets.
inline constexpr uint32_t kBuiltinFlags =
    kFlagPickle | kFlagInt | kFlagLong | kFlagZlib | kFlagText;

class Value {
 public:
  enum class Kind {
    kBytes,   // Opaque bytes.
    kText,    // UTF-8 text (checked when encoded and decoded).
    kInt,     // A signed 64-bit integer.
    kBool,    // true or false.
    kCustom,  // An object a user Serializer encodes; see serializer.h.
  };

  // Empty bytes.
  Value() = default;

  static Value Bytes(std::string data) { return Value(Kind::kBytes, std::move(data)); }
  static Value Text(std::string utf8) { return Value(Kind::kText, std::move(utf8)); }
  static Value Int(int64_t v);
  static Value Bool(bool v);
  // `object` is handed to the Serializer that owns `flag`.
  static Value Custom(uint32_t flag, std::any object);

  Kind kind() const { return kind_; }

  // The bytes of a kBytes or kText value; empty for other kinds.
  const std::string& data() const { return data_; }
  std::string&& release_data() && { return std::move(data_); }

  // The integer of a kInt value; 0 for other kinds.
  int64_t int_value() const { return kind_ == Kind::kInt ? number_ : 0; }

  // The boolean of a kBool value; false for other kinds.
  bool bool_value() const { return kind_ == Kind::kBool && number_ != 0; }

  // The flag bit and object of a kCustom value; 0 and empty otherwise.
  uint32_t custom_flag() const { return custom_flag_; }
  const std::any& custom() const { return custom_; }
  // The object as a T, or null if it is not a kCustom value holding a T.
  template <typename T>
  const T* custom_as() const {
    return std::any_cast<T>(&custom_);
  }

  // For tests and logs: `bytes "..."`, `text "..."`, `int 42`, `bool true`,
  // `custom flag 0x100`. Long data is shortened.
  std::string DebugString() const;

 private:
  Value(Kind kind, std::string data) : kind_(kind), data_(std::move(data)) {}

  Kind kind_ = Kind::kBytes;
  std::string data_;    // kBytes, kText.
  int64_t number_ = 0;  // kInt; kBool as 0/1.
  uint32_t custom_flag_ = 0;
  std::any custom_;  // kCustom.
};

// "bytes", "text", "int", "bool", "custom".
absl::string_view KindName(Value::Kind kind);

}  // namespace value
}  // namespace memkit

#endif  // MEMKIT_CORE_VALUE_VALUE_H_
