// A session recorded from a real memcached 1.6.18 (testdata/ascii/session.txt,
// written by record_session.py): every request memkit's writers produce and
// every reply shape memcached sends, hits and misses, text and meta. For each
// step:
//  - the server parser reads the request, and the client writers write it
//    back byte for byte (or, for the few malformed steps, the parser answers
//    exactly what memcached answered);
//  - the client parser reads memcached's reply, whole and split at every
//    byte, and the server writers write it back byte for byte, meta return
//    flags placed by memcached's ordering rules;
//  - the reply maps to the absl::Status that core/status promises.

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "core/protocol/ascii_parser.h"
#include "core/protocol/ascii_response_parser.h"
#include "core/protocol/ascii_sink.h"
#include "core/protocol/ascii_test_util.h"
#include "core/status/status.h"
#include "gtest/gtest.h"

namespace memkit {
namespace protocol {
namespace {

using testing::ReadSession;
using testing::SessionStep;

const std::vector<SessionStep>& Steps() {
  static const std::vector<SessionStep>* steps =
      new std::vector<SessionStep>(ReadSession(testing::TestDataPath("session.txt")));
  return *steps;
}

// The elements of a reply stream fed in pieces ending at `cuts`, each
// described by kind and fields; "MALFORMED" ends the list.
std::vector<std::string> ParseReplies(const std::string& bytes, const std::vector<size_t>& cuts) {
  std::vector<std::string> out;
  AsciiResponseParserOptions options;
  AsciiResponse resp;
  std::string buffer;
  size_t pos = 0;
  size_t fed = 0;
  auto drain = [&]() {
    while (pos < buffer.size()) {
      ParseResult r = ParseAsciiResponse(absl::string_view(buffer).substr(pos), options, &resp);
      if (r.incomplete()) {
        // bytes_needed is exact inside a data block, so it never asks for
        // more than the rest of the stream holds.
        EXPECT_LE(buffer.size() + r.bytes_needed, bytes.size()) << "overshooting bytes_needed";
        return;
      }
      if (!r.ok()) {
        out.push_back(absl::StrCat("MALFORMED ", resp.malformed_reason));
        pos = buffer.size();
        return;
      }
      out.push_back(absl::StrCat(static_cast<int>(resp.kind), "|", absl::CHexEscape(resp.line),
                                 "|", absl::CHexEscape(resp.value), "|",
                                 resp.meta_flags().size()));
      pos += r.consumed;
    }
  };
  for (size_t cut : cuts) {
    buffer.append(bytes, fed, cut - fed);
    fed = cut;
    drain();
  }
  buffer.append(bytes, fed, std::string::npos);
  fed = bytes.size();
  drain();
  return out;
}

TEST(AsciiSessionTest, SessionIsThere) { EXPECT_GT(Steps().size(), 90u); }

TEST(AsciiSessionTest, RequestsParseAndRewriteByteForByte) {
  AsciiParserOptions options;
  AsciiRequest req;
  for (const SessionStep& step : Steps()) {
    ParseResult r = ParseAsciiRequest(step.request, options, &req);
    if (!r.ok()) {
      // The malformed steps: the parser answers what memcached answered.
      ASSERT_EQ(r.status, ParseStatus::kError) << step.name;
      EXPECT_EQ(absl::CHexEscape(r.error.reply), absl::CHexEscape(step.reply)) << step.name;
      EXPECT_EQ(r.consumed + r.error.swallow, step.request.size()) << step.name;
      continue;
    }
    EXPECT_EQ(r.consumed, step.request.size()) << step.name;
    std::string rewritten;
    StringSink sink(&rewritten);
    absl::Status s = testing::RewriteRequest(req, &sink);
    ASSERT_TRUE(s.ok()) << step.name << ": " << s;
    EXPECT_EQ(absl::CHexEscape(rewritten), absl::CHexEscape(step.request)) << step.name;
  }
}

TEST(AsciiSessionTest, RepliesParseAndRewriteByteForByte) {
  AsciiParserOptions request_options;
  AsciiResponseParserOptions options;
  AsciiRequest req;
  AsciiResponse resp;
  size_t elements = 0;
  for (const SessionStep& step : Steps()) {
    ParseAsciiRequest(step.request, request_options, &req);
    std::string rewritten;
    StringSink sink(&rewritten);
    absl::string_view rest = step.reply;
    while (!rest.empty()) {
      ParseResult r = ParseAsciiResponse(rest, options, &resp);
      ASSERT_TRUE(r.ok()) << step.name << ": " << resp.malformed_reason;
      absl::Status s = testing::RewriteReply(resp, req, &sink);
      ASSERT_TRUE(s.ok()) << step.name << ": " << s;
      rest.remove_prefix(r.consumed);
      ++elements;
    }
    EXPECT_EQ(absl::CHexEscape(rewritten), absl::CHexEscape(step.reply)) << step.name;
  }
  EXPECT_GT(elements, 100u);
}

TEST(AsciiSessionTest, RepliesSplitAtEveryByteParseTheSame) {
  for (const SessionStep& step : Steps()) {
    if (step.reply.size() > 20000) continue;
    const std::vector<std::string> whole = ParseReplies(step.reply, {});
    for (size_t cut = 0; cut <= step.reply.size(); ++cut) {
      ASSERT_EQ(ParseReplies(step.reply, {cut}), whole) << step.name << " cut at " << cut;
    }
    std::vector<size_t> every;
    for (size_t i = 1; i < step.reply.size(); ++i) every.push_back(i);
    ASSERT_EQ(ParseReplies(step.reply, every), whole) << step.name << " byte at a time";
  }
}

TEST(AsciiSessionTest, RepliesMapToStatuses) {
  // The status of the last element of each step's reply.
  const std::map<std::string, McCode> expected = {
      {"set", McCode::kOk},
      {"get_miss", McCode::kOk},  // END: a miss is the absence of VALUE
      {"add_exists", McCode::kNotStored},
      {"cas_mismatch", McCode::kExists},
      {"cas_missing", McCode::kNotFound},
      {"incr", McCode::kOk},
      {"incr_missing", McCode::kNotFound},
      {"incr_non_numeric", McCode::kNonNumeric},
      {"touch", McCode::kOk},
      {"delete_missing", McCode::kNotFound},
      {"stats_bogus", McCode::kUnknownCommand},
      {"client_error", McCode::kClientError},
      {"too_large", McCode::kTooLarge},
      {"shutdown_disabled", McCode::kUnknownCommand},
      {"cache_memlimit_small", McCode::kProtocolError},
      {"ms", McCode::kOk},
      {"mg_hit_all", McCode::kOk},
      {"mg_miss", McCode::kNotFound},
      {"ms_add_exists", McCode::kNotStored},
      {"ms_cas_mismatch", McCode::kExists},
      {"ms_cas_missing", McCode::kNotFound},
      {"ma_miss", McCode::kNotFound},
      {"ma_non_numeric", McCode::kNonNumeric},
      {"me", McCode::kOk},
      {"me_miss", McCode::kNotFound},
      {"mg_bad_flag", McCode::kClientError},
      {"ms_too_large", McCode::kTooLarge},
  };
  AsciiResponseParserOptions options;
  AsciiResponse resp;
  size_t checked = 0;
  for (const SessionStep& step : Steps()) {
    auto it = expected.find(step.name);
    if (it == expected.end()) continue;
    absl::string_view rest = step.reply;
    absl::Status last = absl::UnknownError("no reply");
    while (!rest.empty()) {
      ParseResult r = ParseAsciiResponse(rest, options, &resp);
      ASSERT_TRUE(r.ok()) << step.name;
      last = resp.status();
      rest.remove_prefix(r.consumed);
    }
    EXPECT_EQ(GetMcCode(last), it->second) << step.name << ": " << last;
    ++checked;
  }
  EXPECT_EQ(checked, expected.size());
}

}  // namespace
}  // namespace protocol
}  // namespace memkit
