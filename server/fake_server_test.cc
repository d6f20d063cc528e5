// Black-box tests of every FakeServer control, over real sockets, the way a
// test using the fake sees them.

#include "server/fake_server.h"

#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "server/server_test_util.h"

namespace memkit {
namespace server {
namespace {

using testing::TestConnection;

std::unique_ptr<FakeServer> MakeFake(const FakeServerOptions& options = FakeServerOptions()) {
  auto fake = FakeServer::Create(options);
  EXPECT_TRUE(fake.ok()) << fake.status();
  return fake.ok() ? std::move(*fake) : nullptr;
}

std::unique_ptr<TestConnection> Connect(const FakeServer& fake) {
  auto c = TestConnection::Connect(fake.address());
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? std::move(*c) : nullptr;
}

TEST(FakeServerTest, StartsOnAnOsChosenPort) {
  auto a = MakeFake();
  auto b = MakeFake();
  ASSERT_TRUE(a && b);
  EXPECT_GT(a->port(), 0);
  EXPECT_NE(a->port(), b->port());
  EXPECT_EQ(a->address_string(), absl::StrCat("127.0.0.1:", a->port()));
  EXPECT_EQ(a->unix_socket_path(), "");
  auto c = Connect(*a);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->Call("set k 0 0 1\r\nv\r\nget k\r\n", "END\r\n"),
            "STORED\r\nVALUE k 0 1\r\nv\r\nEND\r\n");
}

TEST(FakeServerTest, UnixSocket) {
  FakeServerOptions o;
  o.unix_socket = true;
  auto fake = MakeFake(o);
  ASSERT_NE(fake, nullptr);
  EXPECT_EQ(fake->port(), 0);
  EXPECT_FALSE(fake->unix_socket_path().empty());
  EXPECT_EQ(fake->address_string(), fake->unix_socket_path());
  auto c = Connect(*fake);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->Call("version\r\n"), "VERSION 1.6.18\r\n");
}

TEST(FakeServerTest, AdvanceClockExpiresItems) {
  FakeServerOptions o;
  o.freeze_clock = true;
  auto fake = MakeFake(o);
  ASSERT_NE(fake, nullptr);
  const absl::Time t0 = fake->Now();
  EXPECT_EQ(t0, o.start_time);
  auto c = Connect(*fake);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->Call("set k 0 60 1\r\nv\r\n"), "STORED\r\n");
  fake->AdvanceClock(absl::Seconds(59));
  EXPECT_EQ(c->Call("get k\r\n", "END\r\n"), "VALUE k 0 1\r\nv\r\nEND\r\n");
  fake->AdvanceClock(absl::Seconds(2));
  EXPECT_EQ(c->Call("get k\r\n", "END\r\n"), "END\r\n");
  EXPECT_EQ(fake->Now(), t0 + absl::Seconds(61));
  // The stats clock moved too.
  EXPECT_EQ(testing::StatValue(c->Call("stats\r\n", "END\r\n"), "time"),
            std::to_string(absl::ToUnixSeconds(t0) + 61));
}

TEST(FakeServerTest, AdvanceClockOnRealTime) {
  auto fake = MakeFake();
  ASSERT_NE(fake, nullptr);
  auto c = Connect(*fake);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->Call("set k 0 100 1\r\nv\r\n"), "STORED\r\n");
  fake->AdvanceClock(absl::Seconds(101));
  EXPECT_EQ(c->Call("get k\r\n", "END\r\n"), "END\r\n");
  EXPECT_GE(fake->Now(), absl::Now() + absl::Seconds(100));
}

TEST(FakeServerTest, DebugtimeCommand) {
  FakeServerOptions o;
  o.freeze_clock = true;
  auto off = MakeFake(o);
  ASSERT_NE(off, nullptr);
  auto c_off = Connect(*off);
  ASSERT_NE(c_off, nullptr);
  EXPECT_EQ(c_off->Call("debugtime 10\r\n"), "ERROR\r\n");

  o.enable_debugtime = true;
  auto on = MakeFake(o);
  ASSERT_NE(on, nullptr);
  auto c = Connect(*on);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->Call("set k 0 10 1\r\nv\r\n"), "STORED\r\n");
  EXPECT_EQ(c->Call("debugtime 11\r\n"), "OK\r\n");
  EXPECT_EQ(c->Call("get k\r\n", "END\r\n"), "END\r\n");
  EXPECT_EQ(on->Now(), o.start_time + absl::Seconds(11));
}

TEST(FakeServerTest, OutageRefuse) {
  auto fake = MakeFake();
  ASSERT_NE(fake, nullptr);
  auto c = Connect(*fake);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->Call("set k 0 0 1\r\nv\r\n"), "STORED\r\n");
  ASSERT_TRUE(fake->StartOutage(FakeServer::Outage::kRefuse).ok());
  EXPECT_TRUE(c->WaitForClose());
  auto refused = TestConnection::Connect(fake->address(), absl::Seconds(2));
  EXPECT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable) << refused.status();
  ASSERT_TRUE(fake->EndOutage().ok());
  auto back = Connect(*fake);
  ASSERT_NE(back, nullptr);
  // Same address, same data.
  EXPECT_EQ(back->Call("get k\r\n", "END\r\n"), "VALUE k 0 1\r\nv\r\nEND\r\n");
}

