#include "tests/conformance/request.h"

#include <string>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

namespace memkit {
namespace conformance {
namespace {

TEST(ExpandBytesTest, EscapesAndTemplates) {
  ExpandContext context{100, 1700000000};
  EXPECT_EQ(*ExpandBytes(R"(a\r\n\t\\\x41\{\})", context), "a\r\n\t\\A{}");
  EXPECT_EQ(*ExpandBytes("cas {cas} {cas+2} {cas-1}", context), "cas 100 102 99");
  EXPECT_EQ(*ExpandBytes("{now+10} {now-5} {now}", context), "1700000010 1699999995 1700000000");
  EXPECT_EQ(*ExpandBytes("{ab*3}.", context), "ababab.");
  EXPECT_EQ(ExpandBytes("{x*100}", context)->size(), 100u);
}

TEST(ExpandBytesTest, RejectsMistakesWithReasons) {
  ExpandContext context;
  EXPECT_FALSE(ExpandBytes(R"(\q)", context).ok());
  EXPECT_FALSE(ExpandBytes(R"(\x4)", context).ok());
  EXPECT_FALSE(ExpandBytes(R"(trailing\)", context).ok());
  EXPECT_FALSE(ExpandBytes("{unclosed", context).ok());
  EXPECT_FALSE(ExpandBytes("stray}", context).ok());
  EXPECT_FALSE(ExpandBytes("{foo+1}", context).ok());
  EXPECT_FALSE(ExpandBytes("{cas+x}", context).ok());
  // A repeat that would need gigabytes is refused, not attempted.
  EXPECT_FALSE(ExpandBytes("{x*99999999999}", context).ok());
}

TEST(EncodeBinaryRequestTest, SetWithExtrasInOrder) {
  std::string packet = *EncodeBinaryRequest("set key=ab value=xyz flags=5 exptime=-1 opaque=0x01020304 cas=7",
                                            ExpandContext{});
  EXPECT_EQ(absl::BytesToHexString(packet),
            "8001"       // magic, opcode
            "0002" "08" "00" "0000"  // keylen, extlen, datatype, vbucket
            "0000000d"   // bodylen 8 + 2 + 3
            "01020304"   // opaque
            "0000000000000007"
            "00000005" "ffffffff"
            "6162" "78797a");
}

TEST(EncodeBinaryRequestTest, OverridesAndTruncation) {
  std::string packet =
      *EncodeBinaryRequest("0x00 key=a keylen=300 bodylen=1 magic=0x81 truncate=10", ExpandContext{});
  EXPECT_EQ(absl::BytesToHexString(packet), "8100012c000000000000");
  std::string whole = *EncodeBinaryRequest("get key=ab", ExpandContext{});
  EXPECT_EQ(*EncodeBinaryRequest("get key=ab truncate=10", ExpandContext{}) +
                *EncodeBinaryRequest("get key=ab skip=10", ExpandContext{}),
            whole);
  EXPECT_EQ(EncodeBinaryRequest("get cas={cas+2}", ExpandContext{40, 0})->substr(16),
            std::string("\0\0\0\0\0\0\0\x2a", 8));
}

TEST(EncodeBinaryRequestTest, RejectsUnknownOpcodeAndFields) {
  EXPECT_FALSE(EncodeBinaryRequest("fetch key=a", ExpandContext{}).ok());
  EXPECT_FALSE(EncodeBinaryRequest("get colour=red", ExpandContext{}).ok());
  EXPECT_FALSE(EncodeBinaryRequest("get flags=abc", ExpandContext{}).ok());
  EXPECT_FALSE(EncodeBinaryRequest("get extras=abc", ExpandContext{}).ok());
  EXPECT_FALSE(EncodeBinaryRequest("get key", ExpandContext{}).ok());
}

TEST(SentinelTest, TextSentinelOnlyAtLineStart) {
  const std::string end(kTextSentinelReply);
  EXPECT_TRUE(EndsWithSentinelReply(end, false));
  EXPECT_TRUE(EndsWithSentinelReply("STORED\r\n" + end, false));
  EXPECT_FALSE(EndsWithSentinelReply("STORED\r\nX" + end, false));
  EXPECT_FALSE(EndsWithSentinelReply("STORED\r\nMN\r\n", false));
  EXPECT_TRUE(EndsWithSentinelReply("abc" + BinarySentinelReply(), true));
  EXPECT_FALSE(EndsWithSentinelReply(BinarySentinel(), true));
}

}  // namespace
}  // namespace conformance
}  // namespace memkit
