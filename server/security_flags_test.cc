// -Y, -S, -Z and the ssl_* suboptions, and memcached's protocol rules for
// -Y and -S.

#include "server/security_flags.h"

#include "gtest/gtest.h"
#include "server/flags.h"

namespace memkit {
namespace server {
namespace {

absl::StatusOr<ServerFlags> Parse(std::vector<std::string> args) {
  return ParseServerFlags(args);
}

TEST(SecurityFlagsTest, AuthFileMeansAscii) {
  auto f = Parse({"-Y", "/etc/users"});
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->options.security.auth_file, "/etc/users");
  EXPECT_EQ(f->options.protocol, BindingProtocol::kAscii);
  EXPECT_TRUE(Parse({"--auth-file=/x", "-B", "ascii"}).ok());
  for (const char* protocol : {"binary", "auto"}) {
    auto bad = Parse({"-Y", "/x", "-B", protocol});
    ASSERT_FALSE(bad.ok()) << protocol;
    EXPECT_EQ(bad.status().message(),
              "You cannot allow the BINARY protocol while using ascii authentication tokens.");
  }
}

TEST(SecurityFlagsTest, SaslMeansBinary) {
  auto f = Parse({"-S"});
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_TRUE(f->options.security.sasl);
  EXPECT_EQ(f->options.protocol, BindingProtocol::kBinary);
  EXPECT_TRUE(Parse({"--enable-sasl", "-B", "binary"}).ok());
  auto bad = Parse({"-S", "-B", "ascii"});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "You cannot allow the ASCII protocol while using SASL.");
}

TEST(SecurityFlagsTest, TlsSuboptions) {
  auto f = Parse({"-Z", "-o",
                  "ssl_chain_cert=/c.pem,ssl_key=/k.pem,ssl_ca_cert=/ca.pem,ssl_verify_mode=2,"
                  "ssl_min_version=3,ssl_ciphers=HIGH,ssl_session_cache,ssl_kernel_tls,"
                  "ssl_wbuf_size=32,ssl_keyformat=1"});
  ASSERT_TRUE(f.ok()) << f.status();
  const SecurityOptions& s = f->options.security;
  EXPECT_TRUE(s.tls);
  EXPECT_EQ(s.ssl_chain_cert, "/c.pem");
  EXPECT_EQ(s.ssl_key, "/k.pem");
  EXPECT_EQ(s.ssl_ca_cert, "/ca.pem");
  EXPECT_EQ(s.ssl_verify_mode, 2);
  EXPECT_EQ(s.ssl_min_version, 3);
  EXPECT_EQ(s.ssl_ciphers, "HIGH");
  EXPECT_TRUE(s.ssl_session_cache);
  EXPECT_TRUE(s.ssl_kernel_tls);
  EXPECT_EQ(s.ssl_wbuf_size_kb, 32);
  for (const char* bad : {"ssl_verify_mode=4", "ssl_min_version=x", "ssl_keyformat=2",
                          "ssl_chain_cert", "ssl_bogus=1"}) {
    EXPECT_FALSE(Parse({"-o", bad}).ok()) << bad;
  }
}

}  // namespace
}  // namespace server
}  // namespace memkit
