#include "core/net/address.h"

#include <string>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace memkit {
namespace net {
namespace {

TEST(AddressTest, ParsesIPv4) {
  auto a = Address::Parse("127.0.0.1:11211");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->family(), Address::Family::kIPv4);
  EXPECT_EQ(a->port(), 11211);
  EXPECT_EQ(a->host(), "127.0.0.1");
  EXPECT_EQ(a->ToString(), "127.0.0.1:11211");
  EXPECT_EQ(a->sa_family(), AF_INET);
  EXPECT_EQ(*a, Address::IPv4Loopback(11211));
}

TEST(AddressTest, ParsesIPv6InBrackets) {
  auto a = Address::Parse("[::1]:80");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->family(), Address::Family::kIPv6);
  EXPECT_EQ(a->port(), 80);
  EXPECT_EQ(a->host(), "::1");
  EXPECT_EQ(a->ToString(), "[::1]:80");
  EXPECT_EQ(*a, Address::IPv6Loopback(80));

  auto full = Address::Parse("[2001:db8::42]:65535");
  ASSERT_TRUE(full.ok()) << full.status();
  EXPECT_EQ(full->ToString(), "[2001:db8::42]:65535");
}

TEST(AddressTest, ParsesUnixPaths) {
  auto a = Address::Parse("/tmp/mc.sock");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_TRUE(a->is_unix());
  EXPECT_EQ(a->host(), "/tmp/mc.sock");
  EXPECT_EQ(a->port(), 0);
  EXPECT_EQ(a->ToString(), "/tmp/mc.sock");

  auto b = Address::Parse("unix:/tmp/mc.sock");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(*a, *b);

  auto rel = Address::Parse("unix:rel.sock");
  ASSERT_TRUE(rel.ok()) << rel.status();
  EXPECT_EQ(rel->host(), "rel.sock");
  EXPECT_EQ(rel->ToString(), "unix:rel.sock");  // re-parses as the same path
}

TEST(AddressTest, ToStringRoundTrips) {
  for (const char* text :
       {"10.1.2.3:0", "0.0.0.0:11211", "[::]:1", "[fe80::1:2]:9", "/var/run/x", "unix:y"}) {
    auto a = Address::Parse(text);
    ASSERT_TRUE(a.ok()) << text << ": " << a.status();
    auto again = Address::Parse(a->ToString());
    ASSERT_TRUE(again.ok()) << a->ToString();
    EXPECT_EQ(*a, *again) << text;
    EXPECT_EQ(a->ToString(), text);
  }
}

TEST(AddressTest, CompactIpAddressKeepsIpPortAndScope) {
  for (const char* text : {"127.0.0.1:11211", "10.1.2.3:0", "[::1]:5555", "[fe80::1%lo]:80"}) {
    auto address = Address::Parse(text);
    ASSERT_TRUE(address.ok()) << text;
    CompactIpAddress compact(*address);
    EXPECT_TRUE(compact.valid());
    EXPECT_EQ(compact.ToAddress(), *address) << text;
    EXPECT_EQ(compact.ToAddress().ToString(), address->ToString());
  }
  auto unix_address = Address::Parse("/tmp/x.sock");
  ASSERT_TRUE(unix_address.ok());
  EXPECT_FALSE(CompactIpAddress(*unix_address).valid());
  EXPECT_FALSE(CompactIpAddress().ToAddress().valid());
  EXPECT_LE(sizeof(CompactIpAddress), 24u);
}

TEST(AddressTest, DefaultPort) {
  auto a = Address::Parse("127.0.0.1", 11211);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->port(), 11211);
  auto b = Address::Parse("127.0.0.1:5", 11211);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->port(), 5);
  auto bare6 = Address::Parse("::1", 11211);  // no brackets and no port
  ASSERT_TRUE(bare6.ok()) << bare6.status();
  EXPECT_EQ(*bare6, Address::IPv6Loopback(11211));
}

