// The binary protocol over real sockets: every opcode memcached 1.6.18
// serves, quiet variants' silence, status codes and error bodies, refusals
// that close the connection, and detection of the protocol from the first byte.

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/types/optional.h"
#include "core/protocol/binary_codes.h"
#include "core/protocol/binary_request_writer.h"
#include "gtest/gtest.h"
#include "server/server.h"
#include "server/server_test_util.h"

namespace memkit {
namespace server {
namespace {

using protocol::BinaryOpcode;
using protocol::BinaryPacket;
using protocol::BinaryStatus;
using testing::StartServer;
using testing::TestConnection;

struct Reply {
  uint8_t opcode = 0;
  uint16_t status = 0xffff;
  uint32_t opaque = 0;
  uint64_t cas = 0;
  std::string extras;
  std::string key;
  std::string value;
};

class BinaryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = StartServer(Options());
    ASSERT_NE(server_, nullptr);
    auto conn = TestConnection::Connect(server_->address());
    ASSERT_TRUE(conn.ok()) << conn.status();
    conn_ = std::move(*conn);
  }
  virtual ServerOptions Options() { return testing::TestServerOptions(); }

  void Send(const BinaryPacket& packet) { ASSERT_TRUE(conn_->Send(packet.ToString()).ok()); }

  Reply Read() {
    Reply r;
    auto head = conn_->ReadExactly(protocol::kBinaryHeaderSize);
    EXPECT_TRUE(head.ok()) << head.status();
    if (!head.ok()) return r;
    const protocol::BinaryHeader h = protocol::DecodeBinaryHeader(head->data());
    EXPECT_EQ(h.magic, protocol::kBinaryResponseMagic);
    r.opcode = h.opcode;
    r.status = h.status_or_vbucket;
    r.opaque = h.opaque;
    r.cas = h.cas;
    auto body = conn_->ReadExactly(h.body_length);
    EXPECT_TRUE(body.ok());
    if (!body.ok()) return r;
    r.extras = body->substr(0, h.extras_length);
    r.key = body->substr(h.extras_length, h.key_length);
    r.value = body->substr(h.extras_length + h.key_length);
    return r;
  }

  Reply Get(BinaryOpcode op, absl::string_view key, uint32_t opaque = 0) {
    BinaryPacket p;
    EXPECT_TRUE(protocol::BuildBinaryGet(op, key, opaque, &p).ok());
    Send(p);
    return Read();
  }
  Reply Store(BinaryOpcode op, absl::string_view key, absl::string_view value, uint32_t flags = 0,
              uint64_t cas = 0) {
    BinaryPacket p;
    EXPECT_TRUE(protocol::BuildBinaryStore(op, key, value, flags, 0, cas, 7, &p).ok());
    Send(p);
    return Read();
  }
  void Noop() {
    BinaryPacket p;
    ASSERT_TRUE(protocol::BuildBinaryBare(BinaryOpcode::kNoop, 99, &p).ok());
    Send(p);
  }

