// Binary clients through a pool with backend_protocol "meta": the same
// binary requests sent to a real memcached directly and through memkit-proxy
// (which speaks meta to its own memcached) get byte-identical replies:
// every translated opcode, quiet variants, misses, cas, counters, errors.
// Also the pure translation functions on hand-made replies.

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/protocol/binary_codes.h"
#include "core/protocol/binary_request_parser.h"
#include "core/protocol/binary_request_writer.h"
#include "gtest/gtest.h"
#include "proxy/config.h"
#include "proxy/proxy_test_util.h"
#include "proxy/translate.h"
#include "tests/support/scratch_dir.h"

namespace memkit {
namespace proxy {
namespace {

using protocol::BinaryOpcode;
using protocol::BinaryPacket;
using test_support::ServerProcess;

class Batch {
 public:
  Batch& Add(absl::Status built, const BinaryPacket& p) {
    EXPECT_TRUE(built.ok()) << built;
    bytes_ += p.ToString();
    return *this;
  }
  BinaryPacket& p() { return packet_; }
  // Ends with a noop; the replies up to and including its answer.
  std::vector<std::string> Run(testing::Conn* conn) {
    BinaryPacket noop;
    EXPECT_TRUE(protocol::BuildBinaryBare(BinaryOpcode::kNoop, 0xfeed, &noop).ok());
    EXPECT_TRUE(conn->Send(bytes_ + noop.ToString()));
    std::vector<std::string> out;
    while (out.size() < 200) {
      std::string packet = conn->ReadPacket();
      if (packet.size() < protocol::kBinaryHeaderSize) {
        out.push_back("<timeout>");
        break;
      }
      out.push_back(packet);
      if (static_cast<uint8_t>(packet[1]) == static_cast<uint8_t>(BinaryOpcode::kNoop)) break;
    }
    return out;
  }

 private:
  std::string bytes_;
  BinaryPacket packet_;
};

std::string Hex(const std::string& s) {
  std::string out;
  for (unsigned char c : s) absl::StrAppend(&out, absl::Hex(c, absl::kZeroPad2));
  return out;
}

class TranslateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto servers = testing::StartMemcached(1);
    ASSERT_TRUE(servers.ok()) << servers.status();
    servers_ = std::move(*servers);
    // The proxy's server speaks no binary at all (-B ascii): only a
    // translation can answer the binary client.
    test_support::ServerCommand ascii_only = test_support::CommandFor(
        test_support::kMemcachedPath, {"-t", "1", "-m", "64", "-B", "ascii"});
    ascii_only.label = "memcached-ascii";
    test_support::StartOptions so;
    so.stop_grace = absl::ZeroDuration();
    auto meta_server = ServerProcess::Start(ascii_only, so);
    ASSERT_TRUE(meta_server.ok()) << meta_server.status();
    servers_.push_back(std::move(*meta_server));
    auto dir = test_support::ScratchDir::Create("translate-test");
    ASSERT_TRUE(dir.ok());
    dir_ = std::move(*dir);
    const std::string config = dir_->path() + "/proxy.json";
    std::ofstream(config) << "{\"threads\": 1, \"pools\": [{\"servers\": [\""
                          << servers_[1]->address() << "\"], \"backendProtocol\": \"meta\"}]}";
    auto proxy = testing::StartProxy({"--config", config});
    ASSERT_TRUE(proxy.ok()) << proxy.status();
    proxy_ = std::move(*proxy);
    auto direct = testing::Conn::Open(servers_[0]->port());
    auto through = testing::Conn::Open(proxy_->port());
    ASSERT_TRUE(direct.ok() && through.ok());
    direct_ = std::move(*direct);
    through_ = std::move(*through);
  }

  void ExpectSame(Batch& batch, const char* what) {
    const std::vector<std::string> want = batch.Run(direct_.get());
    const std::vector<std::string> got = batch.Run(through_.get());
    ASSERT_EQ(got.size(), want.size()) << what;
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(Hex(got[i]), Hex(want[i])) << what << ": reply " << i;
    }
    last_ = want;
  }

  std::vector<std::unique_ptr<ServerProcess>> servers_;
  std::unique_ptr<test_support::ScratchDir> dir_;
  std::unique_ptr<ServerProcess> proxy_;
  std::unique_ptr<testing::Conn> direct_, through_;
  std::vector<std::string> last_;
};

