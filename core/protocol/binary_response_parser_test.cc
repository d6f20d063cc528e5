// Client response parser, fed by the server's response writer (every
// response memcached sends) and by hostile byte strings.

#include "core/protocol/binary_response_parser.h"

#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "core/protocol/binary_response_writer.h"
#include "core/status/status.h"
#include "gtest/gtest.h"

namespace memkit {
namespace protocol {
namespace {

constexpr uint8_t Op(BinaryOpcode op) { return static_cast<uint8_t>(op); }

// Parsed responses point into their input: keep every input alive for the
// whole test program.
const std::string& Keep(std::string wire) {
  static auto* kept = new std::deque<std::string>();
  kept->push_back(std::move(wire));
  return kept->back();
}

BinaryResponse ParseWhole(std::string bytes) {
  const std::string& wire = Keep(std::move(bytes));
  BinaryResponse r;
  ParseResult result = ParseBinaryResponse(wire, {}, &r);
  EXPECT_TRUE(result.ok());
  EXPECT_EQ(result.consumed, wire.size());
  return r;
}

std::vector<std::string> SampleResponses() {
  return {
      BinaryGetHitResponse(Op(BinaryOpcode::kGet), 1, 0xdeadbeef, 7, "key", "value").ToString(),
      BinaryGetHitResponse(Op(BinaryOpcode::kGetKQ), 2, 0, 8, "key", "value").ToString(),
      BinaryGetHitResponse(Op(BinaryOpcode::kTouch), 3, 5, 9, "key", "").ToString(),
      BinaryGetMissResponse(Op(BinaryOpcode::kGet), 4, "key").ToString(),
      BinaryGetMissResponse(Op(BinaryOpcode::kGatK), 5, "key").ToString(),
      BinarySuccessResponse(Op(BinaryOpcode::kSet), 6, 1234).ToString(),
      BinaryCounterResponse(Op(BinaryOpcode::kDecrement), 7, 3, 41).ToString(),
      BinaryErrorResponse(Op(BinaryOpcode::kAddQ), 8, BinaryStatus::kKeyExists).ToString(),
      BinaryVersionResponse(9, "1.6.18").ToString(),
      BinaryStatResponse(10, "pid", "4242").ToString(),
      BinaryStatResponse(10, "", "").ToString(),
  };
}

TEST(BinaryResponseParserTest, GetHitsAndMisses) {
  BinaryResponse r = ParseWhole(
      BinaryGetHitResponse(Op(BinaryOpcode::kGet), 1, 0xdeadbeef, 7, "key", "value").ToString());
  EXPECT_EQ(r.opcode, BinaryOpcode::kGet);
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.status().ok());
  EXPECT_EQ(r.flags, 0xdeadbeefu);
  EXPECT_EQ(r.cas, 7u);
  EXPECT_EQ(r.opaque, 1u);
  EXPECT_TRUE(r.key.empty());
  EXPECT_EQ(r.value, "value");

  r = ParseWhole(
      BinaryGetHitResponse(Op(BinaryOpcode::kGatKQ), 2, 3, 8, "key", "value").ToString());
  EXPECT_EQ(r.key, "key");
  EXPECT_EQ(r.value, "value");
  EXPECT_EQ(r.flags, 3u);

  r = ParseWhole(BinaryGetMissResponse(Op(BinaryOpcode::kGet), 4, "key").ToString());
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(GetMcCode(r.status()), McCode::kNotFound);
  EXPECT_EQ(r.value, "Not found");

