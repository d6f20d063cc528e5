// Round trips: every request written by the client writers parses on the
// server side into what was written; every reply written by the server
// writers parses on the client side into what was written; both hold when
// the byte stream is split at any point. Also the writers' input checks.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/protocol/ascii_parser.h"
#include "core/protocol/ascii_response_parser.h"
#include "core/protocol/ascii_sink.h"
#include "core/protocol/ascii_test_util.h"
#include "core/protocol/meta_reply_writer.h"
#include "core/protocol/meta_request_writer.h"
#include "core/protocol/text_reply_writer.h"
#include "core/protocol/text_request_writer.h"
#include "core/status/status.h"
#include "gtest/gtest.h"

namespace memkit {
namespace protocol {
namespace {

// A value with every byte, line breaks included.
std::string AllBytes() {
  std::string v;
  for (int i = 0; i < 256; ++i) v.push_back(static_cast<char>(i));
  return v + "\r\n\r\nEND\r\n";
}

// Whether two replays parsed the same requests (reporting the first
// difference briefly rather than printing every request).
::testing::AssertionResult SameParses(const testing::Replay& a, const testing::Replay& b) {
  if (a.closed != b.closed) return ::testing::AssertionFailure() << "closed differs";
  for (size_t i = 0; i < a.parsed.size() && i < b.parsed.size(); ++i) {
    if (a.parsed[i] != b.parsed[i]) {
      return ::testing::AssertionFailure() << "request " << i << ": " << a.parsed[i].substr(0, 200)
                                           << " vs " << b.parsed[i].substr(0, 200);
    }
  }
  if (a.parsed.size() != b.parsed.size()) {
    return ::testing::AssertionFailure() << a.parsed.size() << " vs " << b.parsed.size()
                                         << " requests";
  }
  return ::testing::AssertionSuccess();
}

class RequestRoundTripTest : public ::testing::Test {
 protected:
  // Parses the bytes written since the last call as one request.
  const AsciiRequest& ParseWritten() {
    absl::string_view pending = absl::string_view(wire_).substr(parsed_);
    ParseResult r = ParseAsciiRequest(pending, options_, &req_);
    EXPECT_TRUE(r.ok()) << pending.substr(0, 100) << " -> " << r.error.reply;
    EXPECT_EQ(r.consumed, pending.size());
    parsed_ = wire_.size();
    return req_;
  }

