#include "core/protocol/binary_codes.h"

#include <string>

#include "gtest/gtest.h"

namespace memkit {
namespace protocol {
namespace {

TEST(BinaryCodesTest, HeaderRoundTripsInNetworkOrder) {
  BinaryHeader h;
  h.magic = kBinaryRequestMagic;
  h.opcode = 0x01;
  h.key_length = 0x0102;
  h.extras_length = 8;
  h.data_type = 0;
  h.status_or_vbucket = 0xabcd;
  h.body_length = 0x01020304;
  h.opaque = 0xdeadbeef;
  h.cas = 0x0102030405060708ull;
  char bytes[kBinaryHeaderSize];
  EncodeBinaryHeader(h, bytes);
  EXPECT_EQ(std::string(bytes, kBinaryHeaderSize),
            std::string("\x80\x01\x01\x02\x08\x00\xab\xcd\x01\x02\x03\x04\xde\xad\xbe\xef"
                        "\x01\x02\x03\x04\x05\x06\x07\x08",
                        24));
  BinaryHeader back = DecodeBinaryHeader(bytes);
  EXPECT_EQ(back.magic, h.magic);
  EXPECT_EQ(back.opcode, h.opcode);
  EXPECT_EQ(back.key_length, h.key_length);
  EXPECT_EQ(back.extras_length, h.extras_length);
  EXPECT_EQ(back.status_or_vbucket, h.status_or_vbucket);
  EXPECT_EQ(back.body_length, h.body_length);
  EXPECT_EQ(back.opaque, h.opaque);
  EXPECT_EQ(back.cas, h.cas);
}

TEST(BinaryCodesTest, QuietAndLoudFormsPairUp) {
  const std::pair<BinaryOpcode, BinaryOpcode> pairs[] = {
      {BinaryOpcode::kGet, BinaryOpcode::kGetQ},
      {BinaryOpcode::kGetK, BinaryOpcode::kGetKQ},
      {BinaryOpcode::kSet, BinaryOpcode::kSetQ},
      {BinaryOpcode::kAdd, BinaryOpcode::kAddQ},
      {BinaryOpcode::kReplace, BinaryOpcode::kReplaceQ},
      {BinaryOpcode::kDelete, BinaryOpcode::kDeleteQ},
      {BinaryOpcode::kIncrement, BinaryOpcode::kIncrementQ},
      {BinaryOpcode::kDecrement, BinaryOpcode::kDecrementQ},
      {BinaryOpcode::kQuit, BinaryOpcode::kQuitQ},
      {BinaryOpcode::kFlush, BinaryOpcode::kFlushQ},
      {BinaryOpcode::kAppend, BinaryOpcode::kAppendQ},
      {BinaryOpcode::kPrepend, BinaryOpcode::kPrependQ},
      {BinaryOpcode::kGat, BinaryOpcode::kGatQ},
      {BinaryOpcode::kGatK, BinaryOpcode::kGatKQ},
  };
  int quiet_count = 0;
  for (int op = 0; op < 256; ++op) quiet_count += IsQuietBinaryOpcode(static_cast<uint8_t>(op));
  EXPECT_EQ(quiet_count, 14);
  for (const auto& [loud, quiet] : pairs) {
    EXPECT_FALSE(IsQuietBinaryOpcode(static_cast<uint8_t>(loud)));
    EXPECT_TRUE(IsQuietBinaryOpcode(static_cast<uint8_t>(quiet)));
    EXPECT_EQ(BaseBinaryOpcode(quiet), loud);
    EXPECT_EQ(BaseBinaryOpcode(loud), loud);
    EXPECT_EQ(QuietBinaryOpcode(loud), quiet);
    EXPECT_EQ(QuietBinaryOpcode(quiet), quiet);
  }
  EXPECT_EQ(QuietBinaryOpcode(BinaryOpcode::kNoop), BinaryOpcode::kNoop);
  EXPECT_EQ(BaseBinaryOpcode(static_cast<BinaryOpcode>(0x50)), static_cast<BinaryOpcode>(0x50));
}

TEST(BinaryCodesTest, NamesAndMemcachedOpcodes) {
  EXPECT_EQ(BinaryOpcodeName(0x00), "get");
  EXPECT_EQ(BinaryOpcodeName(0x24), "gatkq");
  EXPECT_EQ(BinaryOpcodeName(0x1b), "verbosity");
  EXPECT_EQ(BinaryOpcodeName(0x25), "unknown");
  EXPECT_EQ(BinaryOpcodeName(0xff), "unknown");
  int memcached = 0;
  for (int op = 0; op < 256; ++op) memcached += IsMemcachedBinaryOpcode(static_cast<uint8_t>(op));
  // 0x00-0x1a, 0x1c-0x1e, 0x20-0x24: 27 + 3 + 5.
  EXPECT_EQ(memcached, 35);
  EXPECT_FALSE(IsMemcachedBinaryOpcode(0x1b));
  EXPECT_FALSE(IsMemcachedBinaryOpcode(0x1f));
}

TEST(BinaryCodesTest, StatusTextsAreMemcachedsOwn) {
  EXPECT_EQ(BinaryStatusText(BinaryStatus::kKeyNotFound), "Not found");
  EXPECT_EQ(BinaryStatusText(BinaryStatus::kKeyExists), "Data exists for key.");
  EXPECT_EQ(BinaryStatusText(BinaryStatus::kTooLarge), "Too large.");
  EXPECT_EQ(BinaryStatusText(BinaryStatus::kInvalidArguments), "Invalid arguments");
  EXPECT_EQ(BinaryStatusText(BinaryStatus::kNotStored), "Not stored.");
  EXPECT_EQ(BinaryStatusText(BinaryStatus::kNonNumeric),
            "Non-numeric server-side value for incr or decr");
  EXPECT_EQ(BinaryStatusText(BinaryStatus::kAuthError), "Auth failure.");
  EXPECT_EQ(BinaryStatusText(BinaryStatus::kUnknownCommand), "Unknown command");
  EXPECT_EQ(BinaryStatusText(BinaryStatus::kOutOfMemory), "Out of memory");
}

TEST(BinaryCodesTest, PacketAppendsHeadKeyBody) {
  BinaryPacket packet;
  packet.head_bytes[0] = 'h';
  packet.head_bytes[1] = 'd';
  packet.head_size = 2;
  packet.key = "key";
  packet.body = "body";
  EXPECT_EQ(packet.size(), 9u);
  std::string out = "x";
  packet.AppendTo(&out);
  EXPECT_EQ(out, "xhdkeybody");
  EXPECT_EQ(packet.ToString(), "hdkeybody");
}

}  // namespace
}  // namespace protocol
}  // namespace memkit
