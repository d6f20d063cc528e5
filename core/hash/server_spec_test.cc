#include "core/hash/server_spec.h"

#include <string>

#include "gtest/gtest.h"

namespace memkit {
namespace hash {
namespace {

ServerSpec Tcp(std::string host, uint16_t port, uint32_t weight = 1) {
  ServerSpec spec;
  spec.host = std::move(host);
  spec.port = port;
  spec.weight = weight;
  return spec;
}

ServerSpec Unix(std::string path, uint32_t weight = 1) {
  ServerSpec spec;
  spec.host = std::move(path);
  spec.port = 0;
  spec.weight = weight;
  spec.unix_socket = true;
  return spec;
}

ServerSpec MustParse(absl::string_view text) {
  absl::StatusOr<ServerSpec> spec = ParseServerSpec(text);
  EXPECT_TRUE(spec.ok()) << text << ": " << spec.status();
  return spec.ok() ? *spec : ServerSpec();
}

TEST(ServerSpecTest, ParsesHostForms) {
  EXPECT_EQ(MustParse("10.0.0.1"), Tcp("10.0.0.1", 11211));
  EXPECT_EQ(MustParse("10.0.0.3:11212"), Tcp("10.0.0.3", 11212));
  EXPECT_EQ(MustParse("cache-1.example.com:11211:3"), Tcp("cache-1.example.com", 11211, 3));
  EXPECT_EQ(MustParse("  my_host:1  "), Tcp("my_host", 1));
  EXPECT_EQ(MustParse("h:65535:4294967295"), Tcp("h", 65535, 4294967295u));
}

TEST(ServerSpecTest, ParsesIpv6InBrackets) {
  EXPECT_EQ(MustParse("[::1]"), Tcp("::1", 11211));
  EXPECT_EQ(MustParse("[::1]:22122"), Tcp("::1", 22122));
  EXPECT_EQ(MustParse("[fe80::1%eth0]:22122:3"), Tcp("fe80::1%eth0", 22122, 3));
  EXPECT_EQ(MustParse("[::ffff:10.0.0.1]:1"), Tcp("::ffff:10.0.0.1", 1));
}

TEST(ServerSpecTest, ParsesUnixSockets) {
  EXPECT_EQ(MustParse("/var/run/memcached.sock"), Unix("/var/run/memcached.sock"));
  EXPECT_EQ(MustParse("/tmp/mc.sock:5"), Unix("/tmp/mc.sock", 5));
  EXPECT_EQ(MustParse("unix:/tmp/mc.sock"), Unix("/tmp/mc.sock"));
  // Only a trailing ":digits" is a weight; other colons belong to the path.
  EXPECT_EQ(MustParse("/tmp/a:b.sock"), Unix("/tmp/a:b.sock"));
  EXPECT_EQ(MustParse("/tmp/a:1:2"), Unix("/tmp/a:1", 2));
  // Found by server_spec_fuzz: a host named "unix" is not a socket.
  EXPECT_EQ(MustParse("unix"), Tcp("unix", 11211));
  EXPECT_EQ(MustParse("unix:11211"), Tcp("unix", 11211));
}

void ExpectInvalid(absl::string_view text, absl::string_view fragment) {
  absl::StatusOr<ServerSpec> spec = ParseServerSpec(text);
  ASSERT_FALSE(spec.ok()) << "parsed: " << text;
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument) << text;
  EXPECT_NE(spec.status().message().find(std::string(fragment)), absl::string_view::npos)
      << text << " -> " << spec.status();
}

TEST(ServerSpecTest, RejectsBadInputClearly) {
  ExpectInvalid("", "empty server");
  ExpectInvalid("   ", "empty server");
  ExpectInvalid(":11211", "empty host");
  ExpectInvalid("host:", "port \"\"");
  ExpectInvalid("host:0", "1..65535");
  ExpectInvalid("host:65536", "1..65535");
  ExpectInvalid("host:12ab", "1..65535");
  ExpectInvalid("host:-1", "1..65535");
  ExpectInvalid("host:+5", "1..65535");
  ExpectInvalid("host:11211:0", "weight \"0\"");
  ExpectInvalid("host:11211:4294967296", "weight");
  ExpectInvalid("host:11211:", "weight");
  ExpectInvalid("host:11211:2:3", "too many ':'");
  ExpectInvalid("::1", "need brackets");
  ExpectInvalid("fe80::1", "need brackets");
  ExpectInvalid("2001:db8::1:11211", "need brackets");
  ExpectInvalid("[::1", "missing ']'");
  ExpectInvalid("[]:11211", "not an IPv6 address");
  ExpectInvalid("[nothex]:11211", "not an IPv6 address");
  ExpectInvalid("[::1]x", "unexpected");
  ExpectInvalid("bad host:11211", "may contain only");
  ExpectInvalid("h\xc3\xa9:11211", "may contain only");
  ExpectInvalid(std::string("a\0b", 3), "may contain only");
  ExpectInvalid("unix:relative.sock", "port");  // Host "unix", bad port.
  ExpectInvalid("/", "absolute");
  ExpectInvalid("/tmp/with space.sock", "space");
  ExpectInvalid("/tmp/x.sock:0", "weight");
  ExpectInvalid(std::string(1025, 'a'), "longer than 1024");
  ExpectInvalid("/" + std::string(1024, 'a'), "longer than 1024");
}

TEST(ServerSpecTest, AcceptsLongestHost) {
  EXPECT_EQ(MustParse(std::string(1024, 'a')).host.size(), 1024u);
}

TEST(ServerSpecTest, ToStringRoundTrips) {
  for (const char* text : {"10.0.0.1:11211", "h:1:7", "[::1]:22122", "[::1]:11211:2",
                           "/tmp/mc.sock", "/tmp/mc.sock:9"}) {
    const ServerSpec spec = MustParse(text);
    EXPECT_EQ(spec.ToString(), text);
    EXPECT_EQ(MustParse(spec.ToString()), spec);
  }
  EXPECT_EQ(MustParse("h").ToString(), "h:11211");
  // A path ending in ":digits" keeps an explicit weight so it parses back.
  EXPECT_EQ(MustParse("/tmp/a:1:1").ToString(), "/tmp/a:1:1");
  EXPECT_EQ(MustParse("/tmp/a:1:1"), Unix("/tmp/a:1"));
}

TEST(ServerSpecTest, ParsesLists) {
  absl::StatusOr<std::vector<ServerSpec>> list =
      ParseServerList("10.0.0.1, 10.0.0.2:11211,10.0.0.3:11212:2 , /tmp/mc.sock");
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 4u);
  EXPECT_EQ((*list)[0], Tcp("10.0.0.1", 11211));
  EXPECT_EQ((*list)[1], Tcp("10.0.0.2", 11211));
  EXPECT_EQ((*list)[2], Tcp("10.0.0.3", 11212, 2));
  EXPECT_EQ((*list)[3], Unix("/tmp/mc.sock"));
}

TEST(ServerSpecTest, RejectsBadLists) {
  EXPECT_FALSE(ParseServerList("").ok());
  EXPECT_FALSE(ParseServerList(" ").ok());
  EXPECT_FALSE(ParseServerList("a,,b").ok());
  EXPECT_FALSE(ParseServerList("a,").ok());
  absl::StatusOr<std::vector<ServerSpec>> bad = ParseServerList("a:1, b:x");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("b:x"), absl::string_view::npos) << bad.status();
}

}  // namespace
}  // namespace hash
}  // namespace memkit
