#include "core/value/codec.h"

#include <optional>
#include <utility>

#include "absl/numeric/bits.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/value/internal/scalars.h"
#include "core/value/internal/zlib.h"

namespace memkit {
namespace value {
namespace {

// Flags a codec's own kinds are written with; a serializer may not take them.
constexpr uint32_t kReservedForBuiltins = kFlagInt | kFlagLong | kFlagZlib | kFlagText;

std::string Hex(uint32_t flags) { return absl::StrFormat("0x%x", flags); }

// What a single type bit means, for messages.
std::string DescribeBit(uint32_t bit) {
  switch (bit) {
    case kFlagPickle:
      return "pickle (0x1)";
    case kFlagInt:
      return "int (0x2)";
    case kFlagLong:
      return "long (0x4)";
    case kFlagText:
      return "text (0x10)";
    default:
      return Hex(bit);
  }
}

// The first bytes of a bad payload, escaped, for messages.
std::string Excerpt(absl::string_view data) {
  constexpr size_t kShown = 32;
  std::string shown = absl::CHexEscape(data.substr(0, kShown));
  if (data.size() > kShown) absl::StrAppend(&shown, "...");
  return absl::StrCat("\"", shown, "\"");
}

absl::Status WrongKind(const Value& value, uint32_t flags, absl::string_view wanted) {
  return absl::FailedPreconditionError(
      absl::StrCat("value is ", KindName(value.kind()), " (flags ", Hex(flags), "), not ", wanted));
}

}  // namespace

Codec::Codec() : Codec(CodecOptions()) {}

Codec::Codec(const CodecOptions& options) : options_(options) {
  for (const auto& serializer : options_.serializers) serializer_flags_ |= serializer->flag();
}

absl::StatusOr<std::unique_ptr<Codec>> Codec::Create(const CodecOptions& options) {
  if (options.compress_level < 0 || options.compress_level > 9) {
    return absl::InvalidArgumentError(
        absl::StrCat("compress_level ", options.compress_level, " is not in 0..9"));
  }
  if (options.max_decompressed_size == 0) {
    return absl::InvalidArgumentError("max_decompressed_size must be positive");
  }
  uint32_t taken = 0;
  for (size_t i = 0; i < options.serializers.size(); ++i) {
    const Serializer* serializer = options.serializers[i].get();
    if (serializer == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("serializers[", i, "] is null"));
    }
    const uint32_t flag = serializer->flag();
    const std::string who = absl::StrCat("serializer \"", serializer->name(), "\"");
    if (absl::popcount(flag) != 1) {
      return absl::InvalidArgumentError(
          absl::StrCat(who, " owns flags ", Hex(flag), "; it must own exactly one bit"));
    }
    if ((flag & kReservedForBuiltins) != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(who, " wants flag ", Hex(flag),
                       ", which the codec uses itself (0x2 int, 0x4 long, "
                       "0x8 zlib, 0x10 text)"));
    }
    if ((flag & taken) != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(who, " wants flag ", Hex(flag), ", which another serializer owns"));
    }
    taken |= flag;
  }
  return std::unique_ptr<Codec>(new Codec(options));
}

const Serializer* Codec::FindSerializer(uint32_t flag) const {
  if ((serializer_flags_ & flag) == 0) return nullptr;
  for (const auto& serializer : options_.serializers) {
    if (serializer->flag() == flag) return serializer.get();
  }
  return nullptr;
}

absl::Status Codec::MaybeCompress(EncodedValue* out) const {
  if (options_.min_compress_len == 0 || options_.compress_level == 0 ||
      out->data.size() < options_.min_compress_len) {
    return absl::OkStatus();
  }
  std::string compressed;
  absl::Status status = internal::ZlibCompress(out->data, options_.compress_level, &compressed);
  if (!status.ok()) return status;
  // Kept only if smaller, as pylibmc does: otherwise readers pay to inflate
  // for nothing.
  if (compressed.size() < out->data.size()) {
    out->data.swap(compressed);
    out->flags |= kFlagZlib;
  }
  return absl::OkStatus();
}

