// Checks the per-request promise of Connection: once its buffers have
// reached their working size, a read -> OnData -> write round trip allocates
// nothing. It counts allocations made on this thread (the loop's) with
// //tests/support's counter, which replaces global operator new, so this test
// lives in its own binary.

#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "core/net/connection.h"
#include "core/net/event_loop.h"
#include "gtest/gtest.h"
#include "tests/support/alloc_counter.h"

namespace memkit {
namespace net {
namespace {

// Replies "VALUE <key> 0 <n>\r\n" + referenced value + "\r\nEND\r\n" per line.
class GetServer : public Connection::Handler {
 public:
  void OnData(Connection* c) override {
    absl::string_view in = c->input().data();
    size_t nl;
    while ((nl = in.find('\n')) != absl::string_view::npos) {
      OutputQueue& out = c->output();
      out.Append({"VALUE ", in.substr(4, nl - 4), " 0 "});  // after "get "
      out.AppendDecimal(value_.size());
      out.Append("\r\n");
      out.AppendRef(value_, &Release, this);
      out.Append("\r\nEND\r\n");
      c->input().Consume(nl + 1);
      in = c->input().data();
    }
  }
  void OnClose(Connection*, const absl::Status&) override {}
  static void Release(void* self) { ++static_cast<GetServer*>(self)->released; }
  const std::string value_ = std::string(1000, 'v');
  long released = 0;
};

TEST(ConnectionAllocTest, SteadyStateRoundTripsDoNotAllocate) {
  auto loop = EventLoop::Create();
  ASSERT_TRUE(loop.ok());
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
  UniqueFd client(fds[1]);
  GetServer server;
  auto conn = Connection::Create(loop->get(), UniqueFd(fds[0]), &server);
  ASSERT_TRUE(conn.ok());

  const std::string request = "get key:12345\nget key:67890\n";
  const size_t reply_size = 2 * (std::string("VALUE key:12345 0 1000\r\n").size() + 1000 + 7);
  char reply[8192];
  auto round_trip = [&] {
    ASSERT_EQ(::write(client.get(), request.data(), request.size()),
              static_cast<ssize_t>(request.size()));
    size_t got = 0;
    for (int turns = 0; got < reply_size && turns < 1000; ++turns) {
      (*loop)->RunOnce(absl::Seconds(5));
      ssize_t n = ::read(client.get(), reply + got, sizeof(reply) - got);
      if (n > 0) got += static_cast<size_t>(n);
    }
    ASSERT_EQ(got, reply_size);
  };
  for (int i = 0; i < 50; ++i) round_trip();  // warm up: buffers reach size

  using test_support::AllocCounter;
  const AllocCounter::Snapshot before = AllocCounter::Now();
  for (int i = 0; i < 1000; ++i) round_trip();
  EXPECT_EQ(AllocCounter::Since(before).this_thread, 0)
      << "allocations in 1000 steady-state round trips";
  EXPECT_EQ(server.released, 2 * 1050);
}

}  // namespace
}  // namespace net
}  // namespace memkit
