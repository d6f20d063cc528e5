// Hostile and malformed input, table-driven: every row of
// testdata/ascii/hostile_requests.txt was sent to a real memcached 1.6.18 by
// record_hostile.py, and memkit's parser, replayed as a memcached with an
// empty cache, must answer byte for byte the same and close when it closed.
// The same rows split at every byte boundary must answer the same.

#include <cstddef>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "core/protocol/ascii_parser.h"
#include "core/protocol/ascii_test_util.h"
#include "gtest/gtest.h"

namespace memkit {
namespace protocol {
namespace {

using testing::ReadRecordedCases;
using testing::RecordedCase;
using testing::ReplayOnEmptyCache;

std::vector<RecordedCase> Cases() {
  static const std::vector<RecordedCase>* cases =
      new std::vector<RecordedCase>(ReadRecordedCases(testing::TestDataPath("hostile_requests.txt")));
  return *cases;
}

TEST(AsciiHostileTest, TableIsThere) { EXPECT_GT(Cases().size(), 250u); }

TEST(AsciiHostileTest, AnswersAsMemcachedDid) {
  AsciiParserOptions options;
  for (const RecordedCase& c : Cases()) {
    testing::Replay replay = ReplayOnEmptyCache(c.request, options);
    EXPECT_EQ(absl::CHexEscape(replay.replies), absl::CHexEscape(c.reply)) << c.name;
    EXPECT_EQ(replay.closed, c.closed) << c.name;
  }
}

// Whether some line of `input` outgrows memcached's 2048-byte no-newline
// limit: then the answer depends on how the bytes arrive, in memcached too.
bool HasLongLine(const std::string& input, size_t limit) {
  size_t start = 0;
  while (start < input.size()) {
    size_t nl = input.find('\n', start);
    size_t end = nl == std::string::npos ? input.size() : nl;
    if (end - start > limit) return true;
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return false;
}

TEST(AsciiHostileTest, EverySplitAnswersTheSame) {
  AsciiParserOptions options;
  for (const RecordedCase& c : Cases()) {
    // Data blocks may be long; their lines may not.
    if (HasLongLine(c.request, options.line_limit) && c.request.size() < 100000) continue;
    testing::Replay whole = ReplayOnEmptyCache(c.request, options);
    const size_t n = c.request.size();
    // Every boundary for ordinary rows; a few hundred for the megabyte ones.
    const size_t step = n < 5000 ? 1 : n / 300;
    for (size_t cut = 0; cut <= n; cut += step) {
      testing::Replay split = ReplayOnEmptyCache(c.request, options, {cut});
      ASSERT_EQ(split.replies, whole.replies) << c.name << " split at " << cut;
      ASSERT_EQ(split.closed, whole.closed) << c.name << " split at " << cut;
      ASSERT_EQ(split.parsed, whole.parsed) << c.name << " split at " << cut;
    }
  }
}

TEST(AsciiHostileTest, ByteAtATimeAnswersTheSame) {
  AsciiParserOptions options;
  for (const RecordedCase& c : Cases()) {
    if (c.request.size() > 4000) continue;
    testing::Replay whole = ReplayOnEmptyCache(c.request, options);
    std::vector<size_t> cuts;
    for (size_t i = 1; i < c.request.size(); ++i) cuts.push_back(i);
    testing::Replay trickle = ReplayOnEmptyCache(c.request, options, cuts);
    if (HasLongLine(c.request, options.line_limit)) continue;
    EXPECT_EQ(trickle.replies, whole.replies) << c.name;
    EXPECT_EQ(trickle.closed, whole.closed) << c.name;
  }
}

}  // namespace
}  // namespace protocol
}  // namespace memkit