absl::Status Codec::EncodeBytes(absl::string_view data, EncodedValue* out) const {
  out->flags = kFlagBytes;
  out->data.assign(data.data(), data.size());
  return MaybeCompress(out);
}

absl::Status Codec::EncodeText(absl::string_view utf8, EncodedValue* out) const {
  const size_t bad = internal::FindInvalidUtf8(utf8);
  if (bad != utf8.size()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("text value is not valid UTF-8: byte 0x%02x at offset %d",
                        static_cast<unsigned char>(utf8[bad]), bad));
  }
  out->flags = kFlagText;
  out->data.assign(utf8.data(), utf8.size());
  return MaybeCompress(out);
}

absl::Status Codec::EncodeInt(int64_t v, EncodedValue* out) const {
  out->flags = options_.compat == Compat::kPylibmc ? kFlagLong : kFlagInt;
  out->data.clear();
  absl::StrAppend(&out->data, v);
  return MaybeCompress(out);
}

absl::Status Codec::EncodeBool(bool v, EncodedValue* out) const {
  if (options_.compat == Compat::kPylibmc) {
    out->flags = kFlagInt;
    out->data.assign(v ? "1" : "0");
  } else {
    out->flags = kFlagPickle;
    const absl::string_view pickled = internal::PickledBool(v);
    out->data.assign(pickled.data(), pickled.size());
  }
  return MaybeCompress(out);
}

absl::Status Codec::Encode(const Value& value, EncodedValue* out) const {
  switch (value.kind()) {
    case Value::Kind::kBytes:
      return EncodeBytes(value.data(), out);
    case Value::Kind::kText:
      return EncodeText(value.data(), out);
    case Value::Kind::kInt:
      return EncodeInt(value.int_value(), out);
    case Value::Kind::kBool:
      return EncodeBool(value.bool_value(), out);
    case Value::Kind::kCustom: {
      const uint32_t flag = value.custom_flag();
      const Serializer* serializer = absl::popcount(flag) == 1 ? FindSerializer(flag) : nullptr;
      if (serializer == nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat("no serializer is registered for flag ", Hex(flag)));
      }
      out->flags = flag;
      out->data.clear();
      absl::Status status = serializer->Encode(value.custom(), &out->data);
      if (!status.ok()) return status;
      return MaybeCompress(out);
    }
  }
  return absl::InternalError("unknown value kind");
}

absl::StatusOr<EncodedValue> Codec::Encode(const Value& value) const {
  EncodedValue out;
  absl::Status status = Encode(value, &out);
  if (!status.ok()) return status;
  return out;
}

absl::StatusOr<Value> Codec::Decode(uint32_t flags, absl::string_view data) const {
  const uint32_t known = kBuiltinFlags | serializer_flags_;
  const uint32_t type = flags & ~kFlagZlib;
  absl::Status unknown;
  if ((flags & ~known) != 0) {
    unknown = absl::UnimplementedError(
        absl::StrCat("flags ", Hex(flags), " have bits (", Hex(flags & ~known),
                     ") that neither the codec nor a registered serializer owns"));
  } else if (absl::popcount(type) > 1) {
    const uint32_t low = type & (~type + 1);
    unknown = absl::UnimplementedError(
        absl::StrCat("flags ", Hex(flags), " combine ", DescribeBit(low), " with ",
                     DescribeBit(type & ~low), "; a value has one type"));
  }
  if (!unknown.ok() && !options_.unknown_flags_as_bytes) return unknown;

  std::string owned;  // The inflated payload, when compressed.
  absl::string_view payload = data;
  if ((flags & kFlagZlib) != 0) {
    absl::Status status = internal::ZlibInflate(data, options_.max_decompressed_size, &owned);
    if (!status.ok()) {
      return absl::Status(status.code(),
                          absl::StrCat("value with flags ", Hex(flags), ": ", status.message()));
    }
    payload = owned;
  }
  if (!unknown.ok()) {
    if (payload.data() == owned.data()) return Value::Bytes(std::move(owned));
    return Value::Bytes(std::string(payload));
  }
  return DecodePayload(flags, type, payload, &owned);
}

