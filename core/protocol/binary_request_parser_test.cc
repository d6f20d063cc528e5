#include "core/protocol/binary_request_parser.h"

#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "core/protocol/binary_response_writer.h"
#include "gtest/gtest.h"

namespace memkit {
namespace protocol {
namespace {

constexpr uint8_t Op(BinaryOpcode op) { return static_cast<uint8_t>(op); }

// A request with whatever lengths the header claims, followed by `payload`.
std::string Raw(uint8_t opcode, uint16_t key_length, uint8_t extras_length, uint32_t body_length,
                const std::string& payload = "", uint32_t opaque = 0, uint64_t cas = 0,
                uint8_t magic = kBinaryRequestMagic) {
  BinaryHeader h;
  h.magic = magic;
  h.opcode = opcode;
  h.key_length = key_length;
  h.extras_length = extras_length;
  h.body_length = body_length;
  h.opaque = opaque;
  h.cas = cas;
  std::string out(kBinaryHeaderSize, '\0');
  EncodeBinaryHeader(h, &out[0]);
  return out + payload;
}

// A well-formed request: lengths from the parts.
std::string Req(uint8_t opcode, const std::string& extras, const std::string& key,
                const std::string& value = "", uint32_t opaque = 0, uint64_t cas = 0) {
  return Raw(opcode, static_cast<uint16_t>(key.size()), static_cast<uint8_t>(extras.size()),
             static_cast<uint32_t>(extras.size() + key.size() + value.size()), extras + key + value,
             opaque, cas);
}

std::string Be32(uint32_t v) {
  std::string s(4, '\0');
  StoreBigEndian32(v, &s[0]);
  return s;
}
std::string Be64(uint64_t v) {
  std::string s(8, '\0');
  StoreBigEndian64(v, &s[0]);
  return s;
}

// Parsed requests point into their input: keep every input alive for the
// whole test program.
const std::string& Keep(std::string input) {
  static auto* kept = new std::deque<std::string>();
  kept->push_back(std::move(input));
  return kept->back();
}

ParseResult Parse(std::string input, BinaryRequest* out, const BinaryParserOptions& options = {}) {
  return ParseBinaryRequest(Keep(std::move(input)), options, out);
}

TEST(BinaryRequestParserTest, GetFamily) {
  for (BinaryOpcode op :
       {BinaryOpcode::kGet, BinaryOpcode::kGetQ, BinaryOpcode::kGetK, BinaryOpcode::kGetKQ}) {
    std::string in = Req(Op(op), "", "foo", "", 0x01020304, 77);
    BinaryRequest r;
    ParseResult result = ParseBinaryRequest(in, {}, &r);
    ASSERT_TRUE(result.ok()) << BinaryOpcodeName(Op(op));
    EXPECT_EQ(result.consumed, in.size());
    EXPECT_EQ(r.opcode, op);
    EXPECT_EQ(r.command, BaseBinaryOpcode(op));
    EXPECT_EQ(r.quiet, IsQuietBinaryOpcode(Op(op)));
    EXPECT_EQ(r.key, "foo");
    EXPECT_EQ(r.key.data(), in.data() + 24);  // a view, not a copy
    EXPECT_TRUE(r.value.empty());
    EXPECT_EQ(r.opaque, 0x01020304u);
    EXPECT_EQ(r.cas, 77u);
  }
}

TEST(BinaryRequestParserTest, StorageCommandsDecodeFlagsAndExptime) {
  for (BinaryOpcode op : {BinaryOpcode::kSet, BinaryOpcode::kSetQ, BinaryOpcode::kAdd,
                          BinaryOpcode::kAddQ, BinaryOpcode::kReplace, BinaryOpcode::kReplaceQ}) {
    std::string in = Req(Op(op), Be32(0xdeadbeef) + Be32(3600), "key", "value", 9, 1234);
    BinaryRequest r;
    ParseResult result = ParseBinaryRequest(in, {}, &r);
    ASSERT_TRUE(result.ok()) << BinaryOpcodeName(Op(op));
    EXPECT_EQ(result.consumed, in.size());
    EXPECT_EQ(r.command, BaseBinaryOpcode(op));
    EXPECT_EQ(r.key, "key");
    EXPECT_EQ(r.value, "value");
    EXPECT_EQ(r.value.data(), in.data() + 24 + 8 + 3);
    EXPECT_EQ(r.flags, 0xdeadbeefu);
    EXPECT_EQ(r.exptime, 3600u);
    EXPECT_EQ(r.cas, 1234u);
    EXPECT_EQ(r.extras.size(), 8u);
  }
}

TEST(BinaryRequestParserTest, AppendPrependHaveNoExtras) {
  for (BinaryOpcode op : {BinaryOpcode::kAppend, BinaryOpcode::kAppendQ, BinaryOpcode::kPrepend,
                          BinaryOpcode::kPrependQ}) {
    std::string in = Req(Op(op), "", "k", "tail");
    BinaryRequest r;
    ASSERT_TRUE(Parse(in, &r).ok());
    EXPECT_EQ(r.key, "k");
    EXPECT_EQ(r.value, "tail");
  }
  // An empty value is fine too.
  BinaryRequest r;
  EXPECT_TRUE(Parse(Req(Op(BinaryOpcode::kAppend), "", "k", ""), &r).ok());
}

TEST(BinaryRequestParserTest, CountersDecodeDeltaInitialExptime) {
  for (BinaryOpcode op : {BinaryOpcode::kIncrement, BinaryOpcode::kIncrementQ,
                          BinaryOpcode::kDecrement, BinaryOpcode::kDecrementQ}) {
    std::string in = Req(Op(op), Be64(0x0102030405060708ull) + Be64(42) + Be32(0xffffffff), "ctr");
    BinaryRequest r;
    ASSERT_TRUE(Parse(in, &r).ok());
    EXPECT_EQ(r.delta, 0x0102030405060708ull);
    EXPECT_EQ(r.initial, 42u);
    EXPECT_EQ(r.exptime, 0xffffffffu);
    EXPECT_EQ(r.key, "ctr");
  }
}

TEST(BinaryRequestParserTest, TouchAndGatFamily) {
  for (BinaryOpcode op : {BinaryOpcode::kTouch, BinaryOpcode::kGat, BinaryOpcode::kGatQ,
                          BinaryOpcode::kGatK, BinaryOpcode::kGatKQ}) {
    std::string in = Req(Op(op), Be32(100), "foo");
    BinaryRequest r;
    ParseResult result = Parse(in, &r);
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(result.consumed, in.size());
    EXPECT_EQ(r.exptime, 100u);
    EXPECT_EQ(r.key, "foo");
  }
}

TEST(BinaryRequestParserTest, BareAndSmallCommands) {
  BinaryRequest r;
  for (BinaryOpcode op : {BinaryOpcode::kNoop, BinaryOpcode::kVersion, BinaryOpcode::kQuit,
                          BinaryOpcode::kQuitQ, BinaryOpcode::kFlush, BinaryOpcode::kFlushQ}) {
    ParseResult result = Parse(Req(Op(op), "", ""), &r);
    ASSERT_TRUE(result.ok()) << BinaryOpcodeName(Op(op));
    EXPECT_EQ(result.consumed, 24u);
    EXPECT_EQ(r.opcode, op);
  }
  ASSERT_TRUE(Parse(Req(Op(BinaryOpcode::kFlush), Be32(30), ""), &r).ok());
  EXPECT_EQ(r.exptime, 30u);
  ASSERT_TRUE(Parse(Req(Op(BinaryOpcode::kStat), "", ""), &r).ok());
  EXPECT_TRUE(r.key.empty());
  ASSERT_TRUE(Parse(Req(Op(BinaryOpcode::kStat), "", "settings"), &r).ok());
  EXPECT_EQ(r.key, "settings");
  ASSERT_TRUE(Parse(Req(Op(BinaryOpcode::kDelete), "", "gone", "", 0, 5), &r).ok());
  EXPECT_EQ(r.key, "gone");
  EXPECT_EQ(r.cas, 5u);
}

// A well-formed request for every opcode memcached 1.6.18 serves.
std::vector<std::string> SampleRequests() {
  std::vector<std::string> out;
  for (int raw = 0; raw < 256; ++raw) {
    const uint8_t op = static_cast<uint8_t>(raw);
    if (!IsMemcachedBinaryOpcode(op)) continue;
    const uint32_t opaque = 1000 + op;
    switch (BaseBinaryOpcode(static_cast<BinaryOpcode>(op))) {
      case BinaryOpcode::kGet:
      case BinaryOpcode::kGetK:
      case BinaryOpcode::kDelete:
        out.push_back(Req(op, "", "some-key", "", opaque, 5));
        break;
      case BinaryOpcode::kSet:
      case BinaryOpcode::kAdd:
      case BinaryOpcode::kReplace:
        out.push_back(Req(op, Be32(1) + Be32(2), "key", "a value", opaque, 99));
        break;
      case BinaryOpcode::kAppend:
      case BinaryOpcode::kPrepend:
        out.push_back(Req(op, "", "key", "more", opaque));
        break;
      case BinaryOpcode::kIncrement:
      case BinaryOpcode::kDecrement:
        out.push_back(Req(op, Be64(1) + Be64(0) + Be32(0), "n", "", opaque));
        break;
      case BinaryOpcode::kFlush:
        out.push_back(Req(op, Be32(10), "", "", opaque));
        break;
      case BinaryOpcode::kStat:
        out.push_back(Req(op, "", "items", "", opaque));
        break;
      case BinaryOpcode::kTouch:
      case BinaryOpcode::kGat:
      case BinaryOpcode::kGatK:
        out.push_back(Req(op, Be32(5), "key", "", opaque));
        break;
      case BinaryOpcode::kSaslAuth:
      case BinaryOpcode::kSaslStep:
        out.push_back(Req(op, "", "PLAIN", std::string("\0u\0p", 4), opaque));
        break;
      default:  // quit, noop, version, sasl_list_mechs
        out.push_back(Req(op, "", "", "", opaque));
        break;
    }
  }
  return out;
}

TEST(BinaryRequestParserTest, EverySplitParsesTheSame) {
  BinaryParserOptions options;  // SASL on, so that its opcodes parse too
  options.sasl_enabled = true;
  options.authenticated = true;
  const std::vector<std::string> samples = SampleRequests();
  EXPECT_EQ(samples.size(), 35u);
  for (const std::string& message : samples) {
    SCOPED_TRACE(BinaryOpcodeName(static_cast<uint8_t>(message[1])));
    BinaryRequest whole;
    ParseResult full = ParseBinaryRequest(message, options, &whole);
    ASSERT_TRUE(full.ok());
    ASSERT_EQ(full.consumed, message.size());
    EXPECT_EQ(whole.opaque, 1000u + static_cast<uint8_t>(message[1]));
    for (size_t cut = 0; cut < message.size(); ++cut) {
      BinaryRequest part;
      ParseResult r = ParseBinaryRequest(absl::string_view(message).substr(0, cut), options, &part);
      ASSERT_TRUE(r.incomplete()) << "cut " << cut;
      EXPECT_EQ(r.consumed, 0u);
      EXPECT_GE(r.bytes_needed, 1u);
      // Never asks for more than the message still lacks.
      EXPECT_LE(cut + r.bytes_needed, message.size()) << "cut " << cut;
    }
    // Followed by anything, it parses the same.
    const std::string longer = message + std::string("\x80\x0a", 2);
    BinaryRequest again;
    ParseResult r = ParseBinaryRequest(longer, options, &again);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.consumed, message.size());
    EXPECT_EQ(again.opcode, whole.opcode);
    EXPECT_EQ(again.key, whole.key);
    EXPECT_EQ(again.value, whole.value);
    EXPECT_EQ(again.extras, whole.extras);
    EXPECT_EQ(again.opaque, whole.opaque);
    EXPECT_EQ(again.cas, whole.cas);
    EXPECT_EQ(again.exptime, whole.exptime);
  }
}

TEST(BinaryRequestParserTest, PipelinedQuietGetsThenNoop) {
  std::string stream = Req(Op(BinaryOpcode::kGetQ), "", "a", "", 1) +
                       Req(Op(BinaryOpcode::kGetKQ), "", "bb", "", 2) +
                       Req(Op(BinaryOpcode::kGetQ), "", "ccc", "", 3) +
                       Req(Op(BinaryOpcode::kNoop), "", "", "", 4);
  absl::string_view rest = stream;
  std::vector<std::string> keys;
  std::vector<uint32_t> opaques;
  BinaryRequest r;
  while (!rest.empty()) {
    ParseResult result = ParseBinaryRequest(rest, {}, &r);
    ASSERT_TRUE(result.ok());
    keys.emplace_back(r.key);
    opaques.push_back(r.opaque);
    rest.remove_prefix(result.consumed);
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"a", "bb", "ccc", ""}));
  EXPECT_EQ(opaques, (std::vector<uint32_t>{1, 2, 3, 4}));
  EXPECT_EQ(r.opcode, BinaryOpcode::kNoop);
}