  r = ParseWhole(BinaryGetMissResponse(Op(BinaryOpcode::kGetK), 5, "key").ToString());
  EXPECT_EQ(GetMcCode(r.status()), McCode::kNotFound);
  EXPECT_EQ(r.key, "key");
  EXPECT_TRUE(r.value.empty());
}

TEST(BinaryResponseParserTest, StoreCounterVersion) {
  BinaryResponse r =
      ParseWhole(BinarySuccessResponse(Op(BinaryOpcode::kReplace), 6, 1234).ToString());
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.cas, 1234u);
  r = ParseWhole(
      BinaryCounterResponse(Op(BinaryOpcode::kIncrement), 7, 3, 0xfffffffffffull).ToString());
  EXPECT_EQ(r.counter, 0xfffffffffffull);
  EXPECT_EQ(r.cas, 3u);
  r = ParseWhole(BinaryVersionResponse(9, "1.6.18").ToString());
  EXPECT_EQ(r.value, "1.6.18");
}

// The success response memcached sends for every opcode it serves, and its
// error response, parse back to what was written.
TEST(BinaryResponseParserTest, EveryOpcodeRoundTrips) {
  int opcodes = 0;
  for (int raw = 0; raw < 256; ++raw) {
    const uint8_t op = static_cast<uint8_t>(raw);
    if (!IsMemcachedBinaryOpcode(op)) continue;
    ++opcodes;
    SCOPED_TRACE(BinaryOpcodeName(op));
    const uint32_t opaque = 0x01000000u + op;
    BinaryPacket packet;
    switch (BaseBinaryOpcode(static_cast<BinaryOpcode>(op))) {
      case BinaryOpcode::kGet:
      case BinaryOpcode::kGetK:
      case BinaryOpcode::kTouch:
      case BinaryOpcode::kGat:
      case BinaryOpcode::kGatK:
        packet = BinaryGetHitResponse(op, opaque, 0x0badf00d, 77, "key", "value");
        break;
      case BinaryOpcode::kIncrement:
      case BinaryOpcode::kDecrement:
        packet = BinaryCounterResponse(op, opaque, 77, 123456789);
        break;
      case BinaryOpcode::kVersion:
        packet = BinaryVersionResponse(opaque, "1.6.18");
        break;
      case BinaryOpcode::kStat:
        packet = BinaryStatResponse(opaque, "curr_items", "12");
        break;
      case BinaryOpcode::kSaslListMechs:
        packet = MakeBinaryResponse(op, BinaryStatus::kSuccess, opaque, 0, "", "", "PLAIN");
        break;
      default:
        packet = BinarySuccessResponse(op, opaque, 77);
        break;
    }
    BinaryResponse r = ParseWhole(packet.ToString());
    EXPECT_EQ(static_cast<uint8_t>(r.opcode), op);
    EXPECT_EQ(r.opaque, opaque);
    EXPECT_TRUE(r.status().ok());
    EXPECT_EQ(r.key, packet.key);
    if (packet.head().size() == 24) {
      EXPECT_EQ(r.value, packet.body);
    }

    BinaryResponse e =
        ParseWhole(BinaryErrorResponse(op, opaque, BinaryStatus::kKeyExists).ToString());
    EXPECT_EQ(static_cast<uint8_t>(e.opcode), op);
    EXPECT_EQ(e.opaque, opaque);
    EXPECT_EQ(e.status().code(), absl::StatusCode::kAborted);
    EXPECT_EQ(e.value, "Data exists for key.");
  }
  EXPECT_EQ(opcodes, 35);
}

TEST(BinaryResponseParserTest, StatusesMapThroughCoreStatus) {
  const struct {
    BinaryStatus status;
    McCode code;
  } cases[] = {
      {BinaryStatus::kKeyExists, McCode::kExists},
      {BinaryStatus::kTooLarge, McCode::kTooLarge},
      {BinaryStatus::kInvalidArguments, McCode::kClientError},
      {BinaryStatus::kNotStored, McCode::kNotStored},
      {BinaryStatus::kNonNumeric, McCode::kNonNumeric},
      {BinaryStatus::kAuthError, McCode::kAuthError},
      {BinaryStatus::kAuthContinue, McCode::kAuthContinue},
      {BinaryStatus::kUnknownCommand, McCode::kUnknownCommand},
      {BinaryStatus::kOutOfMemory, McCode::kOutOfMemory},
      {BinaryStatus::kNotSupported, McCode::kNotSupported},
      {BinaryStatus::kInternalError, McCode::kServerError},
      {BinaryStatus::kBusy, McCode::kBusy},
      {BinaryStatus::kTemporaryFailure, McCode::kBusy},
  };
  for (const auto& c : cases) {
    BinaryResponse r = ParseWhole(BinaryErrorResponse(0x01, 1, c.status).ToString());
    EXPECT_EQ(r.status_code, static_cast<uint16_t>(c.status));
    EXPECT_EQ(GetMcCode(r.status()), c.code) << BinaryStatusText(c.status);
    EXPECT_EQ(r.value, BinaryStatusText(c.status));
  }
  // A status memcached never sends: still a response, with a protocol error status.
  BinaryResponse r = ParseWhole(
      MakeBinaryResponse(0x00, static_cast<BinaryStatus>(0x7777), 0, 0, "", "", "").ToString());
  EXPECT_EQ(GetMcCode(r.status()), McCode::kProtocolError);
}

TEST(BinaryResponseParserTest, EverySplitParsesTheSame) {
  for (const std::string& message : SampleResponses()) {
    BinaryResponse whole = ParseWhole(message);
    for (size_t cut = 0; cut < message.size(); ++cut) {
      BinaryResponse part;
      ParseResult r = ParseBinaryResponse(message.substr(0, cut), {}, &part);
      ASSERT_TRUE(r.incomplete()) << "cut " << cut;
      EXPECT_LE(cut + r.bytes_needed, message.size());
    }
    BinaryResponse again;
    std::string longer = message + std::string("\x81", 1);
    ParseResult r = ParseBinaryResponse(longer, {}, &again);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.consumed, message.size());
    EXPECT_EQ(again.value, whole.value);
    EXPECT_EQ(again.key, whole.key);
    EXPECT_EQ(again.cas, whole.cas);
  }
}