TEST(FakeServerTest, OutageReset) {
  auto fake = MakeFake();
  ASSERT_NE(fake, nullptr);
  auto c = Connect(*fake);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->Call("version\r\n"), "VERSION 1.6.18\r\n");
  ASSERT_TRUE(fake->StartOutage(FakeServer::Outage::kReset).ok());
  bool reset = false;
  EXPECT_TRUE(c->WaitForClose(absl::Seconds(5), &reset));
  EXPECT_TRUE(reset);
  // New connections are accepted, then reset (the reset may already be
  // seen by the connect).
  auto d = TestConnection::Connect(fake->address());
  if (d.ok()) {
    // The reset may arrive before the send, which then reports it (and the
    // socket's error is consumed, so the read after it sees a plain EOF).
    absl::Status sent = (*d)->Send("version\r\n");
    reset = false;
    EXPECT_TRUE((*d)->WaitForClose(absl::Seconds(5), &reset));
    EXPECT_TRUE(reset || !sent.ok()) << sent;
  } else {
    EXPECT_EQ(d.status().code(), absl::StatusCode::kUnavailable) << d.status();
  }
  ASSERT_TRUE(fake->EndOutage().ok());
  auto e = Connect(*fake);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->Call("version\r\n"), "VERSION 1.6.18\r\n");
}

TEST(FakeServerTest, Latency) {
  auto fake = MakeFake();
  ASSERT_NE(fake, nullptr);
  auto c = Connect(*fake);
  ASSERT_NE(c, nullptr);
  fake->SetLatency(absl::Milliseconds(300));
  absl::Time start = absl::Now();
  EXPECT_EQ(c->Call("version\r\n"), "VERSION 1.6.18\r\n");
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(290));
  fake->SetLatency(absl::ZeroDuration());
  start = absl::Now();
  EXPECT_EQ(c->Call("version\r\n"), "VERSION 1.6.18\r\n");
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(250));
}

TEST(FakeServerTest, FailNextCommands) {
  auto fake = MakeFake();
  ASSERT_NE(fake, nullptr);
  auto c = Connect(*fake);
  ASSERT_NE(c, nullptr);
  fake->FailNextCommands(2, "out of memory storing object");
  EXPECT_EQ(c->Call("set k 0 0 1\r\nv\r\n"), "SERVER_ERROR out of memory storing object\r\n");
  EXPECT_EQ(c->Call("get a b c\r\n"), "SERVER_ERROR out of memory storing object\r\n");
  EXPECT_EQ(c->Call("set k 0 0 1\r\nv\r\n"), "STORED\r\n");
  // The failed set did not store.
  fake->FailNextCommands(1);
  EXPECT_EQ(c->Call("mg k v\r\n"), "SERVER_ERROR injected failure\r\n");
}

TEST(FakeServerTest, DropNextReplies) {
  auto fake = MakeFake();
  ASSERT_NE(fake, nullptr);
  auto c = Connect(*fake);
  ASSERT_NE(c, nullptr);
  fake->DropNextReplies(1);
  ASSERT_TRUE(c->Send("set k 0 0 1\r\nv\r\n").ok());
  EXPECT_EQ(c->ReadFor(absl::Milliseconds(200)), "");
  // The command ran; only its reply was lost.
  EXPECT_EQ(c->Call("get k\r\n", "END\r\n"), "VALUE k 0 1\r\nv\r\nEND\r\n");
}

TEST(FakeServerTest, CloseAllConnections) {
  auto fake = MakeFake();
  ASSERT_NE(fake, nullptr);
  auto a = Connect(*fake);
  auto b = Connect(*fake);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->Call("version\r\n"), "VERSION 1.6.18\r\n");
  EXPECT_EQ(b->Call("version\r\n"), "VERSION 1.6.18\r\n");
  EXPECT_EQ(fake->connection_count(), 2);
  fake->CloseAllConnections();
  bool reset = true;
  EXPECT_TRUE(a->WaitForClose(absl::Seconds(5), &reset));
  EXPECT_FALSE(reset);
  EXPECT_TRUE(b->WaitForClose());
  // Still listening.
  auto c = Connect(*fake);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->Call("version\r\n"), "VERSION 1.6.18\r\n");
  fake->CloseAllConnections(/*reset=*/true);
  EXPECT_TRUE(c->WaitForClose(absl::Seconds(5), &reset));
  EXPECT_TRUE(reset);
}

TEST(FakeServerTest, Flush) {
  auto fake = MakeFake();
  ASSERT_NE(fake, nullptr);
  auto c = Connect(*fake);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->Call("set k 0 0 1\r\nv\r\n"), "STORED\r\n");
  fake->Flush();
  EXPECT_EQ(c->Call("get k\r\n", "END\r\n"), "END\r\n");
}

TEST(FakeServerTest, DestroyClosesClients) {
  auto fake = MakeFake();
  ASSERT_NE(fake, nullptr);
  auto c = Connect(*fake);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->Call("version\r\n"), "VERSION 1.6.18\r\n");
  fake.reset();
  EXPECT_TRUE(c->WaitForClose());
}

}  // namespace
}  // namespace server
}  // namespace memkit
