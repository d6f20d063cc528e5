// The binary codecs against a real memcached 1.6.18 on 127.0.0.1: memcached's
// responses must be the bytes our response writer builds, and for hostile
// requests memcached must reply, swallow and close exactly as our request
// parser predicts. Skipped when /usr/bin/memcached is missing.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "core/protocol/binary_request_parser.h"
#include "core/protocol/binary_request_writer.h"
#include "core/protocol/binary_response_parser.h"
#include "core/protocol/binary_response_writer.h"
#include "gtest/gtest.h"
#include "tests/support/server_process.h"

namespace memkit {
namespace protocol {
namespace {

using Clock = std::chrono::steady_clock;
using test_support::kMemcachedPath;
constexpr uint32_t kProbeOpaque = 0x0c0ffee0;

constexpr uint8_t Op(BinaryOpcode op) { return static_cast<uint8_t>(op); }

// A blocking client connection with a deadline on every read.
class Connection {
 public:
  explicit Connection(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      close(fd_);
      fd_ = -1;
    }
  }
  ~Connection() {
    if (fd_ >= 0) close(fd_);
  }
  bool ok() const { return fd_ >= 0; }

  void Send(const std::string& bytes) {
    size_t sent = 0;
    while (sent < bytes.size()) {
      ssize_t n = send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;  // the peer closed; what it said is still readable
      sent += static_cast<size_t>(n);
    }
  }

  // Reads until `want` bytes are buffered, EOF, or the deadline.
  void ReadUntil(size_t want, std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    while (!closed_ && received_.size() < want) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return;
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left.count())) <= 0) return;
      char buf[65536];
      ssize_t n = recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) {
        closed_ = true;  // EOF or reset
        return;
      }
      received_.append(buf, static_cast<size_t>(n));
    }
  }

  // Reads whole responses until one with `opaque` has arrived; returns them.
  std::vector<std::string> ReadResponsesThrough(uint32_t opaque) {
    std::vector<std::string> out;
    size_t offset = 0;
    while (true) {
      BinaryResponse r;
      ParseResult result = ParseBinaryResponse(absl::string_view(received_).substr(offset), {}, &r);
      if (result.ok()) {
        out.emplace_back(received_.substr(offset, result.consumed));
        offset += result.consumed;
        if (r.opaque == opaque) break;
        continue;
      }
      if (!result.incomplete()) break;
      size_t before = received_.size();
      ReadUntil(received_.size() + result.bytes_needed, std::chrono::seconds(3));
      if (received_.size() == before) break;
    }
    received_.erase(0, offset);
    return out;
  }

  std::string& received() { return received_; }
  bool closed() const { return closed_; }

 private:
  int fd_ = -1;
  std::string received_;
  bool closed_ = false;
};

std::string Wire(const BinaryPacket& p) { return p.ToString(); }

std::string Probe() {
  BinaryPacket p;
  BuildBinaryBare(BinaryOpcode::kNoop, kProbeOpaque, &p).IgnoreError();
  return p.ToString();
}

std::string ProbeReply() {
  return Wire(BinarySuccessResponse(Op(BinaryOpcode::kNoop), kProbeOpaque));
}

// One memcached for the suite: it takes a second to stop gracefully.
class BinaryConformanceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (access(kMemcachedPath, X_OK) != 0) return;
    auto server = test_support::ServerProcess::Start(
        test_support::CommandFor(kMemcachedPath, {"-t", "1", "-m", "64"}));
    if (server.ok()) {
      server_ = server->release();
    } else {
      start_error_ = new std::string(server.status().ToString());
    }
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
    delete start_error_;
    start_error_ = nullptr;
  }
  void SetUp() override {
    if (access(kMemcachedPath, X_OK) != 0) GTEST_SKIP() << "no " << kMemcachedPath;
    ASSERT_NE(server_, nullptr) << "memcached did not start: " << *start_error_;
  }

  // Sends `request` and returns memcached's one response to it.
  std::string Exchange(Connection& c, const std::string& request) {
    c.Send(request + Probe());
    std::vector<std::string> responses = c.ReadResponsesThrough(kProbeOpaque);
    EXPECT_FALSE(responses.empty());
    if (responses.empty()) return "";
    EXPECT_EQ(responses.back(), ProbeReply());
    std::string all;
    for (size_t i = 0; i + 1 < responses.size(); ++i) all += responses[i];
    return all;
  }

  static uint64_t CasOf(const std::string& response) {
    BinaryResponse r;
    return ParseBinaryResponse(response, {}, &r).ok() ? r.cas : 0;
  }

  static test_support::ServerProcess* server_;
  static std::string* start_error_;
};

