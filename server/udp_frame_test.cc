#include "server/udp_frame.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace memkit {
namespace server {
namespace {

std::string Header(uint16_t id, uint16_t seq, uint16_t total) {
  std::string h;
  for (uint16_t v : {id, seq, total, uint16_t{0}}) {
    h.push_back(static_cast<char>(v >> 8));
    h.push_back(static_cast<char>(v & 0xff));
  }
  return h;
}

TEST(UdpFrameTest, ParsesOneDatagramRequests) {
  const std::string d = Header(0x1234, 0, 1) + "get a\r\n";
  auto r = ParseUdpRequest(d);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->request_id, 0x1234);
  EXPECT_EQ(r->payload, "get a\r\n");
  // memcached ignores only the total: the sequence number may be anything.
  EXPECT_TRUE(ParseUdpRequest(Header(1, 5, 1) + "x").has_value());
}

TEST(UdpFrameTest, DropsWhatMemcachedDrops) {
  EXPECT_FALSE(ParseUdpRequest("").has_value());
  EXPECT_FALSE(ParseUdpRequest(Header(1, 0, 1)).has_value());  // header only
  EXPECT_FALSE(ParseUdpRequest(Header(1, 0, 2) + "get a\r\n").has_value());
  EXPECT_FALSE(ParseUdpRequest(Header(1, 0, 0) + "get a\r\n").has_value());
}

TEST(UdpFrameTest, SplitsRepliesAsMemcachedsResponses) {
  const std::string replies =
      "STORED\r\n"
      "VALUE a 0 3\r\nabc\r\n"
      "VALUE b 0 1 7\r\nb\r\nEND\r\n"
      "END\r\n"
      "STAT pid 1\r\nSTAT uptime 2\r\nEND\r\n"
      "VA 2 t\r\nhi\r\n"
      "EN\r\n";
  const std::vector<absl::string_view> want = {
      "STORED\r\n", "VALUE a 0 3\r\nabc\r\n", "VALUE b 0 1 7\r\nb\r\nEND\r\n", "END\r\n",
      "STAT pid 1\r\nSTAT uptime 2\r\nEND\r\n", "VA 2 t\r\nhi\r\n", "EN\r\n"};
  EXPECT_EQ(SplitUdpResponses(replies), want);
  // A value holding "\r\nEND\r\n" is data, not the end.
  const std::string tricky = "VALUE k 0 6\r\nEND\r\nx\r\nEND\r\n";
  EXPECT_EQ(SplitUdpResponses(tricky), std::vector<absl::string_view>{tricky});
}

TEST(UdpFrameTest, CutsAGetAsMemcachedByWhichKeysHit) {
  // The request: three gets, with a set whose data looks like a get.
  const std::string request =
      "get a b c\r\nset x 0 0 9\r\nget q r\r\n\r\nget a c a b\r\ngets b\r\n";
  const std::string replies =
      "VALUE c 0 1\r\n3\r\nEND\r\n"                          // a, b missed
      "STORED\r\n"
      "VALUE a 0 1\r\n1\r\nVALUE a 0 1\r\n1\r\nEND\r\n"  // c, b missed
      "END\r\n";                                               // gets b missed
  const std::vector<absl::string_view> want = {
      "",  "VALUE c 0 1\r\n3\r\nEND\r\n", "STORED\r\n", "VALUE a 0 1\r\n1\r\n",
      "VALUE a 0 1\r\n1\r\n", "END\r\n", "END\r\n"};
  EXPECT_EQ(SplitUdpResponses(replies, request), want);
  // Without the request every END joins the value before it.
  EXPECT_EQ(SplitUdpResponses(replies),
            (std::vector<absl::string_view>{"VALUE c 0 1\r\n3\r\nEND\r\n", "STORED\r\n",
                                            "VALUE a 0 1\r\n1\r\n",
                                            "VALUE a 0 1\r\n1\r\nEND\r\n", "END\r\n"}));
  // Replies that are not the get's (an error for it) are cut as usual.
  EXPECT_EQ(SplitUdpResponses("SERVER_ERROR out of memory\r\n", "get a b\r\n"),
            std::vector<absl::string_view>{"SERVER_ERROR out of memory\r\n"});
}

TEST(UdpFrameTest, SplitsBinaryPackets) {
  std::string p1(24, '\0');
  p1[0] = static_cast<char>(0x81);
  p1[11] = 2;
  p1 += "ab";
  std::string p2(24, '\0');
  p2[0] = static_cast<char>(0x81);
  const std::string both = p1 + p2;
  EXPECT_EQ(SplitUdpResponses(both), (std::vector<absl::string_view>{p1, p2}));
}

TEST(UdpFrameTest, FramesIntoMemcachedsDatagrams) {
  // memcached's 3000-byte value: 1400 + 1400 + 247 bytes on the wire.
  const std::string response = "VALUE a 0 3000\r\n" + std::string(3000, 'x') + "\r\nEND\r\n";
  const std::vector<std::string> d = FrameUdpResponse(7, response);
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[0].size(), 1400u);
  EXPECT_EQ(d[1].size(), 1400u);
  EXPECT_EQ(d[2].size(), 247u);
  EXPECT_EQ(d[0].substr(0, 8), Header(7, 0, 3));
  EXPECT_EQ(d[2].substr(0, 8), Header(7, 2, 3));
  EXPECT_EQ(d[0].substr(8) + d[1].substr(8) + d[2].substr(8), response);
  // An empty response ("quit") is a bare header with total 0.
  EXPECT_EQ(FrameUdpResponse(9, ""), std::vector<std::string>{Header(9, 0, 0)});
}

}  // namespace
}  // namespace server
}  // namespace memkit