TEST_F(TranslateTest, RepliesMatchMemcachedByteForByte) {
  using namespace protocol;  // NOLINT: the builders
  Batch b;
  BinaryPacket& p = b.p();
  uint32_t o = 1;
  // Misses in every get form (quiet ones silent).
  for (BinaryOpcode op : {BinaryOpcode::kGet, BinaryOpcode::kGetK, BinaryOpcode::kGetQ,
                          BinaryOpcode::kGetKQ}) {
    b.Add(BuildBinaryGet(op, "a", o++, &p), p);
  }
  b.Add(BuildBinaryStore(BinaryOpcode::kSet, "a", "hello", 0xdeadbeef, 0, 0, o++, &p), p);
  for (BinaryOpcode op : {BinaryOpcode::kGet, BinaryOpcode::kGetK, BinaryOpcode::kGetQ,
                          BinaryOpcode::kGetKQ}) {
    b.Add(BuildBinaryGet(op, "a", o++, &p), p);
  }
  b.Add(BuildBinaryStore(BinaryOpcode::kAdd, "a", "x", 0, 0, 0, o++, &p), p);
  b.Add(BuildBinaryStore(BinaryOpcode::kAddQ, "a", "x", 0, 0, 0, o++, &p), p);
  b.Add(BuildBinaryStore(BinaryOpcode::kAdd, "new", "n", 3, 0, 0, o++, &p), p);
  b.Add(BuildBinaryStore(BinaryOpcode::kReplace, "b", "x", 0, 0, 0, o++, &p), p);
  b.Add(BuildBinaryStore(BinaryOpcode::kReplaceQ, "b", "x", 0, 0, 0, o++, &p), p);
  b.Add(BuildBinaryStore(BinaryOpcode::kReplaceQ, "new", "N", 4, 0, 0, o++, &p), p);
  b.Add(BuildBinaryConcat(BinaryOpcode::kAppend, "a", " world", 0, o++, &p), p);
  b.Add(BuildBinaryConcat(BinaryOpcode::kPrepend, "a", ">> ", 0, o++, &p), p);
  b.Add(BuildBinaryConcat(BinaryOpcode::kAppend, "missing", "zz", 0, o++, &p), p);
  b.Add(BuildBinaryConcat(BinaryOpcode::kAppendQ, "missing", "zz", 0, o++, &p), p);
  b.Add(BuildBinaryGet(BinaryOpcode::kGetK, "a", o++, &p), p);
  b.Add(BuildBinaryGet(BinaryOpcode::kGet, "new", o++, &p), p);
  // cas: a wrong one, one on a missing key.
  b.Add(BuildBinaryStore(BinaryOpcode::kSet, "a", "c", 0, 0, 999999, o++, &p), p);
  b.Add(BuildBinaryStore(BinaryOpcode::kSet, "nokey", "c", 0, 0, 5, o++, &p), p);
  // Counters.
  b.Add(BuildBinaryCounter(BinaryOpcode::kIncrement, "n", 1, 0, 0xffffffff, 0, o++, &p), p);
  b.Add(BuildBinaryCounter(BinaryOpcode::kIncrement, "n", 1, 10, 0, 0, o++, &p), p);
  b.Add(BuildBinaryCounter(BinaryOpcode::kIncrement, "n", 5, 0, 0, 0, o++, &p), p);
  b.Add(BuildBinaryCounter(BinaryOpcode::kDecrement, "n", 20, 0, 0, 0, o++, &p), p);
  b.Add(BuildBinaryCounter(BinaryOpcode::kIncrementQ, "n", 7, 0, 0, 0, o++, &p), p);
  b.Add(BuildBinaryCounter(BinaryOpcode::kDecrementQ, "gone", 1, 0, 0xffffffff, 0, o++, &p), p);
  b.Add(BuildBinaryGet(BinaryOpcode::kGet, "n", o++, &p), p);
  b.Add(BuildBinaryCounter(BinaryOpcode::kIncrement, "a", 1, 0, 0, 0, o++, &p), p);
  // Touch and gat.
  b.Add(BuildBinaryTouch(BinaryOpcode::kTouch, "a", 100, o++, &p), p);
  b.Add(BuildBinaryTouch(BinaryOpcode::kTouch, "missing", 100, o++, &p), p);
  b.Add(BuildBinaryTouch(BinaryOpcode::kGat, "a", 0, o++, &p), p);
  b.Add(BuildBinaryTouch(BinaryOpcode::kGatK, "a", 0, o++, &p), p);
  b.Add(BuildBinaryTouch(BinaryOpcode::kGatQ, "missing", 0, o++, &p), p);
  b.Add(BuildBinaryTouch(BinaryOpcode::kGatKQ, "missing", 0, o++, &p), p);
  b.Add(BuildBinaryTouch(BinaryOpcode::kGatKQ, "a", 0, o++, &p), p);
  b.Add(BuildBinaryTouch(BinaryOpcode::kGat, "missing", 0, o++, &p), p);
  // Quiet stores that succeed say nothing.
  b.Add(BuildBinaryStore(BinaryOpcode::kSetQ, "q", "quiet", 1, 0, 0, o++, &p), p);
  b.Add(BuildBinaryGet(BinaryOpcode::kGetKQ, "q", o++, &p), p);
  // A key that is not a text key goes base64.
  b.Add(BuildBinaryStore(BinaryOpcode::kSet, "sp ace\x01", "bin", 2, 0, 0, o++, &p), p);
  b.Add(BuildBinaryGet(BinaryOpcode::kGetK, "sp ace\x01", o++, &p), p);
  // Deletes.
  b.Add(BuildBinaryDelete(BinaryOpcode::kDelete, "a", 12345, o++, &p), p);
  b.Add(BuildBinaryDelete(BinaryOpcode::kDelete, "a", 0, o++, &p), p);
  b.Add(BuildBinaryDelete(BinaryOpcode::kDelete, "a", 0, o++, &p), p);
  b.Add(BuildBinaryDelete(BinaryOpcode::kDeleteQ, "a", 0, o++, &p), p);
  b.Add(BuildBinaryDelete(BinaryOpcode::kDeleteQ, "q", 0, o++, &p), p);
  b.Add(BuildBinaryGet(BinaryOpcode::kGet, "q", o++, &p), p);
  ExpectSame(b, "batch");
  EXPECT_GT(last_.size(), 30u);

  // A correct cas (the same on both servers: they saw the same stores).
  Batch get;
  get.Add(BuildBinaryGet(BinaryOpcode::kGet, "new", 500, &get.p()), get.p());
  ExpectSame(get, "gets");
  ASSERT_GE(last_[0].size(), 24u);
  uint64_t cas = 0;
  for (int i = 16; i < 24; ++i) cas = cas << 8 | static_cast<uint8_t>(last_[0][i]);
  ASSERT_NE(cas, 0u);
  Batch cas_batch;
  cas_batch.Add(BuildBinaryStore(BinaryOpcode::kSet, "new", "swapped", 9, 0, cas, 600,
                                 &cas_batch.p()),
                cas_batch.p());
  cas_batch.Add(BuildBinaryGet(BinaryOpcode::kGetK, "new", 601, &cas_batch.p()), cas_batch.p());
  ExpectSame(cas_batch, "cas");
  EXPECT_EQ(static_cast<uint8_t>(last_[0][7]), 0) << "the cas set stored";

  // flush (loud and quiet) reaches the meta server as flush_all.
  Batch flush;
  flush.Add(BuildBinaryFlush(BinaryOpcode::kFlush, absl::nullopt, 700, &flush.p()), flush.p());
  flush.Add(BuildBinaryGet(BinaryOpcode::kGet, "new", 701, &flush.p()), flush.p());
  flush.Add(BuildBinaryStore(BinaryOpcode::kSet, "f", "1", 0, 0, 0, 702, &flush.p()), flush.p());
  flush.Add(BuildBinaryFlush(BinaryOpcode::kFlushQ, absl::nullopt, 703, &flush.p()), flush.p());
  flush.Add(BuildBinaryGet(BinaryOpcode::kGet, "f", 704, &flush.p()), flush.p());
  ExpectSame(flush, "flush");
  EXPECT_EQ(static_cast<uint8_t>(last_[1][7]), 1) << "flushed: a miss";
}

