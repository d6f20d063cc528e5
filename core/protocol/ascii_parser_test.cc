// ParseAsciiRequest(): the fields of every text and meta command, options,
// incremental input, pipelining (memcached's number and base64 rules are
// tested in core/text and core/keys). Malformed input has its own table test
// (ascii_hostile_test.cc) recorded from a real memcached.

#include "core/protocol/ascii_parser.h"

#include <cstdint>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace memkit {
namespace protocol {
namespace {

class AsciiParserTest : public ::testing::Test {
 protected:
  // Parses `input`, which must hold exactly one whole request.
  const AsciiRequest& Parse(absl::string_view input) {
    ParseResult r = ParseAsciiRequest(input, options_, &req_);
    EXPECT_TRUE(r.ok()) << input << " -> " << r.error.reply;
    EXPECT_EQ(r.consumed, input.size()) << input;
    return req_;
  }
  ParseResult Try(absl::string_view input) { return ParseAsciiRequest(input, options_, &req_); }

  AsciiParserOptions options_;
  AsciiRequest req_;
};

TEST_F(AsciiParserTest, Retrievals) {
  const AsciiRequest& r = Parse("get a bb ccc\r\n");
  EXPECT_EQ(r.command, AsciiCommand::kGet);
  EXPECT_EQ(r.keys, (std::vector<absl::string_view>{"a", "bb", "ccc"}));
  EXPECT_EQ(r.key, "a");
  EXPECT_EQ(Parse("gets k\n").command, AsciiCommand::kGets);
  EXPECT_EQ(Parse("bget k\r\n").command, AsciiCommand::kGet);
  Parse("gat -5 x y\r\n");
  EXPECT_EQ(req_.command, AsciiCommand::kGat);
  EXPECT_EQ(req_.exptime, -5);
  EXPECT_EQ(req_.keys, (std::vector<absl::string_view>{"x", "y"}));
  Parse("gats 100 x\r\n");
  EXPECT_EQ(req_.command, AsciiCommand::kGats);
  EXPECT_EQ(req_.exptime, 100);
  // memcached takes "gat <exptime>" without keys (and answers END).
  Parse("gat 1\r\n");
  EXPECT_TRUE(req_.keys.empty());
}

TEST_F(AsciiParserTest, GetWithKeyTooLongDropsUnsentRepliesAndKeepsEarlierKeys) {
  const std::string line = "gat 100 a bb " + std::string(251, 'k') + " c\r\n";
  ParseResult r = Try(line);
  ASSERT_EQ(r.status, ParseStatus::kError);
  EXPECT_EQ(r.consumed, line.size());
  EXPECT_EQ(r.error.reply, "CLIENT_ERROR bad command line format\r\n");
  EXPECT_TRUE(r.error.drop_unsent);
  EXPECT_FALSE(r.error.close);
  // What memcached looked up (and touched) before it met the long key.
  EXPECT_EQ(req_.command, AsciiCommand::kGat);
  EXPECT_EQ(req_.exptime, 100);
  EXPECT_EQ(req_.keys, (std::vector<absl::string_view>{"a", "bb"}));
  // Other commands' long keys only refuse themselves.
  ParseResult del = Try("delete " + std::string(251, 'k') + "\r\n");
  ASSERT_EQ(del.status, ParseStatus::kError);
  EXPECT_FALSE(del.error.drop_unsent);
}

TEST_F(AsciiParserTest, MultigetPastTwentyThreeTokens) {
  std::string line = "get";
  for (int i = 0; i < 100; ++i) line += " key" + std::to_string(i);
  line += "\r\n";
  const AsciiRequest& r = Parse(line);
  ASSERT_EQ(r.keys.size(), 100u);
  EXPECT_EQ(r.keys[0], "key0");
  EXPECT_EQ(r.keys[99], "key99");
}

TEST_F(AsciiParserTest, Storage) {
  const AsciiRequest& r = Parse("set k 42 -1 5 noreply\r\nhe\r\no\r\n");
  EXPECT_EQ(r.command, AsciiCommand::kSet);
  EXPECT_EQ(r.key, "k");
  EXPECT_EQ(r.flags, 42u);
  EXPECT_EQ(r.exptime, -1);
  EXPECT_EQ(r.value, "he\r\no");
  EXPECT_TRUE(r.noreply);
  Parse("cas k 4294967295 0 0 18446744073709551615\r\n\r\n");
  EXPECT_EQ(req_.command, AsciiCommand::kCas);
  EXPECT_EQ(req_.flags, 4294967295u);
  EXPECT_EQ(req_.cas, 18446744073709551615u);
  EXPECT_EQ(req_.value, "");
  EXPECT_FALSE(req_.noreply);
  EXPECT_EQ(Parse("add k 0 0 1\r\nx\r\n").command, AsciiCommand::kAdd);
  EXPECT_EQ(Parse("replace k 0 0 1\r\nx\r\n").command, AsciiCommand::kReplace);
  EXPECT_EQ(Parse("append k 0 0 1\r\nx\r\n").command, AsciiCommand::kAppend);
  EXPECT_EQ(Parse("prepend k 0 0 1\r\nx\r\n").command, AsciiCommand::kPrepend);
}

TEST_F(AsciiParserTest, OtherTextCommands) {
  Parse("delete k noreply\r\n");
  EXPECT_EQ(req_.command, AsciiCommand::kDelete);
  EXPECT_TRUE(req_.noreply);
  Parse("delete k 0\r\n");
  EXPECT_FALSE(req_.noreply);
  Parse("incr k 18446744073709551615\r\n");
  EXPECT_EQ(req_.command, AsciiCommand::kIncr);
  EXPECT_EQ(req_.delta, 18446744073709551615u);
  Parse("decr k 7 noreply\r\n");
  EXPECT_EQ(req_.command, AsciiCommand::kDecr);
  EXPECT_EQ(req_.delta, 7u);
  EXPECT_TRUE(req_.noreply);
  Parse("touch k 9\r\n");
  EXPECT_EQ(req_.command, AsciiCommand::kTouch);
  EXPECT_EQ(req_.exptime, 9);
  Parse("flush_all\r\n");
  EXPECT_EQ(req_.command, AsciiCommand::kFlushAll);
  EXPECT_FALSE(req_.has_delay);
  Parse("flush_all 30 noreply\r\n");
  EXPECT_TRUE(req_.has_delay);
  EXPECT_EQ(req_.exptime, 30);
  EXPECT_TRUE(req_.noreply);
  Parse("flush_all noreply\r\n");
  EXPECT_FALSE(req_.has_delay);
  EXPECT_TRUE(req_.noreply);
  Parse("verbosity 2\r\n");
  EXPECT_EQ(req_.command, AsciiCommand::kVerbosity);
  EXPECT_EQ(req_.number, 2u);
  Parse("cache_memlimit 100 noreply\r\n");
  EXPECT_EQ(req_.command, AsciiCommand::kCacheMemlimit);
  EXPECT_EQ(req_.number, 100u);
  EXPECT_EQ(Parse("version\r\n").command, AsciiCommand::kVersion);
  EXPECT_EQ(Parse("quit\r\n").command, AsciiCommand::kQuit);
}

TEST_F(AsciiParserTest, StatsShutdownAndAdmin) {
  Parse("stats\r\n");
  EXPECT_EQ(req_.command, AsciiCommand::kStats);
  EXPECT_TRUE(req_.args().empty());
  Parse("stats detail on\r\n");
  ASSERT_EQ(req_.args().size(), 2u);
  EXPECT_EQ(req_.args()[0], "detail");
  EXPECT_EQ(req_.args()[1], "on");
  EXPECT_EQ(Parse("shutdown\r\n").shutdown_mode, ShutdownMode::kImmediate);
  EXPECT_EQ(Parse("shutdown graceful\r\n").shutdown_mode, ShutdownMode::kGraceful);
  EXPECT_EQ(Parse("shutdown now\r\n").shutdown_mode, ShutdownMode::kInvalid);
  for (const char* line : {"slabs automove 1\r\n", "lru mode flat\r\n", "lru_crawler sleep 5\r\n",
                           "watch fetchers\r\n", "extstore item_size 10\r\n", "refresh_certs\r\n"}) {
    Parse(line);
    EXPECT_EQ(req_.command, AsciiCommand::kAdmin) << line;
    EXPECT_FALSE(req_.command_name.empty()) << line;
  }
}

TEST_F(AsciiParserTest, MetaGet) {
  Parse("mg foo s v t c f l h k u q Oabc T30 N60 R10 I P L\r\n");
  EXPECT_EQ(req_.command, AsciiCommand::kMetaGet);
  EXPECT_EQ(req_.key, "foo");
  EXPECT_TRUE(req_.noreply);
  EXPECT_EQ(req_.opaque, "abc");
  EXPECT_EQ(req_.exptime, 30);
  EXPECT_EQ(req_.vivify_ttl, 60);
  EXPECT_EQ(req_.recache_ttl, 10);
  ASSERT_EQ(req_.meta_flags().size(), 17u);
  EXPECT_EQ(req_.meta_flags()[0].flag, 's');
  EXPECT_EQ(req_.meta_flags()[10].flag, 'O');
  EXPECT_EQ(req_.meta_flags()[10].token, "abc");
  EXPECT_TRUE(req_.HasMetaFlag('v'));
  EXPECT_FALSE(req_.HasMetaFlag('E'));
  EXPECT_EQ(req_.MetaToken('T'), "30");
}

TEST_F(AsciiParserTest, MetaSetModesAndValue) {
  Parse("ms foo 5 F7 T-1 C99 I k c\r\nhello\r\n");
  EXPECT_EQ(req_.command, AsciiCommand::kMetaSet);
  EXPECT_EQ(req_.value, "hello");
  EXPECT_EQ(req_.flags, 7u);
  EXPECT_EQ(req_.exptime, -1);
  EXPECT_EQ(req_.cas, 99u);
  EXPECT_EQ(req_.set_mode, MetaSetMode::kSet);
  const std::pair<const char*, MetaSetMode> modes[] = {
      {"MS", MetaSetMode::kSet},        {"ME", MetaSetMode::kAdd},
      {"MA", MetaSetMode::kAppend},     {"MP", MetaSetMode::kPrepend},
      {"MR", MetaSetMode::kReplace},
  };
  for (const auto& m : modes) {
    Parse(std::string("ms foo 1 ") + m.first + "\r\nx\r\n");
    EXPECT_EQ(req_.set_mode, m.second) << m.first;
  }
}

TEST_F(AsciiParserTest, MetaArithmeticDeleteNoopDebug) {
  Parse("ma foo\r\n");
  EXPECT_EQ(req_.command, AsciiCommand::kMetaArithmetic);
  EXPECT_EQ(req_.delta, 1u);  // memcached's default
  EXPECT_EQ(req_.arithmetic_mode, MetaArithmeticMode::kIncrement);
  Parse("ma foo MD D10 J5 N0 v\r\n");
  EXPECT_EQ(req_.arithmetic_mode, MetaArithmeticMode::kDecrement);
  EXPECT_EQ(req_.delta, 10u);
  EXPECT_EQ(req_.initial, 5u);
  EXPECT_EQ(Parse("ma foo M-\r\n").arithmetic_mode, MetaArithmeticMode::kDecrement);
  EXPECT_EQ(Parse("ma foo M+\r\n").arithmetic_mode, MetaArithmeticMode::kIncrement);
  Parse("md foo q I T30 C5\r\n");
  EXPECT_EQ(req_.command, AsciiCommand::kMetaDelete);
  EXPECT_TRUE(req_.noreply);
  EXPECT_TRUE(req_.HasMetaFlag('I'));
  EXPECT_EQ(req_.cas, 5u);
  EXPECT_EQ(Parse("mn\r\n").command, AsciiCommand::kMetaNoop);
  Parse("me foo\r\n");
  EXPECT_EQ(req_.command, AsciiCommand::kMetaDebug);
  EXPECT_EQ(req_.key, "foo");
}

TEST_F(AsciiParserTest, Base64Keys) {
  Parse("mg AAEC/w== b k v\r\n");
  EXPECT_TRUE(req_.key_is_base64);
  EXPECT_EQ(req_.key, absl::string_view("\x00\x01\x02\xff", 4));
  Parse("me IGE= b\r\n");
  EXPECT_EQ(req_.key, " a");
  // The decoded key lives in the request, not in the input.
  std::string input = "ms Zm9v 1 b\r\nx\r\n";
  Parse(input);
  input.assign(input.size(), '#');
  EXPECT_EQ(req_.key, "foo");
}

TEST_F(AsciiParserTest, ExplicitCasFlagIsAnOption) {
  ParseResult r = Try("ms foo 1 E77\r\nx\r\n");
  ASSERT_EQ(r.status, ParseStatus::kError);
  EXPECT_EQ(r.error.reply, "CLIENT_ERROR invalid flag\r\n");  // as 1.6.18
  EXPECT_EQ(r.error.swallow, 3u);
  options_.meta_explicit_cas = true;
  Parse("ms foo 1 E77\r\nx\r\n");
  EXPECT_EQ(req_.new_cas, 77u);
  r = Try("mg foo Ex\r\n");
  EXPECT_EQ(r.error.reply, "CLIENT_ERROR bad token in command line format\r\n");
}

TEST_F(AsciiParserTest, MaxValueSizeSwallowsWithoutBuffering) {
  options_.max_value_size = 10;
  ParseResult r = Try("set k 0 0 11\r\n");  // nothing of the block has arrived
  ASSERT_EQ(r.status, ParseStatus::kError);
  EXPECT_EQ(r.error.reply, "SERVER_ERROR object too large for cache\r\n");
  EXPECT_EQ(r.consumed, 14u);
  EXPECT_EQ(r.error.swallow, 13u);
  EXPECT_FALSE(r.error.close);
  EXPECT_TRUE(Parse("set k 0 0 10\r\n0123456789\r\n").value == "0123456789");
  // A declared length near 2^31 is refused at once, not waited for.
  options_.max_value_size = 1u << 30;
  r = Try("set k 0 0 2147483645\r\n");
  ASSERT_EQ(r.status, ParseStatus::kError);
  EXPECT_EQ(r.error.swallow, 2147483647u);
}

TEST_F(AsciiParserTest, MaxKeyLengthIsAnOption) {
  options_.max_key_length = 3;
  EXPECT_TRUE(Try("get abc\r\n").ok());
  EXPECT_EQ(Try("get abcd\r\n").error.reply, "CLIENT_ERROR bad command line format\r\n");
  EXPECT_EQ(Try("mg abcd v\r\n").error.reply, "CLIENT_ERROR bad command line format\r\n");
}

TEST_F(AsciiParserTest, BytesNeededIsExactInsideADataBlock) {
  const std::string input = "set k 0 0 10\r\n0123456789\r\n";
  for (size_t n = 0; n < input.size(); ++n) {
    ParseResult r = Try(absl::string_view(input).substr(0, n));
    ASSERT_TRUE(r.incomplete()) << n;
    EXPECT_EQ(r.consumed, 0u);
    if (n >= 14) {
      EXPECT_EQ(r.bytes_needed, input.size() - n) << n;
    } else {
      EXPECT_EQ(r.bytes_needed, 1u) << n;  // still waiting for the line end
    }
  }
  EXPECT_TRUE(Try(input).ok());
}

TEST_F(AsciiParserTest, PipelinedRequestsOneAtATime) {
  const std::string input =
      "get a\r\nset b 0 0 1\r\nx\r\nmg c v\nbogus\r\nms d 2 q\r\nhi\r\nincr e 1\r\n";
  std::vector<std::string> seen;
  absl::string_view rest = input;
  while (!rest.empty()) {
    ParseResult r = Try(rest);
    ASSERT_FALSE(r.incomplete());
    seen.push_back(r.ok() ? std::string(AsciiCommandName(req_.command)) : r.error.reply);
    rest.remove_prefix(r.consumed + r.error.swallow);
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"get", "set", "mg", "ERROR\r\n", "ms", "incr"}));
}

TEST_F(AsciiParserTest, ClearKeepsKeyCapacity) {
  Parse("get a b c d e f g h\r\n");
  const size_t capacity = req_.keys.capacity();
  const absl::string_view* data = req_.keys.data();
  Parse("get x\r\n");
  Parse("get a b c d e f g h\r\n");
  EXPECT_EQ(req_.keys.capacity(), capacity);
  EXPECT_EQ(req_.keys.data(), data);
}

}  // namespace
}  // namespace protocol
}  // namespace memkit
