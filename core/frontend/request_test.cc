// The neutral layer: decoded requests of every protocol seen as one
// Request, and ReplyWriter's outcomes encoded in each client's protocol
// (noreply, meta q and opaques, quiet binary opcodes).

#include "core/frontend/request.h"

#include <string>

#include "core/net/output_queue.h"
#include "core/protocol/ascii_parser.h"
#include "core/protocol/binary_codes.h"
#include "core/protocol/binary_request_parser.h"
#include "core/protocol/binary_request_writer.h"
#include "core/protocol/binary_response_writer.h"
#include "gtest/gtest.h"

namespace memkit {
namespace frontend {
namespace {

using protocol::BinaryOpcode;

// Parses `wire` (one whole request) and runs `fn(request, writer)`;
// returns what the writer wrote.
template <typename Fn>
std::string Text(absl::string_view wire, Fn fn) {
  protocol::AsciiRequest r;
  const protocol::ParseResult p = protocol::ParseAsciiRequest(wire, {}, &r);
  EXPECT_EQ(p.status, protocol::ParseStatus::kOk) << wire;
  const Request q = Request::FromText(r);
  net::OutputQueue out;
  ReplyWriter w(q, &out);
  fn(q, w);
  return out.ToString();
}

template <typename Fn>
std::string Binary(const protocol::BinaryPacket& packet, Fn fn) {
  const std::string wire = packet.ToString();
  protocol::BinaryRequest r;
  const protocol::ParseResult p = protocol::ParseBinaryRequest(wire, {}, &r);
  EXPECT_EQ(p.status, protocol::ParseStatus::kOk);
  const Request q = Request::FromBinary(r);
  net::OutputQueue out;
  ReplyWriter w(q, &out);
  fn(q, w);
  return out.ToString();
}

TEST(RequestTest, TextGetsAreOneCommandWithEveryKey) {
  Text("gets a bb\r\n", [](const Request& q, ReplyWriter& w) {
    EXPECT_EQ(q.wire, Wire::kText);
    EXPECT_EQ(q.command, Command::kGet);
    ASSERT_EQ(q.keys().size(), 2u);
    EXPECT_EQ(q.keys()[1], "bb");
    EXPECT_TRUE(q.return_cas);
    w.Value("a", 5, 42, "xy");
    w.Miss("bb");
    w.End();
  });
  EXPECT_EQ(Text("gets a bb\r\n",
                 [](const Request&, ReplyWriter& w) {
                   w.Value("a", 5, 42, "xy");
                   w.Miss("bb");
                   w.End();
                 }),
            "VALUE a 5 2 42\r\nxy\r\nEND\r\n");
}

TEST(RequestTest, TextNoreplySilencesOutcomes) {
  EXPECT_EQ(Text("set k 1 2 3 noreply\r\nabc\r\n",
                 [](const Request& q, ReplyWriter& w) {
                   EXPECT_EQ(q.command, Command::kSet);
                   EXPECT_EQ(q.flags, 1u);
                   EXPECT_EQ(q.exptime, 2);
                   EXPECT_EQ(q.value, "abc");
                   EXPECT_TRUE(q.quiet);
                   w.Stored();
                 }),
            "");
  EXPECT_EQ(Text("incr n 5\r\n",
                 [](const Request& q, ReplyWriter& w) {
                   EXPECT_EQ(q.command, Command::kIncr);
                   EXPECT_EQ(q.delta, 5u);
                   w.Number(12);
                 }),
            "12\r\n");
  EXPECT_EQ(Text("touch k 10\r\n",
                 [](const Request& q, ReplyWriter& w) {
                   EXPECT_EQ(q.command, Command::kTouch);
                   EXPECT_TRUE(q.has_exptime);
                   w.NotFound();
                 }),
            "NOT_FOUND\r\n");
}

TEST(RequestTest, MetaEchoesOpaqueAndKeyAndHonoursQ) {
  EXPECT_EQ(Text("mg k v c O7 k\r\n",
                 [](const Request& q, ReplyWriter& w) {
                   EXPECT_EQ(q.wire, Wire::kMeta);
                   EXPECT_EQ(q.command, Command::kGet);
                   EXPECT_TRUE(q.with_value);
                   w.Value("k", 0, 9, "val");
                 }),
            "VA 3 c9 O7 kk\r\nval\r\n");
  EXPECT_EQ(Text("mg k q O1\r\n", [](const Request&, ReplyWriter& w) { w.Miss("k"); }), "");
  EXPECT_EQ(Text("mg k O1\r\n", [](const Request&, ReplyWriter& w) { w.Miss("k"); }),
            "EN O1\r\n");
  EXPECT_EQ(Text("ms k 2 q O3\r\nab\r\n",
                 [](const Request& q, ReplyWriter& w) {
                   EXPECT_EQ(q.command, Command::kSet);
                   w.Stored();
                 }),
            "");
  EXPECT_EQ(Text("ms k 2 q O3\r\nab\r\n", [](const Request&, ReplyWriter& w) { w.NotStored(); }),
            "NS O3\r\n");
  EXPECT_EQ(Text("ma n v N0 J3\r\n",
                 [](const Request& q, ReplyWriter& w) {
                   EXPECT_EQ(q.command, Command::kIncr);
                   EXPECT_TRUE(q.create);
                   EXPECT_EQ(q.initial, 3u);
                   w.Number(3);
                 }),
            "VA 1\r\n3\r\n");
}

TEST(RequestTest, BinaryQuietOpcodesAndOpaques) {
  protocol::BinaryPacket setq;
  ASSERT_TRUE(
      protocol::BuildBinaryStore(BinaryOpcode::kSetQ, "k", "v", 0, 0, 0, 77, &setq).ok());
  EXPECT_EQ(Binary(setq,
                   [](const Request& q, ReplyWriter& w) {
                     EXPECT_EQ(q.wire, Wire::kBinary);
                     EXPECT_EQ(q.command, Command::kSet);
                     EXPECT_TRUE(q.quiet);
                     EXPECT_EQ(q.opaque, 77u);
                     w.Stored(5);
                   }),
            "");
  // A quiet opcode still answers a failure.
  EXPECT_EQ(Binary(setq, [](const Request&, ReplyWriter& w) { w.Exists(); }),
            protocol::BinaryErrorResponse(static_cast<uint8_t>(BinaryOpcode::kSetQ), 77,
                                          protocol::BinaryStatus::kKeyExists)
                .ToString());
  protocol::BinaryPacket getk;
  ASSERT_TRUE(protocol::BuildBinaryGet(BinaryOpcode::kGetK, "key", 9, &getk).ok());
  EXPECT_EQ(Binary(getk, [](const Request&, ReplyWriter& w) { w.Value("key", 3, 4, "val"); }),
            protocol::BinaryGetHitResponse(static_cast<uint8_t>(BinaryOpcode::kGetK), 9, 3, 4,
                                           "key", "val")
                .ToString());
  protocol::BinaryPacket decr;
  ASSERT_TRUE(protocol::BuildBinaryCounter(BinaryOpcode::kDecrement, "n", 2, 10, 0xffffffffu, 0,
                                           1, &decr)
                  .ok());
  EXPECT_EQ(Binary(decr,
                   [](const Request& q, ReplyWriter& w) {
                     EXPECT_EQ(q.command, Command::kDecr);
                     EXPECT_FALSE(q.create);  // 0xffffffff: do not create
                     EXPECT_EQ(q.delta, 2u);
                     w.Number(8, 3);
                   }),
            protocol::BinaryCounterResponse(static_cast<uint8_t>(BinaryOpcode::kDecrement), 1, 3,
                                            8)
                .ToString());
}

}  // namespace
}  // namespace frontend
}  // namespace memkit