TEST(BinaryRequestParserTest, BadMagicClosesWithoutReply) {
  for (uint8_t magic : {0x00, 0x81, 0xff, 0x67}) {
    BinaryRequest r;
    ParseResult result = Parse(Raw(0x0a, 0, 0, 0, "", 0, 0, magic), &r);
    ASSERT_EQ(result.status, ParseStatus::kError);
    EXPECT_TRUE(result.error.close);
    EXPECT_TRUE(result.error.reply.empty());
  }
  // Decided as soon as the header is in, not before.
  BinaryRequest r;
  EXPECT_TRUE(Parse(std::string(23, 'x'), &r).incomplete());
}

struct Refusal {
  const char* name;
  std::string input;
  BinaryStatus status;  // of the reply
  bool close;
  size_t consumed = 0;  // checked when !close
  size_t swallow = 0;
};

void ExpectRefusal(const Refusal& c, const BinaryParserOptions& options = {}) {
  BinaryRequest r;
  ParseResult result = ParseBinaryRequest(c.input, options, &r);
  ASSERT_EQ(result.status, ParseStatus::kError) << c.name;
  EXPECT_EQ(result.error.close, c.close) << c.name;
  BinaryHeader sent = DecodeBinaryHeader(c.input.data());
  EXPECT_EQ(
      absl::BytesToHexString(result.error.reply),
      absl::BytesToHexString(BinaryErrorResponse(sent.opcode, sent.opaque, c.status).ToString()))
      << c.name;
  if (!c.close) {
    EXPECT_EQ(result.consumed, c.consumed) << c.name;
    EXPECT_EQ(result.error.swallow, c.swallow) << c.name;
  }
}