test_support::ServerProcess* BinaryConformanceTest::server_ = nullptr;
std::string* BinaryConformanceTest::start_error_ = nullptr;

#define HEX(x) absl::BytesToHexString(x)

TEST_F(BinaryConformanceTest, ResponsesAreByteExact) {
  Connection c(server_->port());
  ASSERT_TRUE(c.ok());
  BinaryPacket p;
  const uint32_t flags = 0xdeadbeef;
  ASSERT_TRUE(BuildBinaryStore(BinaryOpcode::kSet, "foo", "bar", flags, 0, 0, 1, &p).ok());
  std::string got = Exchange(c, Wire(p));
  const uint64_t cas = CasOf(got);
  EXPECT_NE(cas, 0u);
  EXPECT_EQ(HEX(got), HEX(Wire(BinarySuccessResponse(Op(BinaryOpcode::kSet), 1, cas))));

  for (BinaryOpcode op :
       {BinaryOpcode::kGet, BinaryOpcode::kGetK, BinaryOpcode::kGetQ, BinaryOpcode::kGetKQ}) {
    ASSERT_TRUE(BuildBinaryGet(op, "foo", 2, &p).ok());
    EXPECT_EQ(HEX(Exchange(c, Wire(p))),
              HEX(Wire(BinaryGetHitResponse(Op(op), 2, flags, cas, "foo", "bar"))))
        << BinaryOpcodeName(Op(op));
    ASSERT_TRUE(BuildBinaryGet(op, "nope", 3, &p).ok());
    std::string expected = BinaryResponseIsSent(Op(op), BinaryStatus::kKeyNotFound)
                               ? Wire(BinaryGetMissResponse(Op(op), 3, "nope"))
                               : "";
    EXPECT_EQ(HEX(Exchange(c, Wire(p))), HEX(expected)) << BinaryOpcodeName(Op(op));
  }
  for (BinaryOpcode op : {BinaryOpcode::kTouch, BinaryOpcode::kGat, BinaryOpcode::kGatK,
                          BinaryOpcode::kGatQ, BinaryOpcode::kGatKQ}) {
    ASSERT_TRUE(BuildBinaryTouch(op, "foo", 0, 4, &p).ok());
    EXPECT_EQ(HEX(Exchange(c, Wire(p))),
              HEX(Wire(BinaryGetHitResponse(Op(op), 4, flags, cas, "foo", "bar"))))
        << BinaryOpcodeName(Op(op));
    ASSERT_TRUE(BuildBinaryTouch(op, "nope", 0, 5, &p).ok());
    std::string expected = BinaryResponseIsSent(Op(op), BinaryStatus::kKeyNotFound)
                               ? Wire(BinaryGetMissResponse(Op(op), 5, "nope"))
                               : "";
    EXPECT_EQ(HEX(Exchange(c, Wire(p))), HEX(expected)) << BinaryOpcodeName(Op(op));
  }

  // Store failures echo the (quiet) opcode with memcached's texts.
  ASSERT_TRUE(BuildBinaryStore(BinaryOpcode::kAddQ, "foo", "x", 0, 0, 0, 6, &p).ok());
  EXPECT_EQ(HEX(Exchange(c, Wire(p))),
            HEX(Wire(BinaryErrorResponse(Op(BinaryOpcode::kAddQ), 6, BinaryStatus::kKeyExists))));
  ASSERT_TRUE(BuildBinaryStore(BinaryOpcode::kReplace, "nope", "x", 0, 0, 0, 7, &p).ok());
  EXPECT_EQ(
      HEX(Exchange(c, Wire(p))),
      HEX(Wire(BinaryErrorResponse(Op(BinaryOpcode::kReplace), 7, BinaryStatus::kKeyNotFound))));
  ASSERT_TRUE(BuildBinaryStore(BinaryOpcode::kSet, "foo", "x", 0, 0, cas + 1000, 8, &p).ok());
  EXPECT_EQ(HEX(Exchange(c, Wire(p))),
            HEX(Wire(BinaryErrorResponse(Op(BinaryOpcode::kSet), 8, BinaryStatus::kKeyExists))));
  ASSERT_TRUE(BuildBinaryConcat(BinaryOpcode::kPrepend, "nope", "x", 0, 9, &p).ok());
  EXPECT_EQ(
      HEX(Exchange(c, Wire(p))),
      HEX(Wire(BinaryErrorResponse(Op(BinaryOpcode::kPrepend), 9, BinaryStatus::kNotStored))));
  ASSERT_TRUE(BuildBinaryStore(BinaryOpcode::kSetQ, "foo", "bar", flags, 0, 0, 10, &p).ok());
  EXPECT_EQ(Exchange(c, Wire(p)), "");

  // Counters.
  ASSERT_TRUE(BuildBinaryCounter(BinaryOpcode::kIncrement, "n", 3, 42, 0, 0, 11, &p).ok());
  got = Exchange(c, Wire(p));
  EXPECT_EQ(HEX(got),
            HEX(Wire(BinaryCounterResponse(Op(BinaryOpcode::kIncrement), 11, CasOf(got), 42))));
  ASSERT_TRUE(BuildBinaryCounter(BinaryOpcode::kDecrement, "n", 50, 0, 0, 0, 12, &p).ok());
  got = Exchange(c, Wire(p));
  EXPECT_EQ(HEX(got),
            HEX(Wire(BinaryCounterResponse(Op(BinaryOpcode::kDecrement), 12, CasOf(got), 0))));
  ASSERT_TRUE(BuildBinaryCounter(BinaryOpcode::kIncrement, "m", 3, 42, 0xffffffff, 0, 13, &p).ok());
  EXPECT_EQ(
      HEX(Exchange(c, Wire(p))),
      HEX(Wire(BinaryErrorResponse(Op(BinaryOpcode::kIncrement), 13, BinaryStatus::kKeyNotFound))));
  ASSERT_TRUE(BuildBinaryCounter(BinaryOpcode::kIncrementQ, "foo", 1, 0, 0, 0, 14, &p).ok());
  EXPECT_EQ(
      HEX(Exchange(c, Wire(p))),
      HEX(Wire(BinaryErrorResponse(Op(BinaryOpcode::kIncrementQ), 14, BinaryStatus::kNonNumeric))));

  // Delete, flush, version, stat, verbosity, SASL without SASL.
  ASSERT_TRUE(BuildBinaryDelete(BinaryOpcode::kDelete, "foo", 0, 15, &p).ok());
  EXPECT_EQ(HEX(Exchange(c, Wire(p))),
            HEX(Wire(BinarySuccessResponse(Op(BinaryOpcode::kDelete), 15))));
  ASSERT_TRUE(BuildBinaryDelete(BinaryOpcode::kDeleteQ, "foo", 0, 16, &p).ok());
  EXPECT_EQ(
      HEX(Exchange(c, Wire(p))),
      HEX(Wire(BinaryErrorResponse(Op(BinaryOpcode::kDeleteQ), 16, BinaryStatus::kKeyNotFound))));
  ASSERT_TRUE(BuildBinaryFlush(BinaryOpcode::kFlush, 0u, 17, &p).ok());
  EXPECT_EQ(HEX(Exchange(c, Wire(p))),
            HEX(Wire(BinarySuccessResponse(Op(BinaryOpcode::kFlush), 17))));
  ASSERT_TRUE(BuildBinaryFlush(BinaryOpcode::kFlushQ, absl::nullopt, 18, &p).ok());
  EXPECT_EQ(Exchange(c, Wire(p)), "");
  ASSERT_TRUE(BuildBinaryBare(BinaryOpcode::kVersion, 19, &p).ok());
  EXPECT_EQ(HEX(Exchange(c, Wire(p))), HEX(Wire(BinaryVersionResponse(19, "1.6.18"))));
  ASSERT_TRUE(BuildBinaryStat("reset", 20, &p).ok());
  EXPECT_EQ(HEX(Exchange(c, Wire(p))), HEX(Wire(BinaryStatResponse(20, "", ""))));
  ASSERT_TRUE(BuildBinaryStat("bogus", 21, &p).ok());
  EXPECT_EQ(
      HEX(Exchange(c, Wire(p))),
      HEX(Wire(BinaryErrorResponse(Op(BinaryOpcode::kStat), 21, BinaryStatus::kKeyNotFound))));
}