TEST(BinaryResponseParserTest, PipelinedQuietGetsEndWithTheNoop) {
  // getq a (hit), getkq b (miss: silent), getkq c (hit), noop.
  std::string stream =
      BinaryGetHitResponse(Op(BinaryOpcode::kGetQ), 1, 0, 11, "a", "A").ToString() +
      BinaryGetHitResponse(Op(BinaryOpcode::kGetKQ), 3, 0, 12, "c", "C").ToString() +
      BinarySuccessResponse(Op(BinaryOpcode::kNoop), 4).ToString();
  absl::string_view rest = stream;
  std::vector<uint32_t> opaques;
  std::vector<std::string> values;
  BinaryResponse r;
  while (true) {
    ParseResult result = ParseBinaryResponse(rest, {}, &r);
    ASSERT_TRUE(result.ok());
    rest.remove_prefix(result.consumed);
    if (r.opcode == BinaryOpcode::kNoop) break;
    opaques.push_back(r.opaque);
    values.emplace_back(r.value);
  }
  EXPECT_TRUE(rest.empty());
  EXPECT_EQ(opaques, (std::vector<uint32_t>{1, 3}));
  EXPECT_EQ(values, (std::vector<std::string>{"A", "C"}));
}

TEST(BinaryResponseParserTest, HostileResponses) {
  auto header = [](uint8_t magic, uint8_t opcode, uint16_t key_length, uint8_t extras_length,
                   uint16_t status, uint32_t body_length) {
    BinaryHeader h;
    h.magic = magic;
    h.opcode = opcode;
    h.key_length = key_length;
    h.extras_length = extras_length;
    h.status_or_vbucket = status;
    h.body_length = body_length;
    std::string out(kBinaryHeaderSize, '\0');
    EncodeBinaryHeader(h, &out[0]);
    return out;
  };
  const std::string cases[] = {
      header(0x80, 0, 0, 0, 0, 0),                             // request magic
      header(0x00, 0, 0, 0, 0, 0),                             // garbage
      header(0x81, 0, 3, 0, 0, 2) + "abc",                     // key > body
      header(0x81, 0, 0xffff, 255, 0, 0),                      // ext + key > body
      header(0x81, 0, 0, 0, 0, 0xffffffff),                    // body 4 GiB
      header(0x81, 0, 0, 0, 0, 3) + "abc",                     // get hit without flags
      header(0x81, 0x0c, 1, 8, 0, 10) + std::string(10, 'x'),  // getk hit, 8-byte extras
      header(0x81, 0x05, 0, 0, 0, 4) + "abcd",                 // counter of 4 bytes
      header(0x81, 0x06, 0, 4, 0, 12) + std::string(12, 'x'),  // counter with extras
  };
  for (const std::string& in : cases) {
    BinaryResponse r;
    ParseResult result = ParseBinaryResponse(in, {}, &r);
    ASSERT_EQ(result.status, ParseStatus::kError);
    EXPECT_TRUE(result.error.close);
  }
  // A 64 MiB body: under a small limit it is refused from the header alone.
  BinaryResponseParserOptions small;
  small.max_body_length = 1 << 20;
  BinaryResponse r;
  EXPECT_EQ(ParseBinaryResponse(header(0x81, 0, 0, 4, 0, 64 << 20), small, &r).status,
            ParseStatus::kError);
  // Under the default it is awaited, and no more than the body is asked for.
  ParseResult waiting = ParseBinaryResponse(header(0x81, 0, 0, 4, 0, 64 << 20), {}, &r);
  ASSERT_TRUE(waiting.incomplete());
  EXPECT_EQ(waiting.bytes_needed, size_t{64} << 20);
  // Errors need no particular shape: an error to a get has no flags.
  EXPECT_TRUE(ParseBinaryResponse(header(0x81, 0, 0, 0, 1, 0), {}, &r).ok());
}

