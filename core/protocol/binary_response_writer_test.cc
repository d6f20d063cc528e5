#include "core/protocol/binary_response_writer.h"

#include <string>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

namespace memkit {
namespace protocol {
namespace {

// The expected bytes below were captured from memcached 1.6.18 answering the
// same requests (see docs/protocol-binary.md).
std::string Hex(const BinaryPacket& packet) { return absl::BytesToHexString(packet.ToString()); }

constexpr uint8_t Op(BinaryOpcode op) { return static_cast<uint8_t>(op); }

TEST(BinaryResponseWriterTest, StoreSuccessCarriesTheNewCas) {
  EXPECT_EQ(Hex(BinarySuccessResponse(Op(BinaryOpcode::kSet), 4, 1)),
            "810100000000000000000000000000040000000000000001");
}

TEST(BinaryResponseWriterTest, GetHitHasFlagsExtrasAndValue) {
  EXPECT_EQ(Hex(BinaryGetHitResponse(Op(BinaryOpcode::kGet), 5, 0xdeadbeef, 1, "foo", "bar")),
            "810000000400000000000007000000050000000000000001deadbeef626172");
}

TEST(BinaryResponseWriterTest, GetKHitAlsoHasTheKey) {
  EXPECT_EQ(Hex(BinaryGetHitResponse(Op(BinaryOpcode::kGetK), 5, 0xdeadbeef, 1, "foo", "bar")),
            "810c0003040000000000000a000000050000000000000001deadbeef666f6f626172");
  EXPECT_EQ(Hex(BinaryGetHitResponse(Op(BinaryOpcode::kGatK), 6, 0xdeadbeef, 1, "foo", "bar")),
            "81230003040000000000000a000000060000000000000001deadbeef666f6f626172");
}

TEST(BinaryResponseWriterTest, TouchHitHasFlagsButNoValue) {
  EXPECT_EQ(Hex(BinaryGetHitResponse(Op(BinaryOpcode::kTouch), 6, 0xdeadbeef, 1, "foo", "bar")),
            "811c00000400000000000004000000060000000000000001deadbeef");
}

TEST(BinaryResponseWriterTest, Misses) {
  EXPECT_EQ(Hex(BinaryGetMissResponse(Op(BinaryOpcode::kGet), 1, "nope")),
            "8100000000000001000000090000000100000000000000004e6f7420666f756e64");
  EXPECT_EQ(Hex(BinaryGetMissResponse(Op(BinaryOpcode::kGetK), 2, "nope")),
            "810c000400000001000000040000000200000000000000006e6f7065");
}

TEST(BinaryResponseWriterTest, ErrorsEchoTheQuietOpcodeAndCarryText) {
  EXPECT_EQ(Hex(BinaryErrorResponse(Op(BinaryOpcode::kAddQ), 8, BinaryStatus::kKeyExists)),
            "811200000000000200000014000000080000000000000000446174612065786973747320666f72206b65"
            "792e");
  EXPECT_EQ(Hex(BinaryErrorResponse(0x50, 9, BinaryStatus::kUnknownCommand)),
            "81500000000000810000000f000000090000000000000000556e6b6e6f776e20636f6d6d616e64");
  EXPECT_EQ(Hex(BinaryErrorResponse(Op(BinaryOpcode::kSet), 11, BinaryStatus::kTooLarge)),
            "81010000000000030000000a0000000b0000000000000000546f6f206c617267652e");
  EXPECT_EQ(Hex(BinaryErrorResponse(Op(BinaryOpcode::kIncrement), 10, BinaryStatus::kNonNumeric)),
            "81050000000000060000002e0000000a00000000000000004e6f6e2d6e756d6572696320736572766572"
            "2d736964652076616c756520666f7220696e6372206f722064656372");
  EXPECT_EQ(Hex(BinaryErrorResponse(Op(BinaryOpcode::kSet), 1, BinaryStatus::kOutOfMemory,
                                    "Out of memory allocating item")),
            absl::BytesToHexString(std::string("\x81\x01\x00\x00\x00\x00\x00\x82\x00\x00\x00\x1d"
                                               "\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00",
                                               24) +
                                   "Out of memory allocating item"));
}

TEST(BinaryResponseWriterTest, CounterValueIsAnEightByteBody) {
  BinaryPacket packet = BinaryCounterResponse(Op(BinaryOpcode::kIncrement), 10, 2, 42);
  EXPECT_EQ(Hex(packet), "8105000000000000000000080000000a0000000000000002000000000000002a");
  // Small enough to live in the head: nothing referenced.
  EXPECT_EQ(packet.head().size(), 32u);
  EXPECT_TRUE(packet.key.empty());
  EXPECT_TRUE(packet.body.empty());
}

TEST(BinaryResponseWriterTest, VersionAndStats) {
  EXPECT_EQ(Hex(BinaryVersionResponse(7, "1.6.18")),
            "810b00000000000000000006000000070000000000000000312e362e3138");
  EXPECT_EQ(Hex(BinaryStatResponse(3, "", "")), "811000000000000000000000000000030000000000000000");
  EXPECT_EQ(BinaryStatResponse(17, "maxconns", "1024").ToString(),
            std::string("\x81\x10\x00\x08\x00\x00\x00\x00\x00\x00\x00\x0c\x00\x00\x00\x11"
                        "\x00\x00\x00\x00\x00\x00\x00\x00",
                        24) +
                "maxconns1024");
}

TEST(BinaryResponseWriterTest, ValuesAreReferencedNotCopied) {
  std::string value(100000, 'v');
  BinaryPacket packet = BinaryGetHitResponse(Op(BinaryOpcode::kGetK), 1, 0, 9, "key", value);
  EXPECT_EQ(packet.body.data(), value.data());
  EXPECT_EQ(packet.head().size(), 28u);
  EXPECT_EQ(packet.size(), 28u + 3 + value.size());
}

TEST(BinaryResponseWriterTest, GenericResponseTruncatesOversizedExtras) {
  BinaryPacket packet =
      MakeBinaryResponse(0x00, BinaryStatus::kSuccess, 0, 0, std::string(40, 'e'), "", "");
  EXPECT_EQ(packet.head().size(), BinaryPacket::kMaxHead);
  EXPECT_EQ(static_cast<uint8_t>(packet.head_bytes[4]), 20);
}

TEST(BinaryResponseWriterTest, QuietRules) {
  // Quiet gets: silent on a miss only.
  EXPECT_FALSE(BinaryResponseIsSent(Op(BinaryOpcode::kGetQ), BinaryStatus::kKeyNotFound));
  EXPECT_TRUE(BinaryResponseIsSent(Op(BinaryOpcode::kGetKQ), BinaryStatus::kSuccess));
  EXPECT_FALSE(BinaryResponseIsSent(Op(BinaryOpcode::kGatKQ), BinaryStatus::kKeyNotFound));
  // Other quiet opcodes: silent on success only.
  EXPECT_FALSE(BinaryResponseIsSent(Op(BinaryOpcode::kSetQ), BinaryStatus::kSuccess));
  EXPECT_TRUE(BinaryResponseIsSent(Op(BinaryOpcode::kAddQ), BinaryStatus::kKeyExists));
  EXPECT_TRUE(BinaryResponseIsSent(Op(BinaryOpcode::kDeleteQ), BinaryStatus::kKeyNotFound));
  EXPECT_FALSE(BinaryResponseIsSent(Op(BinaryOpcode::kQuitQ), BinaryStatus::kSuccess));
  EXPECT_FALSE(BinaryResponseIsSent(Op(BinaryOpcode::kIncrementQ), BinaryStatus::kSuccess));
  // Loud opcodes always answer.
  EXPECT_TRUE(BinaryResponseIsSent(Op(BinaryOpcode::kGet), BinaryStatus::kKeyNotFound));
  EXPECT_TRUE(BinaryResponseIsSent(Op(BinaryOpcode::kNoop), BinaryStatus::kSuccess));
}

}  // namespace
}  // namespace protocol
}  // namespace memkit
