// Client request builders, checked byte for byte and by a round trip through
// the server's request parser.

#include "core/protocol/binary_request_writer.h"

#include <string>

#include "absl/strings/escaping.h"
#include "core/protocol/binary_request_parser.h"
#include "core/status/status.h"
#include "gtest/gtest.h"

namespace memkit {
namespace protocol {
namespace {

BinaryRequest RoundTrip(const BinaryPacket& packet, std::string* storage) {
  *storage = packet.ToString();
  BinaryRequest r;
  ParseResult result = ParseBinaryRequest(*storage, {}, &r);
  EXPECT_TRUE(result.ok()) << absl::BytesToHexString(*storage);
  EXPECT_EQ(result.consumed, storage->size());
  return r;
}

TEST(BinaryRequestWriterTest, SetIsByteExact) {
  BinaryPacket p;
  ASSERT_TRUE(BuildBinaryStore(BinaryOpcode::kSet, "foo", "bar", 0xdeadbeef, 0, 0, 4, &p).ok());
  EXPECT_EQ(absl::BytesToHexString(p.ToString()),
            "80010003080000000000000e000000040000000000000000"
            "deadbeef00000000"
            "666f6f"
            "626172");
  // Key and value referenced, extras formatted in the head.
  EXPECT_EQ(p.head().size(), 32u);
  EXPECT_EQ(p.key, "foo");
  EXPECT_EQ(p.body, "bar");
}

TEST(BinaryRequestWriterTest, GetFamilyRoundTrips) {
  for (BinaryOpcode op :
       {BinaryOpcode::kGet, BinaryOpcode::kGetQ, BinaryOpcode::kGetK, BinaryOpcode::kGetKQ}) {
    BinaryPacket p;
    ASSERT_TRUE(BuildBinaryGet(op, "some-key", 0xabcdef01, &p).ok());
    std::string wire;
    BinaryRequest r = RoundTrip(p, &wire);
    EXPECT_EQ(r.opcode, op);
    EXPECT_EQ(r.key, "some-key");
    EXPECT_EQ(r.opaque, 0xabcdef01u);
  }
}

TEST(BinaryRequestWriterTest, StoreFamilyRoundTrips) {
  for (BinaryOpcode op : {BinaryOpcode::kSet, BinaryOpcode::kSetQ, BinaryOpcode::kAdd,
                          BinaryOpcode::kAddQ, BinaryOpcode::kReplace, BinaryOpcode::kReplaceQ}) {
    BinaryPacket p;
    const std::string value("v\0v", 3);
    ASSERT_TRUE(BuildBinaryStore(op, "k", value, 7, 3600, 99, 5, &p).ok());
    std::string wire;
    BinaryRequest r = RoundTrip(p, &wire);
    EXPECT_EQ(r.opcode, op);
    EXPECT_EQ(r.key, "k");
    EXPECT_EQ(r.value, std::string("v\0v", 3));
    EXPECT_EQ(r.flags, 7u);
    EXPECT_EQ(r.exptime, 3600u);
    EXPECT_EQ(r.cas, 99u);
    EXPECT_EQ(r.opaque, 5u);
  }
}

TEST(BinaryRequestWriterTest, ConcatDeleteCounterTouchRoundTrip) {
  std::string wire;
  BinaryPacket p;
  for (BinaryOpcode op : {BinaryOpcode::kAppend, BinaryOpcode::kAppendQ, BinaryOpcode::kPrepend,
                          BinaryOpcode::kPrependQ}) {
    ASSERT_TRUE(BuildBinaryConcat(op, "k", "more", 3, 1, &p).ok());
    BinaryRequest r = RoundTrip(p, &wire);
    EXPECT_EQ(r.opcode, op);
    EXPECT_EQ(r.value, "more");
    EXPECT_EQ(r.cas, 3u);
  }
  for (BinaryOpcode op : {BinaryOpcode::kDelete, BinaryOpcode::kDeleteQ}) {
    ASSERT_TRUE(BuildBinaryDelete(op, "gone", 12, 2, &p).ok());
    BinaryRequest r = RoundTrip(p, &wire);
    EXPECT_EQ(r.opcode, op);
    EXPECT_EQ(r.key, "gone");
    EXPECT_EQ(r.cas, 12u);
  }
  for (BinaryOpcode op : {BinaryOpcode::kIncrement, BinaryOpcode::kIncrementQ,
                          BinaryOpcode::kDecrement, BinaryOpcode::kDecrementQ}) {
    ASSERT_TRUE(BuildBinaryCounter(op, "n", 5, 100, 0xffffffff, 0, 3, &p).ok());
    BinaryRequest r = RoundTrip(p, &wire);
    EXPECT_EQ(r.opcode, op);
    EXPECT_EQ(r.delta, 5u);
    EXPECT_EQ(r.initial, 100u);
    EXPECT_EQ(r.exptime, 0xffffffffu);
  }
  for (BinaryOpcode op : {BinaryOpcode::kTouch, BinaryOpcode::kGat, BinaryOpcode::kGatQ,
                          BinaryOpcode::kGatK, BinaryOpcode::kGatKQ}) {
    ASSERT_TRUE(BuildBinaryTouch(op, "t", 60, 4, &p).ok());
    BinaryRequest r = RoundTrip(p, &wire);
    EXPECT_EQ(r.opcode, op);
    EXPECT_EQ(r.exptime, 60u);
    EXPECT_EQ(r.key, "t");
  }
}

TEST(BinaryRequestWriterTest, SmallCommandsRoundTrip) {
  std::string wire;
  BinaryPacket p;
  for (BinaryOpcode op :
       {BinaryOpcode::kNoop, BinaryOpcode::kVersion, BinaryOpcode::kQuit, BinaryOpcode::kQuitQ}) {
    ASSERT_TRUE(BuildBinaryBare(op, 77, &p).ok());
    EXPECT_EQ(p.size(), 24u);
    BinaryRequest r = RoundTrip(p, &wire);
    EXPECT_EQ(r.opcode, op);
    EXPECT_EQ(r.opaque, 77u);
  }
  for (BinaryOpcode op : {BinaryOpcode::kFlush, BinaryOpcode::kFlushQ}) {
    ASSERT_TRUE(BuildBinaryFlush(op, absl::nullopt, 1, &p).ok());
    EXPECT_EQ(p.size(), 24u);
    RoundTrip(p, &wire);
    ASSERT_TRUE(BuildBinaryFlush(op, 30, 1, &p).ok());
    EXPECT_EQ(p.size(), 28u);
    EXPECT_EQ(RoundTrip(p, &wire).exptime, 30u);
  }
  ASSERT_TRUE(BuildBinaryStat("", 9, &p).ok());
  EXPECT_TRUE(RoundTrip(p, &wire).key.empty());
  ASSERT_TRUE(BuildBinaryStat("slabs", 9, &p).ok());
  EXPECT_EQ(RoundTrip(p, &wire).key, "slabs");
}

TEST(BinaryRequestWriterTest, SaslAndVerbosityMatchWhatMemcachedParses) {
  BinaryPacket p;
  BinaryParserOptions sasl;
  sasl.sasl_enabled = true;
  BinaryRequest r;
  ASSERT_TRUE(BuildBinaryBare(BinaryOpcode::kSaslListMechs, 1, &p).ok());
  std::string wire = p.ToString();
  EXPECT_TRUE(ParseBinaryRequest(wire, sasl, &r).ok());
  const std::string data("\0user\0pw", 8);  // must outlive the packet
  for (BinaryOpcode op : {BinaryOpcode::kSaslAuth, BinaryOpcode::kSaslStep}) {
    ASSERT_TRUE(BuildBinarySasl(op, "PLAIN", data, 2, &p).ok());
    wire = p.ToString();
    ASSERT_TRUE(ParseBinaryRequest(wire, sasl, &r).ok());
    EXPECT_EQ(r.opcode, op);
    EXPECT_EQ(r.key, "PLAIN");
    EXPECT_EQ(r.value, std::string("\0user\0pw", 8));
  }
  // memcached 1.6.18 does not implement verbosity: "Unknown command", with
  // the 4 bytes of extras read and 4 more swallowed.
  ASSERT_TRUE(BuildBinaryVerbosity(1, 3, &p).ok());
  wire = p.ToString();
  EXPECT_EQ(absl::BytesToHexString(wire),
            "801b0000040000000000000400000003000000000000000000000001");
  ParseResult result = ParseBinaryRequest(wire, {}, &r);
  ASSERT_EQ(result.status, ParseStatus::kError);
  EXPECT_FALSE(result.error.close);
  EXPECT_EQ(result.consumed, 28u);
}

TEST(BinaryRequestWriterTest, RefusesWhatMemcachedWouldCloseOn) {
  BinaryPacket p;
  absl::Status s = BuildBinaryGet(BinaryOpcode::kGet, std::string(251, 'k'), 0, &p);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(GetMcCode(s), McCode::kBadKey);
  EXPECT_EQ(GetMcCode(BuildBinaryGet(BinaryOpcode::kGet, "", 0, &p)), McCode::kBadKey);
  EXPECT_TRUE(BuildBinaryGet(BinaryOpcode::kGet, std::string(250, 'k'), 0, &p).ok());
  EXPECT_EQ(GetMcCode(BuildBinaryStore(BinaryOpcode::kSet, "", "v", 0, 0, 0, 0, &p)),
            McCode::kBadKey);
  EXPECT_EQ(GetMcCode(BuildBinaryTouch(BinaryOpcode::kGat, "", 0, 0, &p)), McCode::kBadKey);
  EXPECT_EQ(GetMcCode(BuildBinaryCounter(BinaryOpcode::kIncrement, "", 1, 0, 0, 0, 0, &p)),
            McCode::kBadKey);
  EXPECT_EQ(GetMcCode(BuildBinarySasl(BinaryOpcode::kSaslAuth, "", "x", 0, &p)), McCode::kBadKey);
  EXPECT_FALSE(BuildBinaryStat(std::string(251, 's'), 0, &p).ok());
  // Opcodes that are not the builder's.
  EXPECT_EQ(BuildBinaryGet(BinaryOpcode::kSet, "k", 0, &p).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(BuildBinaryStore(BinaryOpcode::kAppend, "k", "v", 0, 0, 0, 0, &p).ok());
  EXPECT_FALSE(BuildBinaryConcat(BinaryOpcode::kSet, "k", "v", 0, 0, &p).ok());
  EXPECT_FALSE(BuildBinaryDelete(BinaryOpcode::kGet, "k", 0, 0, &p).ok());
  EXPECT_FALSE(BuildBinaryCounter(BinaryOpcode::kDelete, "k", 1, 0, 0, 0, 0, &p).ok());
  EXPECT_FALSE(BuildBinaryTouch(BinaryOpcode::kGet, "k", 0, 0, &p).ok());
  EXPECT_FALSE(BuildBinaryFlush(BinaryOpcode::kNoop, absl::nullopt, 0, &p).ok());
  EXPECT_FALSE(BuildBinaryBare(BinaryOpcode::kGet, 0, &p).ok());
  EXPECT_FALSE(BuildBinarySasl(BinaryOpcode::kSaslListMechs, "PLAIN", "", 0, &p).ok());
  // The generic builder encodes anything the header can express.
  EXPECT_FALSE(BuildBinaryRequest(0x50, std::string(21, 'e'), "", "", 0, 0, &p).ok());
  EXPECT_FALSE(BuildBinaryRequest(0x50, "", std::string(65536, 'k'), "", 0, 0, &p).ok());
  ASSERT_TRUE(BuildBinaryRequest(0x50, "xy", std::string(300, 'k'), "v", 1, 2, &p).ok());
  BinaryHeader h = DecodeBinaryHeader(p.head_bytes);
  EXPECT_EQ(h.opcode, 0x50);
  EXPECT_EQ(h.key_length, 300);
  EXPECT_EQ(h.extras_length, 2);
  EXPECT_EQ(h.body_length, 303u);
}

TEST(BinaryRequestWriterTest, BodyLengthOverflowIsRefusedWithoutTouchingTheValue) {
  // A view that claims 4 GiB: only its size is looked at.
  absl::string_view huge("x", 1);
  huge = absl::string_view(huge.data(), size_t{1} << 32);
  BinaryPacket p;
  absl::Status s = BuildBinaryStore(BinaryOpcode::kSet, "k", huge, 0, 0, 0, 0, &p);
  EXPECT_EQ(GetMcCode(s), McCode::kTooLarge);
  EXPECT_FALSE(BuildBinaryConcat(BinaryOpcode::kAppend, "k", huge, 0, 0, &p).ok());
}

}  // namespace
}  // namespace protocol
}  // namespace memkit