TEST_F(BinaryConformanceTest, QuitAndQuitQClose) {
  for (BinaryOpcode op : {BinaryOpcode::kQuit, BinaryOpcode::kQuitQ}) {
    Connection c(server_->port());
    ASSERT_TRUE(c.ok());
    BinaryPacket p;
    ASSERT_TRUE(BuildBinaryBare(op, 1, &p).ok());
    c.Send(Wire(p));
    c.ReadUntil(1 << 20, std::chrono::seconds(3));
    EXPECT_TRUE(c.closed());
    EXPECT_EQ(HEX(c.received()),
              HEX(op == BinaryOpcode::kQuit ? Wire(BinarySuccessResponse(Op(op), 1)) : ""));
  }
}

TEST_F(BinaryConformanceTest, PipelinedQuietGetsAndAStatStream) {
  Connection c(server_->port());
  ASSERT_TRUE(c.ok());
  BinaryPacket p;
  std::string batch;
  ASSERT_TRUE(BuildBinaryStore(BinaryOpcode::kSetQ, "a", "A", 0, 0, 0, 100, &p).ok());
  p.AppendTo(&batch);
  ASSERT_TRUE(BuildBinaryStore(BinaryOpcode::kSetQ, "c", "C", 0, 0, 0, 101, &p).ok());
  p.AppendTo(&batch);
  const char* keys[] = {"a", "b", "c"};
  for (uint32_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(BuildBinaryGet(BinaryOpcode::kGetKQ, keys[i], i + 1, &p).ok());
    p.AppendTo(&batch);
  }
  std::string got = Exchange(c, batch);
  absl::string_view rest = got;
  std::vector<std::string> hits;
  BinaryResponse r;
  while (!rest.empty()) {
    ParseResult result = ParseBinaryResponse(rest, {}, &r);
    ASSERT_TRUE(result.ok());
    hits.push_back(absl::StrCat(r.opaque, ":", r.key, "=", r.value));
    rest.remove_prefix(result.consumed);
  }
  EXPECT_EQ(hits, (std::vector<std::string>{"1:a=A", "3:c=C"}));

  ASSERT_TRUE(BuildBinaryStat("settings", 7, &p).ok());
  c.Send(Wire(p));
  BinaryStatStream stats;
  auto deadline = Clock::now() + std::chrono::seconds(5);
  while (!stats.done() && Clock::now() < deadline) {
    ParseResult result = stats.Parse(c.received());
    if (result.ok()) {
      c.received().erase(0, result.consumed);
    } else {
      ASSERT_TRUE(result.incomplete());
      c.ReadUntil(c.received().size() + result.bytes_needed, std::chrono::seconds(3));
    }
  }
  ASSERT_TRUE(stats.done());
  EXPECT_TRUE(stats.status().ok());
  bool found = false;
  for (const auto& [k, v] : stats.stats()) {
    if (k == "item_size_max") {
      found = true;
      EXPECT_EQ(v, "1048576");
    }
  }
  EXPECT_TRUE(found);
}