  std::string wire_;
  size_t parsed_ = 0;
  StringSink sink_{&wire_};
  AsciiParserOptions options_;
  AsciiRequest req_;
};

TEST_F(RequestRoundTripTest, TextRequests) {
  const std::string value = AllBytes();
  for (AsciiCommand cmd : {AsciiCommand::kSet, AsciiCommand::kAdd, AsciiCommand::kReplace,
                           AsciiCommand::kAppend, AsciiCommand::kPrepend, AsciiCommand::kCas}) {
    for (bool noreply : {false, true}) {
      ASSERT_TRUE(WriteStorageRequest(&sink_, cmd, "key:1", 0xfffffffe, -30, value,
                                      0xfedcba9876543210, noreply)
                      .ok());
      const AsciiRequest& r = ParseWritten();
      EXPECT_EQ(r.command, cmd);
      EXPECT_EQ(r.key, "key:1");
      EXPECT_EQ(r.flags, 0xfffffffeu);
      EXPECT_EQ(r.exptime, -30);
      EXPECT_EQ(r.value, value);
      EXPECT_EQ(r.cas, cmd == AsciiCommand::kCas ? 0xfedcba9876543210u : 0u);
      EXPECT_EQ(r.noreply, noreply);
    }
  }
  std::vector<std::string> owned;
  std::vector<absl::string_view> keys;
  for (int i = 0; i < 100; ++i) owned.push_back(absl::StrCat("user:", i, ":", std::string(30, 'x')));
  for (const std::string& k : owned) keys.push_back(k);
  for (AsciiCommand cmd : {AsciiCommand::kGet, AsciiCommand::kGets}) {
    ASSERT_TRUE(WriteGetRequest(&sink_, cmd, keys).ok());
    EXPECT_EQ(ParseWritten().keys, keys);
    EXPECT_EQ(req_.command, cmd);
  }
  // gat lines get no multiget allowance: stay under 2048 bytes.
  const std::vector<absl::string_view> some_keys(keys.begin(), keys.begin() + 40);
  for (AsciiCommand cmd : {AsciiCommand::kGat, AsciiCommand::kGats}) {
    ASSERT_TRUE(WriteGatRequest(&sink_, cmd, 86400, some_keys).ok());
    EXPECT_EQ(ParseWritten().keys, some_keys);
    EXPECT_EQ(req_.exptime, 86400);
  }
  ASSERT_TRUE(WriteDeleteRequest(&sink_, "k", true).ok());
  EXPECT_EQ(ParseWritten().command, AsciiCommand::kDelete);
  EXPECT_TRUE(req_.noreply);
  for (AsciiCommand cmd : {AsciiCommand::kIncr, AsciiCommand::kDecr}) {
    ASSERT_TRUE(WriteArithmeticRequest(&sink_, cmd, "n", 18446744073709551615u, false).ok());
    EXPECT_EQ(ParseWritten().delta, 18446744073709551615u);
    EXPECT_EQ(req_.command, cmd);
  }
  ASSERT_TRUE(WriteTouchRequest(&sink_, "k", -1, true).ok());
  EXPECT_EQ(ParseWritten().exptime, -1);
  WriteFlushAllRequest(&sink_, absl::nullopt, false);
  EXPECT_FALSE(ParseWritten().has_delay);
  WriteFlushAllRequest(&sink_, 60, true);
  EXPECT_TRUE(ParseWritten().has_delay);
  EXPECT_EQ(req_.exptime, 60);
  EXPECT_TRUE(req_.noreply);
  WriteVerbosityRequest(&sink_, 3, true);
  EXPECT_EQ(ParseWritten().number, 3u);
  WriteVersionRequest(&sink_);
  EXPECT_EQ(ParseWritten().command, AsciiCommand::kVersion);
  ASSERT_TRUE(WriteStatsRequest(&sink_, "detail dump").ok());
  EXPECT_EQ(ParseWritten().args().size(), 2u);
  ASSERT_TRUE(WriteStatsRequest(&sink_, "").ok());
  EXPECT_EQ(ParseWritten().command, AsciiCommand::kStats);
  WriteShutdownRequest(&sink_, true);
  EXPECT_EQ(ParseWritten().shutdown_mode, ShutdownMode::kGraceful);
  WriteCacheMemlimitRequest(&sink_, 1024, false);
  EXPECT_EQ(ParseWritten().number, 1024u);
  WriteQuitRequest(&sink_);
  EXPECT_EQ(ParseWritten().command, AsciiCommand::kQuit);

  // The whole stream, split anywhere, parses into the same requests.
  testing::Replay whole = testing::ReplayOnEmptyCache(wire_, options_);
  EXPECT_EQ(whole.requests, 29u);
  for (size_t cut = 0; cut <= wire_.size(); ++cut) {
    testing::Replay split = testing::ReplayOnEmptyCache(wire_, options_, {cut});
    ASSERT_TRUE(SameParses(split, whole)) << "cut at " << cut;
  }
}

TEST_F(RequestRoundTripTest, MetaRequests) {
  MetaFlags flags;
  flags.Add('s').Add('v').Add('t').Add('c').Add('f').Add('l').Add('h').Add('k').Add('u');
  flags.Add('O', "opaque-1").AddSigned('T', -1).AddSigned('N', 30).AddSigned('R', 5).Add('q');
  ASSERT_TRUE(flags.status().ok());
  ASSERT_TRUE(WriteMetaGetRequest(&sink_, "mkey", flags).ok());
  const AsciiRequest& r = ParseWritten();
  EXPECT_EQ(r.command, AsciiCommand::kMetaGet);
  ASSERT_EQ(r.meta_flags().size(), 14u);
  EXPECT_EQ(r.opaque, "opaque-1");
  EXPECT_EQ(r.exptime, -1);
  EXPECT_EQ(r.vivify_ttl, 30);
  EXPECT_EQ(r.recache_ttl, 5);
  EXPECT_TRUE(r.noreply);

  const std::string value = AllBytes();
  MetaFlags set_flags;
  set_flags.AddNumber('F', 4294967295u).AddNumber('C', 123).AddSigned('T', 0).Mode('A').Add('I');
  ASSERT_TRUE(WriteMetaSetRequest(&sink_, "mkey", value, set_flags).ok());
  ParseWritten();
  EXPECT_EQ(req_.value, value);
  EXPECT_EQ(req_.flags, 4294967295u);
  EXPECT_EQ(req_.cas, 123u);
  EXPECT_EQ(req_.set_mode, MetaSetMode::kAppend);

  MetaFlags arith;
  arith.Mode('-').AddNumber('D', 18446744073709551615u).AddNumber('J', 7).AddSigned('N', 0);
  ASSERT_TRUE(WriteMetaArithmeticRequest(&sink_, "n", arith).ok());
  ParseWritten();
  EXPECT_EQ(req_.arithmetic_mode, MetaArithmeticMode::kDecrement);
  EXPECT_EQ(req_.delta, 18446744073709551615u);
  EXPECT_EQ(req_.initial, 7u);

  MetaFlags del;
  del.Add('I').AddSigned('T', 30).Add('q');
  ASSERT_TRUE(WriteMetaDeleteRequest(&sink_, "k", del).ok());
  EXPECT_EQ(ParseWritten().command, AsciiCommand::kMetaDelete);
  WriteMetaNoopRequest(&sink_);
  EXPECT_EQ(ParseWritten().command, AsciiCommand::kMetaNoop);

  // Binary keys: any bytes, up to 186, go base64 with 'b'.
  const std::string binary_keys[] = {std::string("\0", 1), "a b\r\nc", std::string(186, '\xff'),
                                     AllBytes().substr(0, 100)};
  for (const std::string& key : binary_keys) {
    absl::Status written = WriteMetaGetRequest(&sink_, key, MetaFlags().Add('k'), true);
    ASSERT_TRUE(written.ok()) << written;
    EXPECT_EQ(ParseWritten().key, key);
    EXPECT_TRUE(req_.key_is_base64);
    ASSERT_TRUE(WriteMetaSetRequest(&sink_, key, "v", MetaFlags(), true).ok());
    EXPECT_EQ(ParseWritten().key, key);
    ASSERT_TRUE(WriteMetaDebugRequest(&sink_, key, true).ok());
    EXPECT_EQ(ParseWritten().key, key);
  }

  testing::Replay whole = testing::ReplayOnEmptyCache(wire_, options_);
  for (size_t cut = 0; cut <= wire_.size(); ++cut) {
    testing::Replay split = testing::ReplayOnEmptyCache(wire_, options_, {cut});
    ASSERT_TRUE(SameParses(split, whole)) << "cut at " << cut;
  }
}

TEST(RequestWriterChecksTest, RefusesWhatCouldBreakTheStream) {
  std::string wire;
  StringSink sink(&wire);
  for (const std::string& key : {std::string(), std::string(251, 'k'), std::string("a b"),
                                 std::string("a\r\nget b"), std::string("a\0b", 3),
                                 std::string("\x7f"), std::string("tab\t")}) {
    absl::Status s = WriteStorageRequest(&sink, AsciiCommand::kSet, key, 0, 0, "v", 0, false);
    EXPECT_EQ(GetMcCode(s), McCode::kBadKey) << key;
    EXPECT_EQ(GetMcCode(WriteMetaGetRequest(&sink, key, MetaFlags())), McCode::kBadKey);
  }
  EXPECT_FALSE(WriteGetRequest(&sink, AsciiCommand::kGet, {}).ok());
  EXPECT_FALSE(WriteGetRequest(&sink, AsciiCommand::kSet, {"a"}).ok());
  EXPECT_FALSE(WriteStorageRequest(&sink, AsciiCommand::kGet, "a", 0, 0, "", 0, false).ok());
  EXPECT_FALSE(WriteStatsRequest(&sink, "items\r\nflush_all").ok());
  EXPECT_FALSE(WriteMetaGetRequest(&sink, std::string(187, 'x'), MetaFlags(), true).ok());
  EXPECT_FALSE(WriteMetaGetRequest(&sink, "k", MetaFlags().Add('5')).ok());
  EXPECT_FALSE(WriteMetaGetRequest(&sink, "k", MetaFlags().Add('b')).ok());
  EXPECT_FALSE(WriteMetaGetRequest(&sink, "k", MetaFlags().Add('O', "a b")).ok());
  MetaFlags many;
  for (char c : std::string("abcdefghijklmnopqrs")) {
    if (c != 'b') many.Add(c);
  }
  EXPECT_FALSE(WriteMetaGetRequest(&sink, "k", many).ok());  // 18 flags
  MetaFlags sixteen;
  for (char c : std::string("acdefghijklmnopq")) sixteen.Add(c);
  EXPECT_FALSE(WriteMetaSetRequest(&sink, "k", "v", sixteen, true).ok());  // 16 + b
  EXPECT_TRUE(wire.empty()) << wire;
  EXPECT_TRUE(WriteMetaSetRequest(&sink, "k", "v", sixteen).ok());  // 16 fit
}

// ---- server writers -> client parser

class ReplyRoundTripTest : public ::testing::Test {
 protected:
  const AsciiResponse& ParseWritten() {
    absl::string_view pending = absl::string_view(wire_).substr(parsed_);
    ParseResult r = ParseAsciiResponse(pending, options_, &resp_);
    EXPECT_TRUE(r.ok()) << pending.substr(0, 100) << " -> " << resp_.malformed_reason;
    parsed_ += r.consumed;
    return resp_;
  }

