// The per-request path allocates nothing once warm: counts operator new on
// the server's threads while a client runs text, meta and binary reads
// (hits with values large enough to be sent by reference, and misses).
// Stores allocate exactly their item, nothing else.

#include <atomic>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/protocol/binary_codes.h"
#include "core/protocol/binary_request_writer.h"
#include "gtest/gtest.h"
#include "server/server.h"
#include "server/server_test_util.h"

namespace {

std::atomic<uint64_t> g_server_allocations{0};
// The test thread (the client) does not count.
thread_local bool t_is_client = false;

}  // namespace

void* operator new(size_t n) {
  if (!t_is_client) g_server_allocations.fetch_add(1, std::memory_order_relaxed);
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace memkit {
namespace server {
namespace {

using testing::TestConnection;

TEST(ServerAllocTest, ReadsAllocateNothingOnceWarm) {
  t_is_client = true;
  ServerOptions o = testing::TestServerOptions();
  o.num_threads = 1;
  auto server = testing::StartServer(o);
  ASSERT_NE(server, nullptr);
  auto text = TestConnection::Connect(server->address());
  auto binary = TestConnection::Connect(server->address());
  ASSERT_TRUE(text.ok() && binary.ok());
  const std::string value(1000, 'v');
  ASSERT_EQ((*text)->Call(absl::StrCat("set k 7 0 1000\r\n", value, "\r\n")), "STORED\r\n");
  protocol::BinaryPacket get;
  ASSERT_TRUE(protocol::BuildBinaryGet(protocol::BinaryOpcode::kGetK, "k", 1, &get).ok());
  const std::string binary_get = get.ToString();
  const std::string text_reply = absl::StrCat("VALUE k 7 1000\r\n", value, "\r\nEND\r\n");

  auto round = [&] {
    ASSERT_EQ((*text)->Call("get k\r\n", "END\r\n"), text_reply);
    ASSERT_EQ((*text)->Call("get nope k\r\n", "END\r\n"), text_reply);
    ASSERT_EQ((*text)->Call("mg k v f\r\n", absl::StrCat(value, "\r\n")).size(), 1000u + 14);
    ASSERT_EQ((*text)->Call("mg nope v\r\n"), "EN\r\n");
    ASSERT_TRUE((*binary)->Send(binary_get).ok());
    auto reply = (*binary)->ReadExactly(24 + 4 + 1 + 1000);
    ASSERT_TRUE(reply.ok());
  };
  const uint64_t at_start = g_server_allocations.load();
  for (int i = 0; i < 200; ++i) round();  // warm up buffers, pins, parsers
  const uint64_t before = g_server_allocations.load();
  EXPECT_GT(before, at_start);  // the counter sees the server's threads
  for (int i = 0; i < 1000; ++i) round();
  EXPECT_EQ(g_server_allocations.load() - before, 0u);
}

}  // namespace
}  // namespace server
}  // namespace memkit