// What our parser says memcached sends for `stream`, and whether it closes.
// Knows only the requests these tests pipeline after a refusal: the probe
// noop, setq/getq (assumed stored / missed), get/touch (missed) and stat of
// an unknown group.
struct Prediction {
  std::string replies;
  bool close = false;
};

Prediction Predict(absl::string_view stream) {
  Prediction out;
  BinaryRequest r;
  while (!stream.empty()) {
    ParseResult result = ParseBinaryRequest(stream, {}, &r);
    if (result.incomplete()) break;
    if (result.status == ParseStatus::kError) {
      out.replies += result.error.reply;
      if (result.error.close) {
        out.close = true;
        break;
      }
      size_t skip = result.consumed + result.error.swallow;
      if (skip > stream.size()) break;
      stream.remove_prefix(skip);
      continue;
    }
    if (r.command == BinaryOpcode::kNoop) {
      out.replies += Wire(BinarySuccessResponse(Op(r.opcode), r.opaque));
    } else if (r.opcode == BinaryOpcode::kGet || r.opcode == BinaryOpcode::kTouch) {
      out.replies += Wire(BinaryGetMissResponse(Op(r.opcode), r.opaque, r.key));
    } else if (r.opcode == BinaryOpcode::kStat) {  // only unknown groups are sent
      out.replies += Wire(BinaryErrorResponse(Op(r.opcode), r.opaque, BinaryStatus::kKeyNotFound));
    } else if (r.opcode != BinaryOpcode::kSetQ && r.opcode != BinaryOpcode::kGetQ) {
      ADD_FAILURE() << "cannot predict " << BinaryOpcodeName(Op(r.opcode));
    }
    stream.remove_prefix(result.consumed);
  }
  return out;
}