  std::string wire_;
  size_t parsed_ = 0;
  StringSink sink_{&wire_};
  AsciiResponseParserOptions options_;
  AsciiResponse resp_;
};

TEST_F(ReplyRoundTripTest, TextReplies) {
  const std::string value = AllBytes();
  WriteValue(&sink_, "k1", 4294967295u, value, false, 0);
  WriteValue(&sink_, "k2", 0, "", true, 18446744073709551615u);
  sink_.Append(kTextEnd);
  const AsciiResponse& v = ParseWritten();
  EXPECT_EQ(v.kind, AsciiResponseKind::kValue);
  EXPECT_EQ(v.key, "k1");
  EXPECT_EQ(v.flags, 4294967295u);
  EXPECT_EQ(v.value, value);
  EXPECT_FALSE(v.has_cas);
  ParseWritten();
  EXPECT_EQ(resp_.value, "");
  EXPECT_TRUE(resp_.has_cas);
  EXPECT_EQ(resp_.cas, 18446744073709551615u);
  EXPECT_EQ(ParseWritten().kind, AsciiResponseKind::kEnd);

  const std::pair<absl::string_view, AsciiResponseKind> fixed[] = {
      {kTextStored, AsciiResponseKind::kStored},     {kTextNotStored, AsciiResponseKind::kNotStored},
      {kTextExists, AsciiResponseKind::kExists},     {kTextNotFound, AsciiResponseKind::kNotFound},
      {kTextDeleted, AsciiResponseKind::kDeleted},   {kTextTouched, AsciiResponseKind::kTouched},
      {kTextOk, AsciiResponseKind::kOk},             {kTextReset, AsciiResponseKind::kReset},
      {kTextError, AsciiResponseKind::kError},       {kTextTooLarge, AsciiResponseKind::kServerError},
      {kTextNonNumeric, AsciiResponseKind::kClientError},
      {kTextShutdownDisabled, AsciiResponseKind::kError},
      {kTextMemlimitTooSmall, AsciiResponseKind::kOther},
  };
  for (const auto& f : fixed) {
    sink_.Append(f.first);
    EXPECT_EQ(ParseWritten().kind, f.second) << f.first;
  }
  EXPECT_EQ(GetMcCode(resp_.status()), McCode::kProtocolError);  // MEMLIMIT_..., unexpected
  WriteNumber(&sink_, 18446744073709551615u);
  EXPECT_EQ(ParseWritten().number, 18446744073709551615u);
  WriteStat(&sink_, "pid", uint64_t{1234});
  EXPECT_EQ(ParseWritten().stat_name, "pid");
  EXPECT_EQ(resp_.stat_value, "1234");
  WriteStatSigned(&sink_, "delta", -5);
  EXPECT_EQ(ParseWritten().stat_value, "-5");
  WriteStat(&sink_, "version", "1.6.18 extra words");
  EXPECT_EQ(ParseWritten().stat_value, "1.6.18 extra words");
  WriteVersion(&sink_, "1.6.18");
  EXPECT_EQ(ParseWritten().message, "1.6.18");
  WriteClientError(&sink_, "bad command line format");
  EXPECT_EQ(ParseWritten().message, "bad command line format");
  EXPECT_EQ(GetMcCode(resp_.status()), McCode::kClientError);
  WriteServerError(&sink_, "out of memory storing object");
  EXPECT_EQ(GetMcCode(ParseWritten().status()), McCode::kOutOfMemory);
  WriteLine(&sink_, "ITEM foo [3 b; 0 s]");
  EXPECT_EQ(ParseWritten().kind, AsciiResponseKind::kOther);
  EXPECT_EQ(parsed_, wire_.size());
}

TEST_F(ReplyRoundTripTest, MetaReplies) {
  AsciiRequest req;
  AsciiParserOptions request_options;
  ASSERT_TRUE(ParseAsciiRequest("mg AAEC/w== b s t c f l h O77 k v\r\n", request_options, &req).ok());
  MetaItemInfo item;
  item.size = 3;
  item.ttl = -1;
  item.cas = 18446744073709551615u;
  item.flags = 4294967295u;
  item.last_access = 12;
  item.fetched = true;
  item.key_is_base64 = true;
  MetaReplyLine line;
  line.StartValue(3);
  AddMetaReturnFlags(req, "stcflhOk", item, &line);
  line.AddFlag('W');
  WriteMetaValue(&sink_, &line, "a\r\n");
  const AsciiResponse& r = ParseWritten();
  EXPECT_EQ(r.kind, AsciiResponseKind::kMeta);
  EXPECT_EQ(r.meta_code, MetaCode::kVA);
  EXPECT_EQ(r.value, "a\r\n");
  EXPECT_EQ(r.line, "VA 3 s3 t-1 c18446744073709551615 f4294967295 l12 h1 O77 kAAEC/w== b W");
  int64_t ttl = 0;
  EXPECT_TRUE(r.MetaSigned('t', &ttl));
  EXPECT_EQ(ttl, -1);
  char buf[kMetaMaxDecodedKey];
  absl::string_view key;
  ASSERT_TRUE(r.MetaKey(buf, &key));
  EXPECT_EQ(key, absl::string_view("\x00\x01\x02\xff", 4));
  EXPECT_TRUE(r.status().ok());

  const std::pair<MetaCode, McCode> codes[] = {
      {MetaCode::kHD, McCode::kOk},       {MetaCode::kEN, McCode::kNotFound},
      {MetaCode::kNF, McCode::kNotFound}, {MetaCode::kNS, McCode::kNotStored},
      {MetaCode::kEX, McCode::kExists},   {MetaCode::kMN, McCode::kOk},
  };
  for (const auto& c : codes) {
    WriteMetaStatus(&sink_, c.first, req);
    const AsciiResponse& s = ParseWritten();
    EXPECT_EQ(s.meta_code, c.first);
    EXPECT_EQ(s.MetaToken('O'), "77");
    EXPECT_EQ(GetMcCode(s.status()), c.second);
  }
  sink_.Append(kMetaNoopReply);
  EXPECT_TRUE(ParseWritten().meta_flags().empty());
  WriteMetaDebug(&sink_, "k", false, -1, 5, 99, true, 1, 64);
  EXPECT_EQ(ParseWritten().kind, AsciiResponseKind::kMetaDebug);
  EXPECT_EQ(resp_.key, "k");
  EXPECT_EQ(resp_.message, "exp=-1 la=5 cas=99 fetch=yes cls=1 size=64");

  // The whole stream, split anywhere, parses the same.
  std::vector<std::string> whole;
  for (absl::string_view rest = wire_; !rest.empty();) {
    ParseResult p = ParseAsciiResponse(rest, options_, &resp_);
    ASSERT_TRUE(p.ok());
    whole.push_back(std::string(resp_.line) + "|" + std::string(resp_.value));
    rest.remove_prefix(p.consumed);
  }
  for (size_t cut = 0; cut < wire_.size(); ++cut) {
    std::vector<std::string> got;
    std::string buffer = wire_.substr(0, cut);
    size_t pos = 0;
    bool fed_rest = false;
    while (true) {
      ParseResult p = ParseAsciiResponse(absl::string_view(buffer).substr(pos), options_, &resp_);
      if (p.incomplete()) {
        if (fed_rest) break;
        buffer += wire_.substr(cut);
        fed_rest = true;
        continue;
      }
      ASSERT_TRUE(p.ok());
      got.push_back(std::string(resp_.line) + "|" + std::string(resp_.value));
      pos += p.consumed;
      if (pos == buffer.size() && fed_rest) break;
    }
    ASSERT_EQ(got, whole) << "cut at " << cut;
  }
}

TEST(ReplyParserTest, MalformedRepliesAreRefused) {
  AsciiResponseParserOptions options;
  options.max_value_size = 100;
  options.max_line_length = 64;
  AsciiResponse resp;
  for (const char* bad : {"VALUE k 0 3\r\nabcXY", "VALUE k x 3\r\nabc\r\n", "VALUE k 0\r\n",
                          "VALUE  0 1\r\nx\r\n", "VALUE k 0 101\r\n", "VALUE k 0 1 -5\r\nx\r\n",
                          "VA x\r\n", "VA 1 c1\r\nxyz", "END\n", "\n",
                          "99999999999999999999999\r\n", "HD  c1\r\n"}) {
    ParseResult r = ParseAsciiResponse(bad, options, &resp);
    ASSERT_EQ(r.status, ParseStatus::kError) << bad;
    EXPECT_TRUE(r.error.close);
    EXPECT_FALSE(resp.malformed_reason.empty());
    EXPECT_EQ(GetMcCode(resp.malformed_status()), McCode::kProtocolError);
  }
  ParseResult r = ParseAsciiResponse(std::string(65, 'x'), options, &resp);
  EXPECT_EQ(r.status, ParseStatus::kError);
  r = ParseAsciiResponse(std::string(64, 'x'), options, &resp);
  EXPECT_TRUE(r.incomplete());
  // A huge declared value is refused, not waited for.
  r = ParseAsciiResponse("VALUE k 0 18446744073709551615\r\n", AsciiResponseParserOptions(), &resp);
  EXPECT_EQ(r.status, ParseStatus::kError);
}

}  // namespace
}  // namespace protocol
}  // namespace memkit
