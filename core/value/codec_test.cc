#include "core/value/codec.h"

#include <cstdint>
#include <limits>
#include <memory>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/value/serializer.h"
#include "core/value/value.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace memkit {
namespace value {
namespace {

using ::testing::HasSubstr;

// Values pylibmc 1.6.3 and pymemcache 3.5.2 stored in memcached 1.6.18, as
// `get` returned them (docs/values.md has the session).
const absl::string_view kPylibmcAbc1000Zlib(
    "\x78\x9c\xed\xc2\x41\x11\x00\x00\x0c\x02\xa0\xac\x6a\xff\x0e\xab\xb1\x07\x1c\xe9\xa2\xaa"
    "\xaa\xfe\x7e\xec\xd4\x7c\xad",
    29);
const absl::string_view kPymemcacheTrue("\x80\x05\x88.", 4);
const absl::string_view kPymemcacheFalse("\x80\x05\x89.", 4);
const absl::string_view kPickledFloat(
    "\x80\x05\x95\n\x00\x00\x00\x00\x00\x00\x00G?\xf8\x00\x00\x00\x00\x00\x00.", 21);

std::string Repeat(absl::string_view s, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out.append(s.data(), s.size());
  return out;
}

std::unique_ptr<Codec> MakeCodec(const CodecOptions& options) {
  absl::StatusOr<std::unique_ptr<Codec>> codec = Codec::Create(options);
  EXPECT_TRUE(codec.ok()) << codec.status();
  return codec.ok() ? std::move(*codec) : nullptr;
}

CodecOptions Compressing(size_t min_compress_len) {
  CodecOptions options;
  options.min_compress_len = min_compress_len;
  return options;
}

void ExpectStatus(const absl::Status& status, absl::StatusCode code, absl::string_view part) {
  EXPECT_EQ(status.code(), code) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr(std::string(part)));
}

EncodedValue MustEncode(const Codec& codec, const Value& value) {
  absl::StatusOr<EncodedValue> encoded = codec.Encode(value);
  EXPECT_TRUE(encoded.ok()) << encoded.status();
  return encoded.ok() ? *encoded : EncodedValue{};
}

Value MustDecode(const Codec& codec, uint32_t flags, absl::string_view data) {
  absl::StatusOr<Value> value = codec.Decode(flags, data);
  EXPECT_TRUE(value.ok()) << value.status();
  return value.ok() ? *value : Value();
}

// ---- Encoding ----

TEST(CodecEncodeTest, BytesAreFlagZero) {
  Codec codec;
  EncodedValue out = MustEncode(codec, Value::Bytes(std::string("\x00\xffraw", 5)));
  EXPECT_EQ(out.flags, 0u);
  EXPECT_EQ(out.data, std::string("\x00\xffraw", 5));
}

TEST(CodecEncodeTest, TextIsFlag16) {
  Codec codec;
  EncodedValue out = MustEncode(codec, Value::Text("h\xc3\xa9llo"));
  EXPECT_EQ(out.flags, 16u);
  EXPECT_EQ(out.data, "h\xc3\xa9llo");
  EXPECT_EQ(MustEncode(codec, Value::Text("")).flags, 16u);
}

TEST(CodecEncodeTest, TextMustBeUtf8) {
  Codec codec;
  ExpectStatus(codec.Encode(Value::Text("ab\xff")).status(), absl::StatusCode::kInvalidArgument,
               "text value is not valid UTF-8: byte 0xff at offset 2");
  EncodedValue out;
  ExpectStatus(codec.EncodeText("\xc0\x80", &out), absl::StatusCode::kInvalidArgument,
               "byte 0xc0 at offset 0");
}

TEST(CodecEncodeTest, PylibmcStyleIntsAndBools) {
  Codec codec;  // Compat::kPylibmc is the default.
  EXPECT_EQ(codec.options().compat, Compat::kPylibmc);
  EncodedValue out = MustEncode(codec, Value::Int(42));
  EXPECT_EQ(out.flags, 4u);
  EXPECT_EQ(out.data, "42");
  EXPECT_EQ(MustEncode(codec, Value::Int(-7)).data, "-7");
  EXPECT_EQ(MustEncode(codec, Value::Int(std::numeric_limits<int64_t>::min())).data,
            "-9223372036854775808");
  out = MustEncode(codec, Value::Bool(true));
  EXPECT_EQ(out.flags, 2u);
  EXPECT_EQ(out.data, "1");
  out = MustEncode(codec, Value::Bool(false));
  EXPECT_EQ(out.flags, 2u);
  EXPECT_EQ(out.data, "0");
}

TEST(CodecEncodeTest, PymemcacheStyleIntsAndBools) {
  CodecOptions options;
  options.compat = Compat::kPymemcache;
  auto codec = MakeCodec(options);
  EncodedValue out = MustEncode(*codec, Value::Int(42));
  EXPECT_EQ(out.flags, 2u);
  EXPECT_EQ(out.data, "42");
  out = MustEncode(*codec, Value::Bool(true));
  EXPECT_EQ(out.flags, 1u);
  EXPECT_EQ(out.data, absl::string_view("\x80\x02\x88.", 4));
  out = MustEncode(*codec, Value::Bool(false));
  EXPECT_EQ(out.data, absl::string_view("\x80\x02\x89.", 4));
}

TEST(CodecEncodeTest, DirectEncodersMatchEncode) {
  Codec codec;
  EncodedValue out;
  ASSERT_TRUE(codec.EncodeBytes("raw", &out).ok());
  EXPECT_EQ(out.flags, 0u);
  ASSERT_TRUE(codec.EncodeText("txt", &out).ok());
  EXPECT_EQ(out.flags, 16u);
  ASSERT_TRUE(codec.EncodeInt(9, &out).ok());
  EXPECT_EQ(out.flags, 4u);
  EXPECT_EQ(out.data, "9");
  ASSERT_TRUE(codec.EncodeBool(true, &out).ok());
  EXPECT_EQ(out.flags, 2u);
  EXPECT_EQ(out.data, "1");
}

TEST(CodecEncodeTest, ReusesTheOutputBuffer) {
  Codec codec;
  EncodedValue out;
  out.flags = 99;
  out.data.reserve(1000);
  const char* buffer = out.data.data();
  ASSERT_TRUE(codec.EncodeBytes(std::string(500, 'x'), &out).ok());
  EXPECT_EQ(out.data.data(), buffer);
  EXPECT_EQ(out.flags, 0u);
}

// ---- Compression ----

// pylibmc: set(k, "abc" * 1000, min_compress_len=100) stored flags 24 and
// exactly these 29 bytes.
TEST(CodecCompressionTest, MatchesPylibmcByteForByte) {
  auto codec = MakeCodec(Compressing(100));
  EncodedValue out = MustEncode(*codec, Value::Text(Repeat("abc", 1000)));
  EXPECT_EQ(out.flags, 24u);
  EXPECT_EQ(out.data, kPylibmcAbc1000Zlib);
  out = MustEncode(*codec, Value::Bytes(Repeat("abc", 1000)));
  EXPECT_EQ(out.flags, 8u);
  EXPECT_EQ(out.data, kPylibmcAbc1000Zlib);
}

// pylibmc compresses when len >= min_compress_len: "a" * 100 was flags 24,
// "a" * 99 flags 16.
TEST(CodecCompressionTest, ThresholdIsInclusive) {
  auto codec = MakeCodec(Compressing(100));
  EXPECT_EQ(MustEncode(*codec, Value::Text(std::string(100, 'a'))).flags, 24u);
  EXPECT_EQ(MustEncode(*codec, Value::Text(std::string(99, 'a'))).flags, 16u);
}

TEST(CodecCompressionTest, KeepsTheResultOnlyIfSmaller) {
  auto codec = MakeCodec(Compressing(10));
  std::string noise;
  uint32_t x = 12345;
  for (int i = 0; i < 200; ++i) {
    x = x * 1103515245 + 12345;
    noise.push_back(static_cast<char>(x >> 24));
  }
  EncodedValue out = MustEncode(*codec, Value::Bytes(noise));
  EXPECT_EQ(out.flags, 0u);
  EXPECT_EQ(out.data, noise);
}

TEST(CodecCompressionTest, OffByDefaultAndAtLevelZero) {
  Codec plain;
  EXPECT_EQ(MustEncode(plain, Value::Text(Repeat("abc", 1000))).flags, 16u);
  CodecOptions options = Compressing(1);
  options.compress_level = 0;
  auto level0 = MakeCodec(options);
  EXPECT_EQ(MustEncode(*level0, Value::Text(Repeat("abc", 1000))).flags, 16u);
}

TEST(CodecCompressionTest, EveryKindCompressesAndRoundTrips) {
  CodecOptions options = Compressing(1);
  options.compress_level = 9;
  auto codec = MakeCodec(options);
  const Value values[] = {Value::Bytes(Repeat("xy", 500)), Value::Text(Repeat("\xc3\xa9", 500)),
                          Value::Int(1111111111111111111)};
  for (const Value& v : values) {
    EncodedValue out = MustEncode(*codec, v);
    EXPECT_NE(out.flags & kFlagZlib, 0u) << v.DebugString();
    Value back = MustDecode(*codec, out.flags, out.data);
    EXPECT_EQ(back.kind(), v.kind());
    EXPECT_EQ(back.data(), v.data());
    EXPECT_EQ(back.int_value(), v.int_value());
  }
}

// ---- Decoding what Python wrote ----

TEST(CodecDecodeTest, ReadsPylibmcValues) {
  Codec codec;
  Value v = MustDecode(codec, 16, "h\xc3\xa9llo");
  EXPECT_EQ(v.kind(), Value::Kind::kText);
  EXPECT_EQ(v.data(), "h\xc3\xa9llo");
  v = MustDecode(codec, 0, std::string("\x00\xffraw", 5));
  EXPECT_EQ(v.kind(), Value::Kind::kBytes);
  EXPECT_EQ(v.data(), std::string("\x00\xffraw", 5));
  v = MustDecode(codec, 4, "9223372036854775807");
  EXPECT_EQ(v.kind(), Value::Kind::kInt);
  EXPECT_EQ(v.int_value(), std::numeric_limits<int64_t>::max());
  v = MustDecode(codec, 2, "1");  // pylibmc's True
  EXPECT_EQ(v.kind(), Value::Kind::kInt);
  EXPECT_EQ(v.int_value(), 1);
  EXPECT_EQ(*codec.DecodeBool(2, "1"), true);
  EXPECT_EQ(*codec.DecodeBool(2, "0"), false);
  v = MustDecode(codec, 24, kPylibmcAbc1000Zlib);
  EXPECT_EQ(v.kind(), Value::Kind::kText);
  EXPECT_EQ(v.data(), Repeat("abc", 1000));
  v = MustDecode(codec, 8, kPylibmcAbc1000Zlib);
  EXPECT_EQ(v.kind(), Value::Kind::kBytes);
  EXPECT_EQ(v.data(), Repeat("abc", 1000));
  v = MustDecode(codec, 16, "");
  EXPECT_EQ(v.kind(), Value::Kind::kText);
}

TEST(CodecDecodeTest, ReadsPymemcacheValues) {
  Codec codec;  // Decoding does not depend on compat.
  Value v = MustDecode(codec, 2, "42");
  EXPECT_EQ(v.kind(), Value::Kind::kInt);
  EXPECT_EQ(v.int_value(), 42);
  v = MustDecode(codec, 1, kPymemcacheTrue);
  EXPECT_EQ(v.kind(), Value::Kind::kBool);
  EXPECT_TRUE(v.bool_value());
  EXPECT_FALSE(MustDecode(codec, 1, kPymemcacheFalse).bool_value());
  EXPECT_EQ(*codec.DecodeBool(1, kPymemcacheTrue), true);
}

// memcached's in-place decr pads a shorter number with spaces ("100" - 1 is
// "99 "); Python's int() strips them and so does memkit.
TEST(CodecDecodeTest, ToleratesDecrPadding) {
  Codec codec;
  EXPECT_EQ(*codec.DecodeInt(2, "99 "), 99);
  EXPECT_EQ(*codec.DecodeInt(4, " -5\r\n"), -5);
}

TEST(CodecDecodeTest, RoundTripsBothCompats) {
  for (Compat compat : {Compat::kPylibmc, Compat::kPymemcache}) {
    CodecOptions options;
    options.compat = compat;
    auto codec = MakeCodec(options);
    for (const Value& v : {Value::Bytes("b"), Value::Text("t"), Value::Int(-3), Value::Bool(true),
                           Value::Bool(false)}) {
      EncodedValue out = MustEncode(*codec, v);
      Value back = MustDecode(*codec, out.flags, out.data);
      if (v.kind() == Value::Kind::kBool) {
        EXPECT_EQ(*codec->DecodeBool(out.flags, out.data), v.bool_value());
      } else {
        EXPECT_EQ(back.kind(), v.kind());
        EXPECT_EQ(back.DebugString(), v.DebugString());
      }
    }
  }
}

// ---- Decode errors ----

TEST(CodecDecodeErrorTest, UnknownFlagBits) {
  Codec codec;
  ExpectStatus(codec.Decode(32, "abc").status(), absl::StatusCode::kUnimplemented,
               "flags 0x20 have bits (0x20) that neither the codec nor a registered serializer "
               "owns");
  ExpectStatus(codec.Decode(0x116, "abc").status(), absl::StatusCode::kUnimplemented,
               "have bits (0x100)");
  ExpectStatus(codec.Decode(0x80000000u, "abc").status(), absl::StatusCode::kUnimplemented,
               "0x80000000");
}

// pylibmc: "unknown memcached key flags 6".
TEST(CodecDecodeErrorTest, TwoTypeBitsAtOnce) {
  Codec codec;
  ExpectStatus(codec.Decode(6, "42").status(), absl::StatusCode::kUnimplemented,
               "flags 0x6 combine int (0x2) with long (0x4); a value has one type");
  ExpectStatus(codec.Decode(18, "42").status(), absl::StatusCode::kUnimplemented,
               "combine int (0x2) with text (0x10)");
  ExpectStatus(codec.Decode(17 | 8, "x").status(), absl::StatusCode::kUnimplemented,
               "flags 0x19 combine pickle (0x1) with text (0x10)");
}

TEST(CodecDecodeErrorTest, UnknownFlagsAsBytesWhenAsked) {
  CodecOptions options;
  options.unknown_flags_as_bytes = true;
  auto codec = MakeCodec(options);
  Value v = MustDecode(*codec, 32, "abc");
  EXPECT_EQ(v.kind(), Value::Kind::kBytes);
  EXPECT_EQ(v.data(), "abc");
  v = MustDecode(*codec, 6, "42");
  EXPECT_EQ(v.kind(), Value::Kind::kBytes);
  v = MustDecode(*codec, 32 | 8, kPylibmcAbc1000Zlib);  // inflated first, like pylibmc
  EXPECT_EQ(v.data(), Repeat("abc", 1000));
  // Known flags are still decoded and checked.
  EXPECT_EQ(MustDecode(*codec, 4, "5").int_value(), 5);
  EXPECT_EQ(codec->Decode(16, "\xff").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(codec->Decode(32 | 8, "notzlib").status().code(), absl::StatusCode::kDataLoss);
}

TEST(CodecDecodeErrorTest, CorruptZlib) {
  Codec codec;
  ExpectStatus(codec.Decode(8, "notzlib").status(), absl::StatusCode::kDataLoss,
               "value with flags 0x8: zlib data is corrupt: incorrect header check");
  ExpectStatus(codec.Decode(24, kPylibmcAbc1000Zlib.substr(0, 20)).status(),
               absl::StatusCode::kDataLoss, "value with flags 0x18: zlib data is truncated");
  ExpectStatus(codec.Decode(24, absl::StrCat(kPylibmcAbc1000Zlib, "!")).status(),
               absl::StatusCode::kDataLoss, "1 trailing bytes");
}

TEST(CodecDecodeErrorTest, DecompressionIsBounded) {
  CodecOptions options;
  options.max_decompressed_size = 2999;
  auto codec = MakeCodec(options);
  ExpectStatus(codec->Decode(24, kPylibmcAbc1000Zlib).status(),
               absl::StatusCode::kResourceExhausted,
               "zlib data inflates to more than max_decompressed_size (2999 bytes)");
  options.max_decompressed_size = 3000;
  EXPECT_TRUE(MakeCodec(options)->Decode(24, kPylibmcAbc1000Zlib).ok());
}

TEST(CodecDecodeErrorTest, InvalidUtf8UnderTextFlag) {
  Codec codec;
  ExpectStatus(codec.Decode(16, "\xff\xfe").status(), absl::StatusCode::kDataLoss,
               "value under the text flag (flags 0x10) is not valid UTF-8: byte 0xff at offset 0");
  ExpectStatus(codec.Decode(16, "ok\xed\xa0\x80").status(), absl::StatusCode::kDataLoss,
               "byte 0xed at offset 2");
}

TEST(CodecDecodeErrorTest, NonNumberUnderIntFlags) {
  Codec codec;
  ExpectStatus(codec.Decode(2, "abc").status(), absl::StatusCode::kDataLoss,
               "value under the int (0x2) flag is not a decimal number: \"abc\"");
  ExpectStatus(codec.Decode(4, "4x").status(), absl::StatusCode::kDataLoss,
               "value under the long (0x4) flag is not a decimal number: \"4x\"");
  ExpectStatus(codec.Decode(2, "").status(), absl::StatusCode::kDataLoss, "\"\"");
  ExpectStatus(codec.Decode(2, "1_000").status(), absl::StatusCode::kDataLoss, "1_000");
  ExpectStatus(codec.Decode(2, "True").status(), absl::StatusCode::kDataLoss, "True");
  ExpectStatus(codec.Decode(2, std::string(100, '7') + "x").status(), absl::StatusCode::kDataLoss,
               "...\"");
}

// pylibmc stored set(k, 2**70) as flags 4 "1180591620717411303424".
TEST(CodecDecodeErrorTest, IntOutsideInt64) {
  Codec codec;
  ExpectStatus(codec.Decode(4, "1180591620717411303424").status(), absl::StatusCode::kOutOfRange,
               "value under the long (0x4) flag is \"1180591620717411303424\", which does not fit "
               "in int64");
  ExpectStatus(codec.Decode(2, "-9223372036854775809").status(), absl::StatusCode::kOutOfRange,
               "does not fit in int64");
}

TEST(CodecDecodeErrorTest, PicklesOtherThanBools) {
  Codec codec;
  ExpectStatus(codec.Decode(1, kPickledFloat).status(), absl::StatusCode::kUnimplemented,
               "value is a pickled Python object (flags 0x1); memkit reads only pickled "
               "True/False");
}

TEST(CodecDecodeErrorTest, TypedDecodersInsistOnTheKind) {
  Codec codec;
  ExpectStatus(codec.DecodeInt(16, "42").status(), absl::StatusCode::kFailedPrecondition,
               "value is text (flags 0x10), not int");
  ExpectStatus(codec.DecodeText(0, "x").status(), absl::StatusCode::kFailedPrecondition,
               "value is bytes (flags 0x0), not text");
  ExpectStatus(codec.DecodeBytes(4, "1").status(), absl::StatusCode::kFailedPrecondition,
               "value is int (flags 0x4), not bytes");
  ExpectStatus(codec.DecodeBool(4, "5").status(), absl::StatusCode::kFailedPrecondition,
               "value is int 5 (flags 0x4), not a bool (0 or 1)");
  ExpectStatus(codec.DecodeBool(16, "true").status(), absl::StatusCode::kFailedPrecondition,
               "not bool");
  ExpectStatus(codec.DecodeInt(1, kPymemcacheTrue).status(), absl::StatusCode::kFailedPrecondition,
               "value is bool");
  // The decode error wins over the kind check.
  EXPECT_EQ(codec.DecodeInt(2, "x").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(*codec.DecodeBytes(8, kPylibmcAbc1000Zlib), Repeat("abc", 1000));
  EXPECT_EQ(*codec.DecodeText(24, kPylibmcAbc1000Zlib), Repeat("abc", 1000));
  EXPECT_EQ(*codec.DecodeInt(4, "-1"), -1);
}

// ---- Options ----

TEST(CodecCreateTest, RejectsBadOptions) {
  CodecOptions options;
  options.compress_level = 10;
  ExpectStatus(Codec::Create(options).status(), absl::StatusCode::kInvalidArgument,
               "compress_level 10 is not in 0..9");
  options.compress_level = -1;
  EXPECT_FALSE(Codec::Create(options).ok());
  options = CodecOptions();
  options.max_decompressed_size = 0;
  ExpectStatus(Codec::Create(options).status(), absl::StatusCode::kInvalidArgument,
               "max_decompressed_size must be positive");
}

TEST(CodecCreateTest, DefaultsAreDocumented) {
  CodecOptions options;
  EXPECT_EQ(options.compat, Compat::kPylibmc);
  EXPECT_EQ(options.min_compress_len, 0u);
  EXPECT_EQ(options.compress_level, 6);
  EXPECT_EQ(options.max_decompressed_size, 64u << 20);
  EXPECT_FALSE(options.unknown_flags_as_bytes);
  EXPECT_TRUE(options.serializers.empty());
}

// ---- User serializers ----

struct Point {
  int64_t x = 0;
  int64_t y = 0;
};

// "x,y" under its own flag.
class PointSerializer : public TypedSerializer<Point> {
 public:
  explicit PointSerializer(uint32_t flag = 1u << 8) : flag_(flag) {}
  uint32_t flag() const override { return flag_; }
  absl::string_view name() const override { return "point"; }
  absl::Status EncodeTyped(const Point& p, std::string* out) const override {
    absl::StrAppend(out, p.x, ",", p.y);
    return absl::OkStatus();
  }
  absl::StatusOr<Point> DecodeTyped(absl::string_view data) const override {
    std::pair<std::string, std::string> parts = absl::StrSplit(data, absl::MaxSplits(',', 1));
    Point p;
    if (!absl::SimpleAtoi(parts.first, &p.x) || !absl::SimpleAtoi(parts.second, &p.y)) {
      return absl::DataLossError(absl::StrCat("not a point: ", data));
    }
    return p;
  }

 private:
  uint32_t flag_;
};

CodecOptions WithSerializer(std::shared_ptr<const Serializer> serializer) {
  CodecOptions options;
  options.serializers.push_back(std::move(serializer));
  return options;
}

TEST(CodecSerializerTest, EncodesAndDecodesUnderItsFlag) {
  auto codec = MakeCodec(WithSerializer(std::make_shared<PointSerializer>()));
  EncodedValue out = MustEncode(*codec, Value::Custom(1u << 8, Point{3, -4}));
  EXPECT_EQ(out.flags, 256u);
  EXPECT_EQ(out.data, "3,-4");
  Value back = MustDecode(*codec, 256, "5,6");
  EXPECT_EQ(back.kind(), Value::Kind::kCustom);
  EXPECT_EQ(back.custom_flag(), 256u);
  ASSERT_NE(back.custom_as<Point>(), nullptr);
  EXPECT_EQ(back.custom_as<Point>()->x, 5);
  EXPECT_EQ(back.custom_as<Point>()->y, 6);
}

TEST(CodecSerializerTest, CompressesCustomValues) {
  CodecOptions options = WithSerializer(std::make_shared<PointSerializer>());
  options.min_compress_len = 10;
  auto codec = MakeCodec(options);
  EncodedValue out = MustEncode(*codec, Value::Custom(256, Point{1000000000000, 1000000000000}));
  EXPECT_EQ(out.flags, 256u | 8u);
  Value back = MustDecode(*codec, out.flags, out.data);
  ASSERT_NE(back.custom_as<Point>(), nullptr);
  EXPECT_EQ(back.custom_as<Point>()->y, 1000000000000);
}

TEST(CodecSerializerTest, ErrorsNameTheSerializer) {
  auto codec = MakeCodec(WithSerializer(std::make_shared<PointSerializer>()));
  ExpectStatus(codec->Decode(256, "nope").status(), absl::StatusCode::kDataLoss,
               "serializer \"point\" (flag 0x100): not a point: nope");
  ExpectStatus(codec->Encode(Value::Custom(256, 42)).status(), absl::StatusCode::kInvalidArgument,
               "serializer \"point\" was given an object of another type than it encodes");
  ExpectStatus(codec->Encode(Value::Custom(512, Point{})).status(),
               absl::StatusCode::kInvalidArgument, "no serializer is registered for flag 0x200");
  ExpectStatus(codec->Encode(Value::Custom(256 | 512, Point{})).status(),
               absl::StatusCode::kInvalidArgument, "flag 0x300");
  // Its bit combined with another type bit is still a conflict.
  ExpectStatus(codec->Decode(256 | 16, "1,2").status(), absl::StatusCode::kUnimplemented,
               "combine text (0x10) with 0x100");
}

TEST(CodecSerializerTest, APickleSerializerReplacesTheBoolReader) {
  auto codec = MakeCodec(WithSerializer(std::make_shared<PointSerializer>(kFlagPickle)));
  Value v = MustDecode(*codec, 1, "7,8");
  EXPECT_EQ(v.kind(), Value::Kind::kCustom);
  EXPECT_EQ(codec->Decode(1, kPymemcacheTrue).status().code(), absl::StatusCode::kDataLoss);
}

TEST(CodecSerializerTest, CreateChecksTheFlags) {
  ExpectStatus(Codec::Create(WithSerializer(nullptr)).status(), absl::StatusCode::kInvalidArgument,
               "serializers[0] is null");
  ExpectStatus(Codec::Create(WithSerializer(std::make_shared<PointSerializer>(0))).status(),
               absl::StatusCode::kInvalidArgument,
               "serializer \"point\" owns flags 0x0; it must own exactly one bit");
  ExpectStatus(Codec::Create(WithSerializer(std::make_shared<PointSerializer>(0x300))).status(),
               absl::StatusCode::kInvalidArgument, "owns flags 0x300");
  for (uint32_t reserved : {kFlagInt, kFlagLong, kFlagZlib, kFlagText}) {
    ExpectStatus(
        Codec::Create(WithSerializer(std::make_shared<PointSerializer>(reserved))).status(),
        absl::StatusCode::kInvalidArgument, "which the codec uses itself");
  }
  CodecOptions twice = WithSerializer(std::make_shared<PointSerializer>(1u << 9));
  twice.serializers.push_back(std::make_shared<PointSerializer>(1u << 9));
  ExpectStatus(Codec::Create(twice).status(), absl::StatusCode::kInvalidArgument,
               "wants flag 0x200, which another serializer owns");
}

}  // namespace
}  // namespace value
}  // namespace memkit