TEST(BinaryRequestParserTest, LyingLengthsCloseWithUnknownCommand) {
  // extras + key > body: memcached answers "Unknown command" and closes.
  ExpectRefusal({"key > body", Raw(0x00, 3, 0, 2, "foo"), BinaryStatus::kUnknownCommand, true});
  ExpectRefusal({"ext+key > body", Raw(0x01, 3, 8, 10, std::string(11, 'x')),
                 BinaryStatus::kUnknownCommand, true});
  ExpectRefusal({"extras, no body", Raw(0x1c, 0, 255, 0, std::string(255, 'x')),
                 BinaryStatus::kUnknownCommand, true});
  // Like memcached, it waits for the extras and key the header announces
  // before judging them, silently.
  BinaryRequest r;
  ParseResult early = Parse(Raw(0x01, 1, 20, 10, std::string(10, 'x')), &r);
  ASSERT_TRUE(early.incomplete());
  EXPECT_EQ(early.bytes_needed, 11u);
}

TEST(BinaryRequestParserTest, WrongShapesPerOpcodeCloseWithInvalidArguments) {
  const std::string e8 = Be32(0) + Be32(0);
  const std::string e20 = Be64(1) + Be64(0) + Be32(0);
  const Refusal cases[] = {
      {"get with extras", Req(0x00, "abcd", "foo", "", 3), BinaryStatus::kInvalidArguments, true},
      {"get no key", Req(0x00, "", ""), BinaryStatus::kInvalidArguments, true},
      {"get with value", Req(0x00, "", "foo", "v"), BinaryStatus::kInvalidArguments, true},
      {"getq extras", Req(0x09, "ab", "k", "", 3), BinaryStatus::kInvalidArguments, true},
      {"get body 4 GiB", Raw(0x00, 3, 0, 0xffffffff, "foo"), BinaryStatus::kInvalidArguments, true},
      {"set extras 4", Req(0x01, "abcd", "foo", "v"), BinaryStatus::kInvalidArguments, true},
      {"set no extras", Req(0x01, "", "foo", "v"), BinaryStatus::kInvalidArguments, true},
      {"set no key", Req(0x01, e8, "", "v"), BinaryStatus::kInvalidArguments, true},
      {"append extras", Req(0x0e, e8, "foo", "v"), BinaryStatus::kInvalidArguments, true},
      {"append no key", Req(0x0e, "", "", "v"), BinaryStatus::kInvalidArguments, true},
      {"delete extras", Req(0x04, "abcd", "foo"), BinaryStatus::kInvalidArguments, true},
      {"delete value", Req(0x04, "", "foo", "v"), BinaryStatus::kInvalidArguments, true},
      {"incr extras 16", Req(0x05, e20.substr(0, 16), "foo"), BinaryStatus::kInvalidArguments,
       true},
      {"incr value", Req(0x05, e20, "foo", "v"), BinaryStatus::kInvalidArguments, true},
      {"incr no key", Req(0x05, e20, ""), BinaryStatus::kInvalidArguments, true},
      {"flush extras 8", Req(0x08, e8, ""), BinaryStatus::kInvalidArguments, true},
      {"flush extras 4 + value", Req(0x08, "abcd", "", "efgh"), BinaryStatus::kInvalidArguments,
       true},
      {"flush key", Req(0x08, "", "k"), BinaryStatus::kInvalidArguments, true},
      {"noop body", Req(0x0a, "", "k"), BinaryStatus::kInvalidArguments, true},
      {"version value", Req(0x0b, "", "", "v"), BinaryStatus::kInvalidArguments, true},
      {"quit value", Req(0x07, "", "", "v"), BinaryStatus::kInvalidArguments, true},
      {"quitq extras", Req(0x17, "abcd", ""), BinaryStatus::kInvalidArguments, true},
      {"stat extras", Req(0x10, "abcd", ""), BinaryStatus::kInvalidArguments, true},
      {"touch no extras", Req(0x1c, "", "foo"), BinaryStatus::kInvalidArguments, true},
      {"gat extras 8", Req(0x1d, e8, "foo"), BinaryStatus::kInvalidArguments, true},
      {"gatk no key", Req(0x23, "abcd", ""), BinaryStatus::kInvalidArguments, true},
      {"sasl list body", Req(0x20, "", "", "v"), BinaryStatus::kInvalidArguments, true},
      {"sasl auth no key", Req(0x21, "", "", "v"), BinaryStatus::kInvalidArguments, true},
      {"sasl auth extras", Req(0x21, "ab", "PLAIN", "v"), BinaryStatus::kInvalidArguments, true},
      {"key 251", Req(0x00, "", std::string(251, 'k')), BinaryStatus::kInvalidArguments, true},
      {"unknown, key 251", Req(0x50, "", std::string(251, 'k')), BinaryStatus::kInvalidArguments,
       true},
  };
  for (const Refusal& c : cases) ExpectRefusal(c);
  // Decided once the key is in (memcached waits for header, extras, key).
  BinaryRequest r;
  ParseResult header_only = Parse(Raw(0x00, 251, 0, 251), &r);
  ASSERT_TRUE(header_only.incomplete());
  EXPECT_EQ(header_only.bytes_needed, 251u);
  ParseResult with_key = Parse(Raw(0x00, 251, 0, 251, std::string(251, 'k')), &r);
  ASSERT_EQ(with_key.status, ParseStatus::kError);
  EXPECT_TRUE(with_key.error.close);
  // A 250-byte key is fine.
  EXPECT_TRUE(Parse(Req(0x00, "", std::string(250, 'k')), &r).ok());
}

