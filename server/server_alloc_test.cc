// The per-request path allocates nothing once warm: counts operator new on
// the server's threads while a client runs text, meta and binary reads
// (hits with values large enough to be sent by reference, and misses).
// Stores allocate exactly their item, nothing else.

#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/protocol/binary_codes.h"
#include "core/protocol/binary_request_writer.h"
#include "gtest/gtest.h"
#include "server/server.h"
#include "server/server_test_util.h"
#include "tests/support/alloc_counter.h"

namespace memkit {
namespace server {
namespace {

using test_support::AllocCounter;
using testing::TestConnection;

TEST(ServerAllocTest, ReadsAllocateNothingOnceWarm) {
  // The test thread (the client) does not count.
  test_support::ScopedUncountedThread client;
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
  const AllocCounter::Snapshot at_start = AllocCounter::Now();
  for (int i = 0; i < 200; ++i) round();  // warm up buffers, pins, parsers
  EXPECT_GT(AllocCounter::Since(at_start).total, 0);  // the counter sees the server's threads
  const AllocCounter::Snapshot before = AllocCounter::Now();
  for (int i = 0; i < 1000; ++i) round();
  EXPECT_EQ(AllocCounter::Since(before).total, 0);
}

}  // namespace
}  // namespace server
}  // namespace memkit
