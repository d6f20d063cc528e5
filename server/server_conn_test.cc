// Connection management: the connection limit (-c), idle timeout, the
// "shutdown" command with and without -A, graceful Shutdown(), a unix socket
// listener, workers (-t), and the lifetime of values pinned in replies.

#include <unistd.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "server/server.h"
#include "server/server_test_util.h"
#include "tests/support/eventually.h"

namespace memkit {
namespace server {
namespace {

using test_support::Eventually;
using testing::StartServer;
using testing::TestConnection;
using testing::TestServerOptions;

TEST(ConnTest, ConnectionLimit) {
  ServerOptions o = TestServerOptions();
  o.max_connections = 2;
  auto server = StartServer(o);
  ASSERT_NE(server, nullptr);
  std::vector<std::unique_ptr<TestConnection>> conns;
  for (int i = 0; i < 2; ++i) {
    auto c = TestConnection::Connect(server->address());
    ASSERT_TRUE(c.ok());
    EXPECT_EQ((*c)->Call("version\r\n"), "VERSION 1.6.18\r\n");
    conns.push_back(std::move(*c));
  }
  auto extra = TestConnection::Connect(server->address());
  ASSERT_TRUE(extra.ok());
  EXPECT_EQ(*(*extra)->ReadUntil("\r\n"), "ERROR Too many open connections\r\n");
  EXPECT_TRUE((*extra)->WaitForClose());
  EXPECT_EQ(testing::StatValue(conns[0]->Call("stats\r\n", "END\r\n"), "rejected_connections"),
            "1");
  // A freed slot can be taken again.
  conns.pop_back();
  ASSERT_TRUE(Eventually([&] { return server->connection_count() == 1; }));
  auto again = TestConnection::Connect(server->address());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->Call("version\r\n"), "VERSION 1.6.18\r\n");
}

TEST(ConnTest, IdleTimeoutClosesQuietConnections) {
  ServerOptions o = TestServerOptions();
  o.idle_timeout = absl::Seconds(1);
  auto server = StartServer(o);
  ASSERT_NE(server, nullptr);
  auto idle = TestConnection::Connect(server->address());
  ASSERT_TRUE(idle.ok());
  EXPECT_EQ((*idle)->Call("version\r\n"), "VERSION 1.6.18\r\n");
  const absl::Time start = absl::Now();
  EXPECT_TRUE((*idle)->WaitForClose(absl::Seconds(5)));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(900));
}

TEST(ConnTest, ShutdownCommandWithA) {
  ServerOptions o = TestServerOptions();
  o.shutdown_command = true;
  auto server = StartServer(o);
  ASSERT_NE(server, nullptr);
  auto bystander = TestConnection::Connect(server->address());
  ASSERT_TRUE(bystander.ok());
  EXPECT_EQ((*bystander)->Call("version\r\n"), "VERSION 1.6.18\r\n");
  auto c = TestConnection::Connect(server->address());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)->Call("shutdown bogus\r\n"), "CLIENT_ERROR invalid shutdown mode\r\n");
  ASSERT_TRUE((*c)->Send("shutdown\r\n").ok());
  EXPECT_TRUE((*c)->WaitForClose());
  EXPECT_TRUE(server->WaitForShutdownRequest(absl::Seconds(5)));
  EXPECT_TRUE((*bystander)->WaitForClose());
  // The listener is closed: new connects are refused.
  EXPECT_TRUE(Eventually([&] { return !TestConnection::Connect(server->address()).ok(); }));
  server->Shutdown();
}

TEST(ConnTest, GracefulShutdownAnswersPendingRequests) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto c = TestConnection::Connect(server->address());
  ASSERT_TRUE(c.ok());
  const std::string value(900 * 1000, 'v');
  EXPECT_EQ((*c)->Call(absl::StrCat("set big 0 0 ", value.size(), "\r\n", value, "\r\n")),
            "STORED\r\n");
  ASSERT_TRUE((*c)->Send("get big\r\nget big\r\n").ok());
  // The server has the requests once the first reply starts arriving.
  auto head = (*c)->ReadExactly(6);
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(*head, "VALUE ");
  absl::StatusOr<std::string> rest;
  std::thread reader([&] {
    rest = (*c)->ReadUntil(absl::StrCat(value, "\r\nEND\r\n"), absl::Seconds(10));
  });
  server->Shutdown();  // drains what is queued before closing
  reader.join();
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_EQ(rest->size() + 6, 2 * (value.size() + 27));
  EXPECT_TRUE((*c)->WaitForClose());
}