TEST(BinaryRequestParserTest, HeadsBeyondTheReadBufferCloseSilently) {
  // memcached cannot buffer header + extras + key over 16 KiB: it closes
  // without a reply. Up to that it answers "Invalid arguments" (key > 250).
  BinaryRequest r;
  ParseResult fits = Parse(Raw(0x00, 16360, 0, 16360, std::string(16360, 'k')), &r);
  ASSERT_EQ(fits.status, ParseStatus::kError);
  EXPECT_FALSE(fits.error.reply.empty());
  for (const std::string& in : {Raw(0x00, 16361, 0, 16361), Raw(0x50, 16106, 255, 16361),
                                Raw(0x00, 0xffff, 0, 0xffff), Raw(0x01, 0xffff, 8, 0xffffffff)}) {
    ParseResult result = Parse(in, &r);
    ASSERT_EQ(result.status, ParseStatus::kError);
    EXPECT_TRUE(result.error.close);
    EXPECT_TRUE(result.error.reply.empty());
  }
  BinaryParserOptions bigger;
  bigger.read_buffer_size = 1 << 20;
  ExpectRefusal({"keylen 0xffff, big buffer",
                 Raw(0x00, 0xffff, 0, 0xffff, std::string(0xffff, 'k')),
                 BinaryStatus::kInvalidArguments, true},
                bigger);
}