absl::StatusOr<Value> Codec::DecodePayload(uint32_t flags, uint32_t type, absl::string_view payload,
                                           std::string* owned) const {
  // Moves the payload into a Value without copying it twice.
  auto take = [&]() -> std::string {
    if (!owned->empty() && payload.data() == owned->data()) return std::move(*owned);
    return std::string(payload);
  };

  // A registered serializer goes first, so one owning 0x1 replaces the
  // built-in reading of pickled bools.
  if (type != 0) {
    if (const Serializer* serializer = FindSerializer(type)) {
      absl::StatusOr<std::any> object = serializer->Decode(payload);
      if (!object.ok()) {
        return absl::Status(object.status().code(),
                            absl::StrCat("serializer \"", serializer->name(), "\" (flag ",
                                         Hex(type), "): ", object.status().message()));
      }
      return Value::Custom(type, std::move(*object));
    }
  }

  switch (type) {
    case kFlagBytes:
      return Value::Bytes(take());
    case kFlagText: {
      const size_t bad = internal::FindInvalidUtf8(payload);
      if (bad != payload.size()) {
        return absl::DataLossError(absl::StrFormat(
            "value under the text flag (flags %s) is not valid UTF-8: byte 0x%02x at offset %d",
            Hex(flags), static_cast<unsigned char>(payload[bad]), bad));
      }
      return Value::Text(take());
    }
    case kFlagInt:
    case kFlagLong: {
      int64_t number = 0;
      switch (internal::ParseDecimalInt64(payload, &number)) {
        case internal::IntParse::kOk:
          return Value::Int(number);
        case internal::IntParse::kOutOfRange:
          return absl::OutOfRangeError(absl::StrCat("value under the ", DescribeBit(type),
                                                    " flag is ", Excerpt(payload),
                                                    ", which does not fit in int64"));
        case internal::IntParse::kNotANumber:
          break;
      }
      return absl::DataLossError(absl::StrCat("value under the ", DescribeBit(type),
                                              " flag is not a decimal number: ", Excerpt(payload)));
    }
    case kFlagPickle: {
      if (std::optional<bool> b = internal::ParsePickledBool(payload)) return Value::Bool(*b);
      return absl::UnimplementedError(absl::StrCat(
          "value is a pickled Python object (flags ", Hex(flags),
          "); memkit reads only pickled True/False; register a Serializer for flag 0x1 to "
          "read others"));
    }
    default:
      break;
  }
  return absl::InternalError(absl::StrCat("flags ", Hex(flags), " were not dispatched"));
}

absl::StatusOr<std::string> Codec::DecodeBytes(uint32_t flags, absl::string_view data) const {
  absl::StatusOr<Value> value = Decode(flags, data);
  if (!value.ok()) return value.status();
  if (value->kind() != Value::Kind::kBytes) return WrongKind(*value, flags, "bytes");
  return std::move(*value).release_data();
}

absl::StatusOr<std::string> Codec::DecodeText(uint32_t flags, absl::string_view data) const {
  absl::StatusOr<Value> value = Decode(flags, data);
  if (!value.ok()) return value.status();
  if (value->kind() != Value::Kind::kText) return WrongKind(*value, flags, "text");
  return std::move(*value).release_data();
}

absl::StatusOr<int64_t> Codec::DecodeInt(uint32_t flags, absl::string_view data) const {
  absl::StatusOr<Value> value = Decode(flags, data);
  if (!value.ok()) return value.status();
  if (value->kind() != Value::Kind::kInt) return WrongKind(*value, flags, "int");
  return value->int_value();
}

absl::StatusOr<bool> Codec::DecodeBool(uint32_t flags, absl::string_view data) const {
  absl::StatusOr<Value> value = Decode(flags, data);
  if (!value.ok()) return value.status();
  if (value->kind() == Value::Kind::kBool) return value->bool_value();
  if (value->kind() == Value::Kind::kInt && (value->int_value() == 0 || value->int_value() == 1)) {
    return value->int_value() == 1;
  }
  if (value->kind() == Value::Kind::kInt) {
    return absl::FailedPreconditionError(absl::StrCat(
        "value is int ", value->int_value(), " (flags ", Hex(flags), "), not a bool (0 or 1)"));
  }
  return WrongKind(*value, flags, "bool");
}

}  // namespace value
}  // namespace memkit
