#include "tests/conformance/transcript.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/conformance/request.h"

namespace memkit {
namespace conformance {
namespace {

using ::testing::ElementsAre;

TEST(RenderTextReplyTest, LinesDataBlocksAndRelativeCas) {
  std::string reply =
      "STORED\r\nVALUE k 5 6 1003\r\nab\r\ncd\r\nEND\r\nVA 2 c1004 f5\r\nxy\r\nHD c999\r\n"
      "ME k exp=-1 la=0 cas=1001 fetch=no\r\nbare\npartial";
  EXPECT_THAT(RenderTextReply(reply, 1000),
              ElementsAre("STORED", "VALUE k 5 6 {cas+3}", "  ab\\r\\ncd", "END",
                          "VA 2 c{cas+4} f5", "  xy", "HD c{cas-1}",
                          "ME k exp=-1 la=0 cas={cas+1} fetch=no", "bare\\n",
                          "partial\\<unterminated>"));
}

TEST(RenderTextReplyTest, TruncatedAndBadlyTerminatedData) {
  EXPECT_THAT(RenderTextReply("VALUE k 0 5\r\nabc", 0),
              ElementsAre("VALUE k 0 5", "  abc\\<truncated>"));
  EXPECT_THAT(RenderTextReply("VALUE k 0 1\r\nabcEND\r\n", 0),
              ElementsAre("VALUE k 0 1", "  abc\\<no-crlf>", "END"));
}

TEST(RenderTextReplyTest, DifferentBytesRenderDifferently) {
  EXPECT_NE(RenderTextReply("OK\r\n", 0), RenderTextReply("OK\n", 0));
  EXPECT_NE(RenderTextReply("OK\r\n", 0), RenderTextReply("OK\r\n\r\n", 0));
  EXPECT_NE(RenderTextReply("A\\x41\r\n", 0), RenderTextReply("AA\r\n", 0));
  std::string big_a(5000, 'a'), big_b(5000, 'a');
  big_b[4000] = 'b';
  EXPECT_NE(RenderTextReply("VALUE k 0 5000\r\n" + big_a + "\r\n", 0),
            RenderTextReply("VALUE k 0 5000\r\n" + big_b + "\r\n", 0));
}

TEST(RenderBinaryReplyTest, PacketsAndMalformedTails) {
  std::string get_reply =
      std::string("\x81\x00\x00\x01\x04\x00\x00\x00\x00\x00\x00\x08\x00\x00\x00\x09", 16) +
      std::string("\x00\x00\x00\x00\x00\x00\x00\x0c", 8) + std::string("\x00\x00\x00\x05", 4) +
      "kval";
  EXPECT_THAT(RenderBinaryReply(get_reply + BinarySentinelReply(), 10),
              ElementsAre("RES op=get status=0x0000 opaque=0x00000009 cas={cas+2} "
                          "extras=00000005 key=\"k\" value=\"val\"",
                          "RES op=noop status=0x0000 opaque=0x4d4b534e cas=0 value=\"\""));
  EXPECT_THAT(RenderBinaryReply(get_reply.substr(0, 30), 10),
              ElementsAre(::testing::HasSubstr("truncated body: 6 of 8 bytes")));
  EXPECT_THAT(RenderBinaryReply("ERROR\r\n", 0), ElementsAre("NOT-A-RESPONSE ERROR\\r\\n"));
}

TEST(ApplySubstitutionsTest, RewritesEveryLine) {
  std::vector<std::string> lines = {"VERSION 1.6.18", "STAT pid 12", "STAT uptime 3"};
  ApplySubstitutions({{R"re(^STAT (\S+) .*$)re", R"re(STAT \1 *)re"}}, &lines);
  EXPECT_THAT(lines, ElementsAre("VERSION 1.6.18", "STAT pid *", "STAT uptime *"));
}

TEST(DiffLinesTest, MarksOnlyTheDifferences) {
  EXPECT_EQ(DiffLines({"a", "b", "c"}, {"a", "x", "c"}, ""), "  a\n- b\n+ x\n  c\n");
  EXPECT_EQ(DiffLines({"a"}, {"a", "b"}, ""), "  a\n+ b\n");
}

}  // namespace
}  // namespace conformance
}  // namespace memkit