TEST(BinaryRequestParserTest, UnknownOpcodesOverSwallowLikeMemcached) {
  // memcached reads header, extras and key, then swallows `body length` more.
  ExpectRefusal({"bare", Req(0x50, "", "", "", 5), BinaryStatus::kUnknownCommand, false, 24, 0});
  ExpectRefusal({"key", Req(0x50, "", "abc", "", 5), BinaryStatus::kUnknownCommand, false, 27, 3});
  ExpectRefusal({"ext+key+value", Req(0x50, "xy", "abc", "123", 5), BinaryStatus::kUnknownCommand,
                 false, 29, 8});
  ExpectRefusal({"verbosity", Req(0x1b, Be32(1), ""), BinaryStatus::kUnknownCommand, false, 28, 4});
  ExpectRefusal(
      {"range op", Req(0x30, "", "k", "vv"), BinaryStatus::kUnknownCommand, false, 25, 3});
  ExpectRefusal({"body >= 2 GiB swallows nothing", Raw(0x50, 0, 0, 0x80000000),
                 BinaryStatus::kUnknownCommand, false, 24, 0});
  // Waits for extras and key before answering.
  BinaryRequest r;
  EXPECT_TRUE(Parse(Req(0x50, "xy", "abc", "123").substr(0, 28), &r).incomplete());
}