TEST(TranslateFunctionsTest, ServerErrorsBecomeMemcachedStatuses) {
  BinaryToMeta r;
  r.opcode = static_cast<uint8_t>(BinaryOpcode::kSet);
  r.command = BinaryOpcode::kSet;
  r.opaque = 7;
  auto status_of = [](const std::string& packet) {
    return packet.size() >= 8 ? (static_cast<uint8_t>(packet[6]) << 8 | static_cast<uint8_t>(packet[7]))
                              : -1;
  };
  EXPECT_EQ(status_of(BinaryForMetaReply(r, "SERVER_ERROR out of memory storing object\r\n")),
            0x82);
  EXPECT_EQ(status_of(BinaryForMetaReply(r, "SERVER_ERROR object too large for cache\r\n")), 0x03);
  EXPECT_EQ(status_of(BinaryForMetaReply(r, "garbage\r\n")), 0x84);
  r.opcode = static_cast<uint8_t>(BinaryOpcode::kSetQ);
  EXPECT_EQ(BinaryForMetaReply(r, "HD c5\r\n"), "") << "a quiet success says nothing";
  EXPECT_EQ(status_of(BinaryForMetaReply(r, "EX\r\n")), 0x02);
}

TEST(TranslateFunctionsTest, BackendProtocolIsValidated) {
  auto config = ParseProxyConfigJson(
      R"({"pools": [{"servers": ["127.0.0.1:11211"], "backendProtocol": "grpc"}]})");
  ASSERT_TRUE(config.ok()) << config.status();
  auto options = ProxyOptionsFromConfig(*config);
  ASSERT_FALSE(options.ok());
  EXPECT_TRUE(absl::StrContains(options.status().message(), "pools[0].backend_protocol"))
      << options.status();
  config->mutable_pools(0)->set_backend_protocol("meta");
  options = ProxyOptionsFromConfig(*config);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->pools[0].backend_protocol, BackendProtocol::kMeta);
  // Every pool's is checked, not only the first's.
  auto* second = config->add_pools();
  second->set_name("second");
  second->add_servers("127.0.0.1:11212");
  second->set_backend_protocol("text");
  options = ProxyOptionsFromConfig(*config);
  ASSERT_FALSE(options.ok());
  EXPECT_TRUE(absl::StrContains(options.status().message(), "pools[1].backend_protocol"))
      << options.status();
  second->set_backend_protocol("meta");
  options = ProxyOptionsFromConfig(*config);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->pools[1].backend_protocol, BackendProtocol::kMeta);
}

}  // namespace
}  // namespace proxy
}  // namespace memkit