std::string Raw(uint8_t opcode, uint16_t key_length, uint8_t extras_length, uint32_t body_length,
                const std::string& payload, uint32_t opaque = 0) {
  BinaryHeader h;
  h.magic = kBinaryRequestMagic;
  h.opcode = opcode;
  h.key_length = key_length;
  h.extras_length = extras_length;
  h.body_length = body_length;
  h.opaque = opaque;
  std::string out(kBinaryHeaderSize, '\0');
  EncodeBinaryHeader(h, &out[0]);
  return out + payload;
}

std::string Be32(uint32_t v) {
  std::string s(4, '\0');
  StoreBigEndian32(v, &s[0]);
  return s;
}

TEST_F(BinaryConformanceTest, HostileRequestsGetWhatTheParserPredicts) {
  const std::string e0 = Be32(0) + Be32(0);
  const std::string e1 = Be32(1) + Be32(0);
  const uint32_t max_k1 = 1048516;
  const struct {
    const char* name;
    std::string stream;  // followed by the probe noop
  } cases[] = {
      {"bad magic", std::string(24, 'x')},
      {"key > body", Raw(0x00, 3, 0, 2, "foo", 1)},
      {"ext + key > body", Raw(0x01, 3, 8, 10, e0 + "foo", 2)},
      {"get with extras", Raw(0x00, 3, 4, 7, "abcdfoo", 3)},
      {"get body 4 GiB", Raw(0x00, 3, 0, 0xffffffff, "foo", 4)},
      {"set extras 4", Raw(0x01, 3, 4, 8, "abcdfoov", 5)},
      {"set no key", Raw(0x01, 0, 8, 9, e0 + "v", 6)},
      {"incr with value", Raw(0x05, 1, 20, 22, std::string(20, '\0') + "kv", 7)},
      {"flush extras 8", Raw(0x08, 0, 8, 8, e0, 8)},
      {"noop body", Raw(0x0a, 1, 0, 1, "k", 9)},
      {"stat extras", Raw(0x10, 0, 4, 4, "abcd", 10)},
      {"touch no extras", Raw(0x1c, 3, 0, 3, "foo", 11)},
      {"sasl list body", Raw(0x20, 0, 0, 1, "v", 12)},
      {"key 251", Raw(0x00, 251, 0, 251, std::string(251, 'k'), 13)},
      {"key 16360", Raw(0x00, 16360, 0, 16360, std::string(16360, 'k'), 14)},
      {"key 16361: silent", Raw(0x00, 16361, 0, 16361, std::string(16361, 'k'), 15)},
      {"key 0xffff: silent", Raw(0x00, 0xffff, 0, 0xffff, std::string(0xffff, 'k'), 16)},
      {"unknown bare", Raw(0x50, 0, 0, 0, "", 17)},
      {"unknown value", Raw(0x50, 0, 0, 3, "123", 18)},
      // memcached over-swallows by extras + key: 5 filler bytes feed it.
      {"unknown ext+key+value", Raw(0x50, 3, 2, 8, "xyabc123", 19) + "fill!"},
      {"verbosity", Raw(0x1b, 0, 4, 4, Be32(1), 20) + "fill"},
      {"sasl auth", Raw(0x21, 5, 0, 9, std::string("PLAIN\0a\0b", 9), 21)},
      {"sasl list", Raw(0x20, 0, 0, 0, "", 22)},
      {"set too large",
       Raw(0x01, 1, 8, 9 + max_k1 + 1, e0 + "k" + std::string(max_k1 + 1, 'v'), 23)},
      {"set largest", Raw(0x11, 1, 8, 9 + max_k1, e0 + "k" + std::string(max_k1, 'v'), 24)},
      {"set flags too large",
       Raw(0x01, 1, 8, 9 + max_k1 - 3, e1 + "k" + std::string(max_k1 - 3, 'v'), 25)},
      {"append too large", Raw(0x0e, 1, 0, 1 + max_k1 + 1, "k" + std::string(max_k1 + 1, 'v'), 26)},
      {"set body 4 GiB (swallows nothing)",
       Raw(0x01, 3, 8, 0xffffffff, e0 + "foo", 27) + Raw(0x09, 1, 0, 1, "q", 28)},
      {"touch body past key",
       Raw(0x1c, 3, 4, 7 + 24, Be32(0) + "foo", 29) + Raw(0x0a, 0, 0, 0, "", 30)},
      {"stat body past key", Raw(0x10, 5, 0, 5 + 24, "bogus", 31) + Raw(0x0a, 0, 0, 0, "", 32)},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    std::string stream = c.stream + Probe();
    Prediction want = Predict(stream);
    Connection conn(server_->port());
    ASSERT_TRUE(conn.ok());
    // memcached picks the protocol from the first byte: start in binary.
    conn.Send(Raw(Op(BinaryOpcode::kNoop), 0, 0, 0, ""));
    conn.ReadUntil(24, std::chrono::seconds(3));
    ASSERT_EQ(conn.received().size(), 24u);
    conn.received().clear();
    conn.Send(stream);
    conn.ReadUntil(want.close ? (1 << 20) : want.replies.size(), std::chrono::seconds(3));
    EXPECT_EQ(HEX(conn.received()), HEX(want.replies));
    if (want.close) {
      EXPECT_TRUE(conn.closed());
    } else {
      // The probe noop ends the prediction: memcached is in step and open.
      EXPECT_FALSE(conn.closed());
      ASSERT_GE(want.replies.size(), 24u);
      EXPECT_EQ(HEX(want.replies.substr(want.replies.size() - 24)), HEX(ProbeReply()));
    }
  }
}

}  // namespace
}  // namespace protocol
}  // namespace memkit