TEST(ConnTest, UnixSocket) {
  ServerOptions o = TestServerOptions();
  const char* tmp = getenv("TEST_TMPDIR");
  o.unix_socket = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/mk.sock");
  if (o.unix_socket.size() > 100) o.unix_socket = absl::StrCat("/tmp/mk-", getpid(), ".sock");
  auto server = StartServer(o);
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->port(), 0);
  EXPECT_TRUE(server->address().is_unix());
  auto c = TestConnection::Connect(server->address());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ((*c)->Call("set a 0 0 1\r\nx\r\nget a\r\n", "END\r\n"),
            "STORED\r\nVALUE a 0 1\r\nx\r\nEND\r\n");
  EXPECT_EQ(testing::StatValue((*c)->Call("stats settings\r\n", "END\r\n"), "domain_socket"),
            o.unix_socket);
}

TEST(ConnTest, ManyClientsAcrossWorkers) {
  ServerOptions o = TestServerOptions();
  o.num_threads = 4;
  auto server = StartServer(o);
  ASSERT_NE(server, nullptr);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      auto c = TestConnection::Connect(server->address());
      if (!c.ok()) return;
      bool good = true;
      for (int i = 0; i < 100; ++i) {
        const std::string key = absl::StrCat("k", t, "_", i);
        good &= (*c)->Call(absl::StrCat("set ", key, " 0 0 4\r\nv", i % 10, "xy\r\n")) ==
                "STORED\r\n";
        good &= (*c)->Call(absl::StrCat("get ", key, "\r\n"), "END\r\n") ==
                absl::StrCat("VALUE ", key, " 0 4\r\nv", i % 10, "xy\r\nEND\r\n");
      }
      if (good) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 8);
}

TEST(ConnTest, ValueStaysIntactWhileReplyIsQueuedAndItemReplaced) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto reader = TestConnection::Connect(server->address());
  auto writer = TestConnection::Connect(server->address());
  ASSERT_TRUE(reader.ok() && writer.ok());
  const std::string a(2 * 1000 * 100, 'a');
  EXPECT_EQ((*writer)->Call(absl::StrCat("set k 0 0 ", a.size(), "\r\n", a, "\r\n")),
            "STORED\r\n");
  // Ask for the value many times without reading: the replies queue up.
  std::string gets;
  for (int i = 0; i < 40; ++i) gets += "get k\r\n";
  ASSERT_TRUE((*reader)->Send(gets).ok());
  // Once the first reply has started, at least one get has pinned the value
  // (without this, a slow reader loop could run every get after the delete).
  const std::string first_line = absl::StrCat("VALUE k 0 ", a.size(), "\r\n");
  auto started = (*reader)->ReadExactly(first_line.size());
  ASSERT_TRUE(started.ok()) << started.status();
  ASSERT_EQ(*started, first_line);
  // Replace and delete the item while its bytes are referenced by the queue.
  const std::string b(a.size(), 'b');
  EXPECT_EQ((*writer)->Call(absl::StrCat("set k 0 0 ", b.size(), "\r\n", b, "\r\n")),
            "STORED\r\n");
  EXPECT_EQ((*writer)->Call("delete k\r\n"), "DELETED\r\n");
  std::string all = *started;
  auto count_ends = [&all] {
    size_t n = 0;
    for (size_t p = all.find("END\r\n"); p != std::string::npos; p = all.find("END\r\n", p + 1)) {
      ++n;
    }
    return n;
  };
  while (count_ends() < 40) {
    auto r = (*reader)->ReadUntil("END\r\n");
    ASSERT_TRUE(r.ok()) << r.status();
    all += *r;
  }
  // Every reply is whole: all a's, then all b's, then misses; never mixed.
  size_t pos = 0;
  int values = 0;
  while (pos < all.size()) {
    if (all.compare(pos, 5, "END\r\n") == 0) {
      pos += 5;
      continue;
    }
    ASSERT_EQ(all.compare(pos, 6, "VALUE "), 0) << pos;
    pos = all.find("\r\n", pos) + 2;
    const char c = all[pos];
    ASSERT_TRUE(c == 'a' || c == 'b');
    ASSERT_EQ(all.compare(pos, a.size(), std::string(a.size(), c)), 0);
    pos += a.size() + 2;
    ++values;
  }
  EXPECT_GT(values, 0);
}

}  // namespace
}  // namespace server
}  // namespace memkit
