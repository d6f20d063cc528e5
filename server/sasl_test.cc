// -S: SASL PLAIN in the binary protocol, with a raw binary client. The
// replies are memcached 1.6.18's (proto_bin.c): list mechs answers the
// mechanisms, a good PLAIN auth "Authenticated", a bad one status 0x20
// "Auth failure." (the connection stays), and any other opcode but version
// before the login 0x20 and a close. In-process, against memkit alone;
// //tests/security:sasl_test runs the same replies and pylibmc's login
// against real memcached too.

#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "server/server_test_util.h"

namespace memkit {
namespace server {
namespace {

using testing::StatValue;
using testing::TestConnection;

std::string Packet(uint8_t opcode, absl::string_view key, absl::string_view value,
                   absl::string_view extras = "") {
  std::string p(24, '\0');
  p[0] = '\x80';
  p[1] = static_cast<char>(opcode);
  p[2] = static_cast<char>(key.size() >> 8);
  p[3] = static_cast<char>(key.size() & 0xff);
  p[4] = static_cast<char>(extras.size());
  const uint32_t body = static_cast<uint32_t>(extras.size() + key.size() + value.size());
  for (int i = 0; i < 4; ++i) p[8 + i] = static_cast<char>(body >> (24 - 8 * i));
  p[15] = 7;  // opaque
  return absl::StrCat(p, extras, key, value);
}

struct Response {
  uint8_t opcode = 0;
  uint16_t status = 0;
  std::string body;
};

Response Read(TestConnection* conn) {
  Response r;
  auto head = conn->ReadExactly(24);
  if (!head.ok()) {
    r.status = 0xffff;
    return r;
  }
  const auto byte = [&](int i) { return static_cast<uint8_t>((*head)[i]); };
  r.opcode = byte(1);
  r.status = static_cast<uint16_t>(byte(6) << 8 | byte(7));
  const uint32_t body = static_cast<uint32_t>(byte(8)) << 24 | byte(9) << 16 | byte(10) << 8 |
                        byte(11);
  auto rest = conn->ReadExactly(body);
  if (rest.ok()) r.body = *rest;
  return r;
}

class SaslTest : public ::testing::Test {
 protected:
  void SetUp() override {
    users_ = std::string(getenv("TEST_TMPDIR")) + "/sasl_users";
    std::ofstream(users_) << "alice:secret\n";
    ServerOptions options = testing::TestServerOptions();
    options.protocol = BindingProtocol::kBinary;
    options.security.sasl = true;
    options.security.sasl_pwdb = users_;
    server_ = testing::StartServer(options);
    ASSERT_NE(server_, nullptr);
  }

  std::unique_ptr<TestConnection> Connect() {
    auto conn = TestConnection::Connect(server_->address());
    EXPECT_TRUE(conn.ok()) << conn.status();
    return conn.ok() ? std::move(*conn) : nullptr;
  }

  std::string users_;
  std::unique_ptr<Server> server_;
};

constexpr uint8_t kGet = 0x00, kSet = 0x01, kNoop = 0x0a, kVersion = 0x0b, kStat = 0x10,
                  kListMechs = 0x20, kAuth = 0x21, kStep = 0x22;

TEST_F(SaslTest, ListsPlain) {
  auto conn = Connect();
  ASSERT_NE(conn, nullptr);
  ASSERT_TRUE(conn->Send(Packet(kListMechs, "", "")).ok());
  const Response r = Read(conn.get());
  EXPECT_EQ(r.opcode, kListMechs);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.body, "PLAIN");
}

TEST_F(SaslTest, UnauthenticatedCommandsGetAuthErrorAndClose) {
  for (uint8_t opcode : {kGet, kNoop}) {
    auto conn = Connect();
    ASSERT_NE(conn, nullptr);
    ASSERT_TRUE(conn->Send(Packet(opcode, opcode == kGet ? "k" : "", "")).ok());
    const Response r = Read(conn.get());
    EXPECT_EQ(r.status, 0x20);
    EXPECT_EQ(r.body, "Auth failure.");
    EXPECT_TRUE(conn->WaitForClose());
  }
  // Nothing ran: the set below was refused.
  auto conn = Connect();
  ASSERT_NE(conn, nullptr);
  ASSERT_TRUE(conn->Send(Packet(kSet, "k", "v", std::string(8, '\0'))).ok());
  EXPECT_EQ(Read(conn.get()).status, 0x20);
  EXPECT_FALSE(server_->cache()->Get("k").hit());
  // version is allowed.
  conn = Connect();
  ASSERT_NE(conn, nullptr);
  ASSERT_TRUE(conn->Send(Packet(kVersion, "", "")).ok());
  const Response v = Read(conn.get());
  EXPECT_EQ(v.status, 0);
  EXPECT_EQ(v.body, "1.6.18");
}

TEST_F(SaslTest, PlainLoginThenCommandsRun) {
  auto conn = Connect();
  ASSERT_NE(conn, nullptr);
  ASSERT_TRUE(conn->Send(Packet(kAuth, "PLAIN", std::string("\0alice\0wrong", 12))).ok());
  Response r = Read(conn.get());
  EXPECT_EQ(r.status, 0x20);
  EXPECT_EQ(r.body, "Auth failure.");
  ASSERT_TRUE(conn->Send(Packet(kAuth, "CRAM-MD5", "x")).ok());
  EXPECT_EQ(Read(conn.get()).status, 0x20);
  ASSERT_TRUE(conn->Send(Packet(kStep, "PLAIN", "x")).ok());
  EXPECT_EQ(Read(conn.get()).status, 0x20);
  // Still connected: a failed login does not close.
  ASSERT_TRUE(conn->Send(Packet(kAuth, "PLAIN", std::string("\0alice\0secret", 13))).ok());
  r = Read(conn.get());
  EXPECT_EQ(r.opcode, kAuth);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.body, "Authenticated");
  ASSERT_TRUE(conn->Send(Packet(kSet, "k", "v", std::string(8, '\0'))).ok());
  EXPECT_EQ(Read(conn.get()).status, 0);
  ASSERT_TRUE(conn->Send(Packet(kGet, "k", "")).ok());
  r = Read(conn.get());
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.body.substr(4), "v");
  // auth_cmds counts every attempt, auth_errors the failed ones.
  ASSERT_TRUE(conn->Send(Packet(kStat, "", "")).ok());
  std::string stats;
  for (;;) {
    const Response s = Read(conn.get());
    if (s.status != 0 || s.body.empty()) break;
    stats += s.body;
  }
  // Binary stats bodies are key+value without separators; look for them.
  EXPECT_NE(stats.find("auth_cmds4"), std::string::npos) << stats;
  EXPECT_NE(stats.find("auth_errors3"), std::string::npos);
}

TEST_F(SaslTest, TextIsRefusedAndAMissingUserFileFailsToStart) {
  auto conn = Connect();
  ASSERT_NE(conn, nullptr);
  // -S implies the binary protocol: a text line (once a header's 24 bytes
  // are in) is bad magic, closed.
  ASSERT_TRUE(conn->Send("stats settings please, now\r\n").ok());
  EXPECT_TRUE(conn->WaitForClose());
  EXPECT_FALSE(Server::Create([&] {
                 ServerOptions o = testing::TestServerOptions();
                 o.security.sasl = true;
                 o.security.sasl_pwdb = users_ + ".missing";
                 return o;
               }())
                   .ok());
}

}  // namespace
}  // namespace server
}  // namespace memkit