TEST(BinaryRequestParserTest, SaslWithoutSaslIsAnUnknownCommand) {
  ExpectRefusal({"list", Req(0x20, "", "", "", 16), BinaryStatus::kUnknownCommand, false, 24, 0});
  ExpectRefusal({"auth", Req(0x21, "", "PLAIN", std::string("\0a\0b", 4), 16),
                 BinaryStatus::kUnknownCommand, false, 29, 4});
  ExpectRefusal(
      {"step", Req(0x22, "", "PLAIN", "xyz", 16), BinaryStatus::kUnknownCommand, false, 29, 3});
}

TEST(BinaryRequestParserTest, SaslEnabled) {
  BinaryParserOptions sasl;
  sasl.sasl_enabled = true;
  BinaryRequest r;
  EXPECT_TRUE(ParseBinaryRequest(Req(0x20, "", ""), sasl, &r).ok());
  ParseResult auth =
      ParseBinaryRequest(Keep(Req(0x21, "", "PLAIN", std::string("\0u\0p", 4))), sasl, &r);
  ASSERT_TRUE(auth.ok());
  EXPECT_EQ(r.key, "PLAIN");
  EXPECT_EQ(r.value, std::string("\0u\0p", 4));
  EXPECT_TRUE(ParseBinaryRequest(Req(0x0b, "", ""), sasl, &r).ok());
  // Unauthenticated: everything else is refused and closed.
  ExpectRefusal({"get unauth", Req(0x00, "", "foo", "", 3), BinaryStatus::kAuthError, true}, sasl);
  ExpectRefusal({"noop unauth", Req(0x0a, "", ""), BinaryStatus::kAuthError, true}, sasl);
  // A mechanism over 32 bytes: "Invalid arguments", data swallowed, no close.
  ExpectRefusal({"long mech", Req(0x21, "", std::string(40, 'M'), "data", 3),
                 BinaryStatus::kInvalidArguments, false, 64, 4},
                sasl);
  // Data that would need a chunked item: out of memory.
  ExpectRefusal({"huge data", Raw(0x21, 5, 0, 5 + 600000, "PLAIN"), BinaryStatus::kOutOfMemory,
                 false, 29, 600000},
                sasl);
  sasl.authenticated = true;
  EXPECT_TRUE(ParseBinaryRequest(Req(0x00, "", "foo"), sasl, &r).ok());
}