TEST(AddressTest, RejectsMalformedWithInvalidArgument) {
  for (const char* text : {"",                 // empty
                           "127.0.0.1",        // no port
                           "127.0.0.1:",       // empty port
                           "127.0.0.1:65536",  // out of range
                           "127.0.0.1:123456",
                           "127.0.0.1:-1", "127.0.0.1:8o", "127.0.0.1: 80",
                           ":11211",          // empty host
                           "[::1:80",         // missing bracket
                           "[::1]x80",        // junk after bracket
                           "[127.0.0.1]:80",  // brackets on IPv4
                           "[]:80",
                           "1.2.3:80",        // not strict dotted quad
                           "256.1.1.1:80",
                           "localhost:11211",  // a name: Parse never resolves
                           "unix:",            // empty path
                           "a b:80"}) {
    auto a = Address::Parse(text);
    EXPECT_FALSE(a.ok()) << "accepted \"" << text << "\" as " << a->ToString();
    if (!a.ok()) {
      EXPECT_EQ(a.status().code(), absl::StatusCode::kInvalidArgument) << text;
    }
  }
}

TEST(AddressTest, RejectsOverlongUnixPath) {
  std::string path = "/" + std::string(107, 'p');
  auto a = Address::Parse(path);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(a.status().message().find("longer than"), absl::string_view::npos);
  EXPECT_TRUE(Address::Parse("/" + std::string(106, 'p')).ok());
}

TEST(AddressTest, ErrorMessageNamesTheText) {
  auto a = Address::Parse("10.0.0.1:99999");
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("10.0.0.1:99999"), absl::string_view::npos)
      << a.status();
}

TEST(AddressTest, WithPortAndUnspecified) {
  Address a = Address::IPv4Loopback(1).WithPort(2);
  EXPECT_EQ(a.port(), 2);
  Address none;
  EXPECT_FALSE(none.valid());
  EXPECT_EQ(none.ToString(), "<unspecified>");
  EXPECT_NE(none, a);
  EXPECT_EQ(Address::IPv4Any(7).ToString(), "0.0.0.0:7");
}

TEST(SplitHostPortTest, Splits) {
  auto hp = SplitHostPort("cache-1.example:11211");
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->host, "cache-1.example");
  EXPECT_EQ(hp->port, 11211);
  hp = SplitHostPort("[::1]");
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->host, "::1");
  EXPECT_EQ(hp->port, -1);
  hp = SplitHostPort("host");
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->port, -1);
  EXPECT_FALSE(SplitHostPort("/tmp/x").ok());
}

TEST(ResolveTest, NumericAndUnixNeedNoLookup) {
  auto v = Resolve("127.0.0.1:5");
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_EQ(v->size(), 1u);
  EXPECT_EQ((*v)[0], Address::IPv4Loopback(5));
  auto u = Resolve("unix:/tmp/s");
  ASSERT_TRUE(u.ok());
  EXPECT_TRUE((*u)[0].is_unix());
}

TEST(ResolveTest, ResolvesLocalhostFromHostsFile) {
  ResolveOptions options;
  options.family = Address::Family::kIPv4;
  auto v = Resolve("localhost:11211", options);
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_FALSE(v->empty());
  for (const Address& a : *v) {
    EXPECT_EQ(a.family(), Address::Family::kIPv4);
    EXPECT_EQ(a.port(), 11211);
  }
  EXPECT_EQ(v->front(), Address::IPv4Loopback(11211));
}

TEST(ResolveTest, DefaultPortAndMissingPort) {
  ResolveOptions options;
  options.default_port = 11211;
  options.family = Address::Family::kIPv4;
  auto a = ResolveOne("localhost", options);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->port(), 11211);
  auto missing = Resolve("localhost");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ResolveTest, FamilyFilterRejectsOtherNumericFamily) {
  ResolveOptions options;
  options.family = Address::Family::kIPv6;
  auto a = Resolve("127.0.0.1:1", options);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace net
}  // namespace memkit