  std::unique_ptr<Server> server_;
  std::unique_ptr<TestConnection> conn_;
};

constexpr uint16_t St(BinaryStatus s) { return static_cast<uint16_t>(s); }

TEST_F(BinaryTest, SetGetVariants) {
  Reply set = Store(BinaryOpcode::kSet, "k", "value", 0xdeadbeef);
  EXPECT_EQ(set.status, 0);
  EXPECT_EQ(set.opaque, 7u);
  EXPECT_NE(set.cas, 0u);
  Reply get = Get(BinaryOpcode::kGet, "k", 5);
  EXPECT_EQ(get.status, 0);
  EXPECT_EQ(get.opaque, 5u);
  EXPECT_EQ(get.cas, set.cas);
  EXPECT_EQ(get.extras, std::string("\xde\xad\xbe\xef", 4));
  EXPECT_EQ(get.key, "");
  EXPECT_EQ(get.value, "value");
  Reply getk = Get(BinaryOpcode::kGetK, "k");
  EXPECT_EQ(getk.key, "k");
  EXPECT_EQ(getk.value, "value");
  Reply miss = Get(BinaryOpcode::kGet, "nope");
  EXPECT_EQ(miss.status, St(BinaryStatus::kKeyNotFound));
  EXPECT_EQ(miss.value, "Not found");
  Reply missk = Get(BinaryOpcode::kGetK, "nope");
  EXPECT_EQ(missk.status, St(BinaryStatus::kKeyNotFound));
  EXPECT_EQ(missk.key, "nope");
}

TEST_F(BinaryTest, QuietGetsAreSilentOnMiss) {
  BinaryPacket p;
  ASSERT_TRUE(protocol::BuildBinaryGet(BinaryOpcode::kGetQ, "nope", 1, &p).ok());
  Send(p);
  ASSERT_TRUE(protocol::BuildBinaryGet(BinaryOpcode::kGetKQ, "nope", 2, &p).ok());
  Send(p);
  Noop();
  Reply r = Read();
  EXPECT_EQ(r.opcode, static_cast<uint8_t>(BinaryOpcode::kNoop));
  EXPECT_EQ(r.opaque, 99u);
}

TEST_F(BinaryTest, QuietStoresAnswerOnlyFailures) {
  BinaryPacket p;
  ASSERT_TRUE(
      protocol::BuildBinaryStore(BinaryOpcode::kSetQ, "a", "1", 0, 0, 0, 1, &p).ok());
  Send(p);
  ASSERT_TRUE(
      protocol::BuildBinaryStore(BinaryOpcode::kAddQ, "a", "1", 0, 0, 0, 2, &p).ok());
  Send(p);
  Noop();
  Reply add = Read();
  EXPECT_EQ(add.opcode, static_cast<uint8_t>(BinaryOpcode::kAddQ));
  EXPECT_EQ(add.status, St(BinaryStatus::kKeyExists));
  EXPECT_EQ(add.value, "Data exists for key.");
  EXPECT_EQ(Read().opcode, static_cast<uint8_t>(BinaryOpcode::kNoop));
}

TEST_F(BinaryTest, StoreOutcomes) {
  EXPECT_EQ(Store(BinaryOpcode::kReplace, "a", "x").status, St(BinaryStatus::kKeyNotFound));
  EXPECT_EQ(Store(BinaryOpcode::kAdd, "a", "x").status, 0);
  EXPECT_EQ(Store(BinaryOpcode::kAdd, "a", "x").status, St(BinaryStatus::kKeyExists));
  EXPECT_EQ(Store(BinaryOpcode::kSet, "a", "x", 0, 12345).status, St(BinaryStatus::kKeyExists));
  EXPECT_EQ(Store(BinaryOpcode::kSet, "zz", "x", 0, 12345).status, St(BinaryStatus::kKeyNotFound));
  BinaryPacket p;
  ASSERT_TRUE(protocol::BuildBinaryConcat(BinaryOpcode::kAppend, "a", "yz", 0, 3, &p).ok());
  Send(p);
  EXPECT_EQ(Read().status, 0);
  ASSERT_TRUE(protocol::BuildBinaryConcat(BinaryOpcode::kPrepend, "b", "yz", 0, 3, &p).ok());
  Send(p);
  Reply r = Read();
  EXPECT_EQ(r.status, St(BinaryStatus::kNotStored));
  EXPECT_EQ(r.value, "Not stored.");
  EXPECT_EQ(Get(BinaryOpcode::kGet, "a").value, "xyz");
}

TEST_F(BinaryTest, TooLargeIsRefusedAndSwallowed) {
  const std::string big(2 * 1024 * 1024, 'b');
  Reply r = Store(BinaryOpcode::kSet, "big", big);
  EXPECT_EQ(r.status, St(BinaryStatus::kTooLarge));
  EXPECT_EQ(r.value, "Too large.");
  EXPECT_EQ(Get(BinaryOpcode::kGet, "big").status, St(BinaryStatus::kKeyNotFound));
}

TEST_F(BinaryTest, DeleteIncrDecr) {
  BinaryPacket p;
  ASSERT_TRUE(protocol::BuildBinaryDelete(BinaryOpcode::kDelete, "n", 0, 1, &p).ok());
  Send(p);
  EXPECT_EQ(Read().status, St(BinaryStatus::kKeyNotFound));
  // Missing, exptime 0xffffffff: not created.
  ASSERT_TRUE(protocol::BuildBinaryCounter(BinaryOpcode::kIncrement, "n", 1, 10, 0xffffffffu, 0,
                                           1, &p)
                  .ok());
  Send(p);
  EXPECT_EQ(Read().status, St(BinaryStatus::kKeyNotFound));
  // Missing, created with the initial value.
  ASSERT_TRUE(
      protocol::BuildBinaryCounter(BinaryOpcode::kIncrement, "n", 1, 10, 0, 0, 1, &p).ok());
  Send(p);
  Reply created = Read();
  EXPECT_EQ(created.status, 0);
  EXPECT_EQ(created.value, std::string("\0\0\0\0\0\0\0\x0a", 8));
  ASSERT_TRUE(
      protocol::BuildBinaryCounter(BinaryOpcode::kDecrement, "n", 3, 0, 0, 0, 1, &p).ok());
  Send(p);
  EXPECT_EQ(Read().value, std::string("\0\0\0\0\0\0\0\x07", 8));
  Store(BinaryOpcode::kSet, "s", "abc");
  ASSERT_TRUE(
      protocol::BuildBinaryCounter(BinaryOpcode::kIncrement, "s", 1, 0, 0, 0, 1, &p).ok());
  Send(p);
  Reply bad = Read();
  EXPECT_EQ(bad.status, St(BinaryStatus::kNonNumeric));
  EXPECT_EQ(bad.value, "Non-numeric server-side value for incr or decr");
  ASSERT_TRUE(protocol::BuildBinaryDelete(BinaryOpcode::kDelete, "s", 0, 1, &p).ok());
  Send(p);
  EXPECT_EQ(Read().status, 0);
}

TEST_F(BinaryTest, TouchGatFlushVersionNoop) {
  Store(BinaryOpcode::kSet, "t", "v", 3);
  BinaryPacket p;
  ASSERT_TRUE(protocol::BuildBinaryTouch(BinaryOpcode::kTouch, "t", 100, 1, &p).ok());
  Send(p);
  Reply touch = Read();
  EXPECT_EQ(touch.status, 0);
  EXPECT_EQ(touch.value, "");  // touch answers flags and cas only
  ASSERT_TRUE(protocol::BuildBinaryTouch(BinaryOpcode::kGatK, "t", 100, 1, &p).ok());
  Send(p);
  Reply gat = Read();
  EXPECT_EQ(gat.key, "t");
  EXPECT_EQ(gat.value, "v");
  ASSERT_TRUE(protocol::BuildBinaryFlush(BinaryOpcode::kFlush, absl::nullopt, 1, &p).ok());
  Send(p);
  EXPECT_EQ(Read().status, 0);
  EXPECT_EQ(Get(BinaryOpcode::kGet, "t").status, St(BinaryStatus::kKeyNotFound));
  ASSERT_TRUE(protocol::BuildBinaryBare(BinaryOpcode::kVersion, 1, &p).ok());
  Send(p);
  EXPECT_EQ(Read().value, "1.6.18");
}

TEST_F(BinaryTest, Stats) {
  BinaryPacket p;
  ASSERT_TRUE(protocol::BuildBinaryStat("", 1, &p).ok());
  Send(p);
  bool saw_pid = false;
  for (int i = 0; i < 200; ++i) {
    Reply r = Read();
    if (r.key.empty()) break;
    if (r.key == "pid") saw_pid = true;
  }
  EXPECT_TRUE(saw_pid);
  ASSERT_TRUE(protocol::BuildBinaryStat("bogus", 1, &p).ok());
  Send(p);
  EXPECT_EQ(Read().status, St(BinaryStatus::kKeyNotFound));
  ASSERT_TRUE(protocol::BuildBinaryStat("reset", 1, &p).ok());
  Send(p);
  Reply end = Read();
  EXPECT_EQ(end.status, 0);
  EXPECT_EQ(end.key, "");
  // The prefix dump comes as one stat holding the text form.
  ASSERT_TRUE(protocol::BuildBinaryStat("detail dump", 1, &p).ok());
  Send(p);
  Reply dump = Read();
  EXPECT_EQ(dump.key, "detailed");
  EXPECT_EQ(dump.value, "END\r\n");
  EXPECT_EQ(Read().key, "");
  // sizes_enable answers without a terminating packet, as memcached does.
  ASSERT_TRUE(protocol::BuildBinaryStat("sizes_enable", 1, &p).ok());
  Send(p);
  Reply on = Read();
  EXPECT_EQ(on.key, "sizes_status");
  EXPECT_EQ(on.value, "enabled");
  Noop();
  EXPECT_EQ(Read().opaque, 99u);
}

TEST_F(BinaryTest, UnknownOpcodeAndVerbosity) {
  // Unknown in 1.6.18, verbosity included. memcached has read the extras
  // already but still swallows `body length` more bytes, and answers only
  // once it has: here 4 bytes that were meant as the next request.
  BinaryPacket p;
  ASSERT_TRUE(protocol::BuildBinaryVerbosity(1, 1, &p).ok());
  Send(p);
  EXPECT_EQ(conn_->ReadFor(absl::Milliseconds(50)), "");
  ASSERT_TRUE(conn_->Send(std::string(4, '\0')).ok());
  Reply r = Read();
  EXPECT_EQ(r.status, St(BinaryStatus::kUnknownCommand));
  EXPECT_EQ(r.value, "Unknown command");
  // Without a body it answers at once.
  ASSERT_TRUE(conn_->Send(std::string("\x80\x50", 2) + std::string(10, '\0') +
                          std::string("\x00\x00\x00\x02", 4) + std::string(8, '\0'))
                  .ok());
  r = Read();
  EXPECT_EQ(r.status, St(BinaryStatus::kUnknownCommand));
  EXPECT_EQ(r.opaque, 2u);
}

TEST_F(BinaryTest, RepliesWaitWhileAValueIsArriving) {
  // A set split after its key: memcached reads the value (conn_nread) and
  // writes nothing meanwhile, the earlier replies included.
  EXPECT_EQ(Store(BinaryOpcode::kSet, "a", "x").status, 0);
  BinaryPacket get;
  ASSERT_TRUE(protocol::BuildBinaryGet(BinaryOpcode::kGet, "a", 1, &get).ok());
  BinaryPacket set;
  ASSERT_TRUE(protocol::BuildBinaryStore(BinaryOpcode::kSet, "b", "0123456789", 0, 0, 0, 2, &set)
                  .ok());
  const std::string set_bytes = set.ToString();
  ASSERT_TRUE(conn_->Send(get.ToString() + set_bytes.substr(0, 40)).ok());
  EXPECT_EQ(conn_->ReadFor(absl::Milliseconds(50)), "");
  ASSERT_TRUE(conn_->Send(set_bytes.substr(40)).ok());
  Reply r = Read();
  EXPECT_EQ(r.opaque, 1u);
  EXPECT_EQ(r.value, "x");
  EXPECT_EQ(Read().opaque, 2u);
}

TEST_F(BinaryTest, AnUnwrittenHitKeepsItsItemBusyForDecrement) {
  // memcached holds a get's item until the reply is written: a decrement in
  // the same batch makes a new item ("99") instead of padding in place.
  EXPECT_EQ(Store(BinaryOpcode::kSet, "n", "100").status, 0);
  BinaryPacket get;
  ASSERT_TRUE(protocol::BuildBinaryGet(BinaryOpcode::kGet, "n", 1, &get).ok());
  BinaryPacket decr;
  ASSERT_TRUE(
      protocol::BuildBinaryCounter(BinaryOpcode::kDecrement, "n", 1, 0, 0xffffffff, 0, 2, &decr)
          .ok());
  ASSERT_TRUE(conn_->Send(get.ToString() + decr.ToString()).ok());
  EXPECT_EQ(Read().value, "100");
  EXPECT_EQ(Read().opaque, 2u);
  EXPECT_EQ(Get(BinaryOpcode::kGet, "n").value, "99");
}

TEST_F(BinaryTest, ExtrasAndKeyBeyondTheBodyWaitForTheirBytes) {
  // memcached waits for header + extras + key before judging the lengths.
  const std::string header = std::string("\x80\x01\x00\x01\x14\x00\x00\x00", 8) +
                             std::string("\x00\x00\x00\x0a", 4) + std::string(12, '\0');
  ASSERT_TRUE(conn_->Send(header + std::string(10, 'x')).ok());
  EXPECT_EQ(conn_->ReadFor(absl::Milliseconds(50)), "");
  ASSERT_TRUE(conn_->Send(std::string(11, 'x')).ok());
  Reply r = Read();
  EXPECT_EQ(r.status, St(BinaryStatus::kUnknownCommand));
  EXPECT_TRUE(conn_->WaitForClose());
}

TEST_F(BinaryTest, QuitAndQuitQClose) {
  BinaryPacket p;
  ASSERT_TRUE(protocol::BuildBinaryBare(BinaryOpcode::kQuit, 1, &p).ok());
  Send(p);
  EXPECT_EQ(Read().status, 0);
  EXPECT_TRUE(conn_->WaitForClose());
  auto conn = TestConnection::Connect(server_->address());
  ASSERT_TRUE(conn.ok());
  ASSERT_TRUE(protocol::BuildBinaryBare(BinaryOpcode::kQuitQ, 1, &p).ok());
  ASSERT_TRUE((*conn)->Send(p.ToString()).ok());
  EXPECT_TRUE((*conn)->WaitForClose());
  EXPECT_EQ((*conn)->ReadFor(absl::ZeroDuration()), "");
}

TEST_F(BinaryTest, GetWithoutKeyIsInvalidAndCloses) {
  ASSERT_TRUE(conn_->Send(std::string(1, '\x80') + std::string(23, '\0')).ok());
  Reply r = Read();
  EXPECT_EQ(r.status, St(BinaryStatus::kInvalidArguments));
  EXPECT_EQ(r.value, "Invalid arguments");
  EXPECT_TRUE(conn_->WaitForClose());
}

TEST_F(BinaryTest, BadMagicClosesWithoutReply) {
  Noop();
  EXPECT_EQ(Read().opaque, 99u);
  ASSERT_TRUE(conn_->Send(std::string(24, '\x81')).ok());
  EXPECT_TRUE(conn_->WaitForClose());
  EXPECT_EQ(conn_->ReadFor(absl::ZeroDuration()), "");
}

TEST_F(BinaryTest, FailedCommandAndMixedProtocolsPerConnection) {
  // A text connection alongside a binary one: the protocol is per connection.
  auto text = TestConnection::Connect(server_->address());
  ASSERT_TRUE(text.ok());
  Store(BinaryOpcode::kSet, "shared", "v");
  EXPECT_EQ((*text)->Call("get shared\r\n", "END\r\n"), "VALUE shared 0 1\r\nv\r\nEND\r\n");
  server_->faults()->FailNextCommands(1, "boom");
  Reply r = Get(BinaryOpcode::kGet, "shared");
  EXPECT_EQ(r.status, St(BinaryStatus::kInternalError));
  EXPECT_EQ(r.value, "boom");
}

class BinaryOnlyTest : public BinaryTest {
  ServerOptions Options() override {
    ServerOptions o = testing::TestServerOptions();
    o.protocol = BindingProtocol::kBinary;
    return o;
  }
};

TEST_F(BinaryOnlyTest, TextIsRefused) {
  ASSERT_TRUE(conn_->Send("get a\r\n" + std::string(24, ' ')).ok());
  EXPECT_TRUE(conn_->WaitForClose());
}

class AsciiOnlyTest : public BinaryTest {
  ServerOptions Options() override {
    ServerOptions o = testing::TestServerOptions();
    o.protocol = BindingProtocol::kAscii;
    return o;
  }
};

TEST_F(AsciiOnlyTest, BinaryMagicIsText) {
  EXPECT_EQ(conn_->Call("\x80 foo\r\n"), "ERROR\r\n");
}

}  // namespace
}  // namespace server
}  // namespace memkit
