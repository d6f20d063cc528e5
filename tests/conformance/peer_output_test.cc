#include "tests/conformance/peer_output.h"

#include "gtest/gtest.h"

namespace memkit {
namespace conformance {
namespace {

TEST(ParseMemccapableVerdictsTest, PassFailAndMultiLineDiagnostics) {
  // As memccapable prints against a server that breaks some tests.
  const char* output =
      "ascii version                           [pass]\n"
      "ascii set                               [pass]\n"
      "ascii set noreply                       [FAIL]\n"
      "ascii add                               [STORED\n"
      "]\n"
      "[FAIL]\n"
      "ascii cas                               [skip]\n"
      "binary stat                             29 of 54 tests failed\n";
  auto verdicts = ParseMemccapableVerdicts(
      output, {"ascii version", "ascii set", "ascii set noreply", "ascii add", "ascii cas",
               "ascii quit", "binary stat"});
  EXPECT_EQ(verdicts["ascii version"], "pass");
  EXPECT_EQ(verdicts["ascii set"], "pass");
  EXPECT_EQ(verdicts["ascii set noreply"], "FAIL");
  EXPECT_EQ(verdicts["ascii add"], "FAIL");
  EXPECT_EQ(verdicts["ascii cas"], "skip");
  EXPECT_EQ(verdicts.count("ascii quit"), 0u);   // Never ran.
  EXPECT_EQ(verdicts.count("binary stat"), 0u);  // Started, no verdict.
}

TEST(ParseMemccapableVerdictsTest, KnowsAllFiftyFourTests) {
  EXPECT_EQ(MemccapableAsciiTests().size(), 27u);
  EXPECT_EQ(MemccapableBinaryTests().size(), 27u);
}

TEST(ParseMemcaslapOutputTest, ThroughputAndP99) {
  const char* output =
      "Total Statistics (1000 events)\n"
      "   Min:         7\n"
      "   Avg:       141\n"
      "   Log2 Dist:\n"
      "       0:        0        0        0       10\n"
      "       4:      900       50       30        5\n"
      "       8:        4        1\n"
      "\n"
      "cmd_get: 900\n"
      "Run time: 10.0s Ops: 2133640 TPS: 213321 Net_rate: 50.6M/s\n";
  auto result = ParseMemcaslapOutput(output);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->ops_per_second, 213321);
  EXPECT_EQ(result->ops, 2133640);
  EXPECT_EQ(result->avg_us, 141);
  // Cumulative: 10 (b3) 910 (b4) 960 (b5) 990 (b6) -> p99 in bucket 6: < 128 us.
  EXPECT_EQ(result->p99_us_upper_bound, 128);
}

TEST(ParseMemcaslapOutputTest, NoSummaryIsNullopt) {
  EXPECT_FALSE(ParseMemcaslapOutput("servers: 127.0.0.1:1\nconnect failed\n").has_value());
  auto bare = ParseMemcaslapOutput("Run time: 2.0s Ops: 10 TPS: 5 Net_rate: 1M/s\n");
  ASSERT_TRUE(bare.has_value());
  EXPECT_FALSE(bare->p99_us_upper_bound.has_value());
}

}  // namespace
}  // namespace conformance
}  // namespace memkit