TEST(BinaryResponseParserTest, StatStreamGathersUntilTheEmptyKey) {
  std::string stream = BinaryStatResponse(3, "pid", "4242").ToString() +
                       BinaryStatResponse(3, "uptime", "10").ToString() +
                       BinaryStatResponse(3, "", "").ToString() + "trailing";
  BinaryStatStream stats;
  absl::string_view rest = stream;
  // Fed one byte at a time, as a slow socket would.
  size_t have = 0;
  while (!stats.done()) {
    ParseResult r = stats.Parse(rest.substr(0, have));
    if (r.incomplete()) {
      ASSERT_LE(have, rest.size());
      ++have;
      continue;
    }
    ASSERT_TRUE(r.ok());
    rest.remove_prefix(r.consumed);
    have = 0;
  }
  EXPECT_TRUE(stats.status().ok());
  EXPECT_EQ(rest, "trailing");
  ASSERT_EQ(stats.stats().size(), 2u);
  EXPECT_EQ(stats.stats()[0], (std::pair<std::string, std::string>("pid", "4242")));
  EXPECT_EQ(stats.stats()[1], (std::pair<std::string, std::string>("uptime", "10")));
}

TEST(BinaryResponseParserTest, StatStreamEndsOnAnError) {
  BinaryStatStream stats;
  std::string miss =
      BinaryErrorResponse(Op(BinaryOpcode::kStat), 3, BinaryStatus::kKeyNotFound).ToString();
  ASSERT_TRUE(stats.Parse(miss).ok());
  EXPECT_TRUE(stats.done());
  EXPECT_EQ(stats.status().code(), absl::StatusCode::kNotFound);
  // A packet of another opcode inside a stat stream is a protocol error.
  BinaryStatStream other;
  ParseResult r = other.Parse(BinarySuccessResponse(Op(BinaryOpcode::kNoop), 0).ToString());
  EXPECT_EQ(r.status, ParseStatus::kError);
}

}  // namespace
}  // namespace protocol
}  // namespace memkit