TEST(BinaryRequestParserTest, TooLargeValuesAreRefusedAndSwallowed) {
  const std::string e0 = Be32(0) + Be32(0);
  const std::string e1 = Be32(1) + Be32(0);
  BinaryRequest r;
  // memcached 1.6.18, -I 1m: 48 + (key + 1) + (flags ? 4 : 0) + (value + 2) + 8.
  const uint32_t max_k1 = 1048576 - 48 - 2 - 2 - 8;  // 1048516, as measured
  ParseResult fits = Parse(Raw(0x01, 1, 8, 9 + max_k1, e0 + "k"), &r);
  ASSERT_TRUE(fits.incomplete());
  EXPECT_EQ(fits.bytes_needed, max_k1);
  ExpectRefusal({"one more byte", Raw(0x01, 1, 8, 9 + max_k1 + 1, e0 + "k", 11),
                 BinaryStatus::kTooLarge, false, 33, max_k1 + 1});
  // Nonzero flags cost 4 bytes.
  EXPECT_TRUE(Parse(Raw(0x01, 1, 8, 9 + max_k1 - 4, e1 + "k"), &r).incomplete());
  ExpectRefusal({"flags", Raw(0x01, 1, 8, 9 + max_k1 - 3, e1 + "k"), BinaryStatus::kTooLarge, false,
                 33, max_k1 - 3});
  // append: no flags, no extras.
  EXPECT_TRUE(Parse(Raw(0x0e, 1, 0, 1 + max_k1, "k"), &r).incomplete());
  ExpectRefusal({"append", Raw(0x19, 1, 0, 1 + max_k1 + 1, "k"), BinaryStatus::kTooLarge, false, 25,
                 max_k1 + 1});
  // The refused request's key stays visible (memcached unlinks a set's old item).
  Parse(Raw(0x01, 3, 8, 0x7fffffff, e0 + "big"), &r);
  EXPECT_EQ(r.key, "big");
  EXPECT_EQ(r.command, BinaryOpcode::kSet);
  // Without cas items are 8 bytes smaller; a bigger -I moves the limit.
  BinaryParserOptions no_cas;
  no_cas.use_cas = false;
  EXPECT_TRUE(
      ParseBinaryRequest(Raw(0x01, 1, 8, 9 + max_k1 + 8, e0 + "k"), no_cas, &r).incomplete());
  BinaryParserOptions two_mb;
  two_mb.item_size_max = 2 << 20;
  EXPECT_TRUE(
      ParseBinaryRequest(Raw(0x01, 1, 8, 9 + max_k1 + 1, e0 + "k"), two_mb, &r).incomplete());
}

TEST(BinaryRequestParserTest, HugeBodiesNeverMakeTheParserWaitForThem) {
  const std::string e0 = Be32(0) + Be32(0);
  BinaryRequest r;
  // Before the key is in, only the head is asked for.
  ParseResult head = Parse(Raw(0x01, 3, 8, 0xffffffff), &r);
  ASSERT_TRUE(head.incomplete());
  EXPECT_EQ(head.bytes_needed, 11u);
  // memcached's value length is an int: 4 GiB wraps negative, which it
  // refuses as too large and swallows nothing.
  ExpectRefusal({"body 4 GiB", Raw(0x01, 3, 8, 0xffffffff, e0 + "foo"), BinaryStatus::kTooLarge,
                 false, 35, 0});
  ExpectRefusal({"body 2 GiB + 11", Raw(0x01, 3, 8, 0x80000000u + 11, e0 + "foo"),
                 BinaryStatus::kTooLarge, false, 35, 0});
  ExpectRefusal({"body 2 GiB - 1", Raw(0x01, 3, 8, 0x7fffffff, e0 + "foo"), BinaryStatus::kTooLarge,
                 false, 35, 0x7fffffffu - 11});
  ExpectRefusal(
      {"append 4 GiB", Raw(0x0e, 3, 0, 0xffffffff, "foo"), BinaryStatus::kTooLarge, false, 27, 0});
}

TEST(BinaryRequestParserTest, BytesPastTheKeyOfStatTouchGatAreTheNextRequest) {
  // memcached reads only header, extras and key of these, whatever the body
  // length says; what follows is parsed as a request of its own.
  const std::string noop = Req(Op(BinaryOpcode::kNoop), "", "", "", 0xeeee);
  for (const std::string& in :
       {Raw(0x1c, 3, 4, 7 + 24, Be32(0) + "foo") + noop,
        Raw(0x1d, 3, 4, 7 + 24, Be32(0) + "foo") + noop, Raw(0x10, 5, 0, 5 + 24, "bogus") + noop}) {
    BinaryRequest r;
    ParseResult first = Parse(in, &r);
    ASSERT_TRUE(first.ok());
    EXPECT_EQ(first.consumed, in.size() - noop.size());
    EXPECT_TRUE(r.value.empty());
    ParseResult second = Parse(in.substr(first.consumed), &r);
    ASSERT_TRUE(second.ok());
    EXPECT_EQ(r.opcode, BinaryOpcode::kNoop);
    EXPECT_EQ(r.opaque, 0xeeeeu);
  }
}

TEST(BinaryRequestParserTest, DataTypeAndVbucketAreIgnoredButReported) {
  std::string in = Req(0x00, "", "foo");
  in[5] = 5;
  in[6] = 0;
  in[7] = 77;
  BinaryRequest r;
  ASSERT_TRUE(Parse(in, &r).ok());
  EXPECT_EQ(r.data_type, 5);
  EXPECT_EQ(r.vbucket, 77);
}

}  // namespace
}  // namespace protocol
}  // namespace memkit
