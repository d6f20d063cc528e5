// incr/decr and ma: memcached's number rules, wrap and floor, the in-place
// rewrite with space padding, and when a new item is stored instead. The
// expected values were checked against memcached 1.6.18.

#include <string>

#include "gtest/gtest.h"
#include "server/cache.h"
#include "server/cache_test_util.h"

namespace memkit {
namespace server {
namespace {

using testing::MakeCache;
using testing::Set;
using testing::TestOptions;
using testing::ValueOf;

class ArithmeticTest : public ::testing::Test {
 protected:
  net::ManualClock clock_;
  std::unique_ptr<Cache> cache_ = MakeCache(TestOptions(&clock_));
};

TEST_F(ArithmeticTest, IncrAndDecr) {
  Set(*cache_, "n", "10");
  ArithmeticResult r = cache_->Incr("n", 5);
  ASSERT_EQ(r.code, McCode::kOk);
  EXPECT_EQ(r.value, 15u);
  EXPECT_EQ(ValueOf(*cache_, "n"), "15");
  EXPECT_EQ(cache_->Decr("n", 3).value, 12u);
  EXPECT_EQ(ValueOf(*cache_, "n"), "12");
}

TEST_F(ArithmeticTest, MissesCountPerDirection) {
  EXPECT_EQ(cache_->Incr("none", 1).code, McCode::kNotFound);
  EXPECT_EQ(cache_->Decr("none", 1).code, McCode::kNotFound);
  EXPECT_EQ(cache_->Decr("none", 1).code, McCode::kNotFound);
  Set(*cache_, "n", "1");
  cache_->Incr("n", 1);
  cache_->Decr("n", 1);
  CacheStats st = cache_->GetStats();
  EXPECT_EQ(st.incr_misses, 1u);
  EXPECT_EQ(st.decr_misses, 2u);
  EXPECT_EQ(st.incr_hits, 1u);
  EXPECT_EQ(st.decr_hits, 1u);
}

TEST_F(ArithmeticTest, IncrWrapsAt2To64) {
  Set(*cache_, "n", "18446744073709551615");
  ArithmeticResult r = cache_->Incr("n", 2);
  EXPECT_EQ(r.value, 1u);
  // Shorter result, written in place: padded with spaces to the old length.
  EXPECT_EQ(ValueOf(*cache_, "n"), "1                   ");
  Set(*cache_, "n", "18446744073709551615");
  EXPECT_EQ(cache_->Incr("n", 1).value, 0u);
}

TEST_F(ArithmeticTest, DecrFloorsAtZero) {
  Set(*cache_, "n", "5");
  EXPECT_EQ(cache_->Decr("n", 10).value, 0u);
  EXPECT_EQ(ValueOf(*cache_, "n"), "0");
  EXPECT_EQ(cache_->Decr("n", 1).value, 0u);
}

TEST_F(ArithmeticTest, ShorterResultsArePaddedInPlaceLongerOnesReallocate) {
  const uint64_t cas = Set(*cache_, "n", "100").cas;
  ArithmeticResult r = cache_->Decr("n", 1);
  EXPECT_EQ(r.value, 99u);
  EXPECT_GT(r.cas, cas);  // In place still takes a new CAS.
  EXPECT_EQ(ValueOf(*cache_, "n"), "99 ");
  EXPECT_EQ(cache_->Incr("n", 1).value, 100u);
  EXPECT_EQ(ValueOf(*cache_, "n"), "100");
  EXPECT_EQ(cache_->Incr("n", 900).value, 1000u);
  EXPECT_EQ(ValueOf(*cache_, "n"), "1000");
  EXPECT_EQ(cache_->GetStats().bytes, cache_->ItemSize(1, 0, 4));
}

TEST_F(ArithmeticTest, HeldItemsAreNeverRewrittenInPlace) {
  Set(*cache_, "n", "100");
  ItemRef reader = cache_->Get("n").item;
  EXPECT_EQ(cache_->Decr("n", 1).value, 99u);
  // Someone still reads the old item, so memcached stores a new, exact one.
  EXPECT_EQ(reader.value(), "100");
  EXPECT_EQ(ValueOf(*cache_, "n"), "99");
}

TEST_F(ArithmeticTest, KeepsFlagsAndExpiry) {
  Set(*cache_, "n", "9", /*exptime=*/100, /*flags=*/12);
  cache_->Incr("n", 1);  // Grows: a new item.
  GetResult got = cache_->Get("n");
  EXPECT_EQ(got.item.value(), "10");
  EXPECT_EQ(got.item.client_flags(), 12u);
  EXPECT_EQ(got.ttl, 100);
}

struct NumberCase {
  std::string stored;
  bool numeric;
  uint64_t after_incr_1;  // When numeric.
  std::string value_after;
};

TEST_F(ArithmeticTest, WhatCountsAsANumber) {
  const NumberCase cases[] = {
      {"12abc", false, 0, ""},
      {" 12", true, 13, "13 "},
      {"-1", false, 0, ""},
      {"-0", true, 1, "1 "},
      {"+5", true, 6, "6 "},
      {"000000000000000000001", true, 2, "2                    "},
      {"0000000000000000000000000000001", true, 2, "2" + std::string(30, ' ')},
      {"18446744073709551616", false, 0, ""},
      {"99999999999999999999", false, 0, ""},
      {"12 ", true, 13, "13 "},
      {std::string("12\0zz", 5), true, 13, "13   "},
      {"12\r\n", true, 13, "13  "},
      {"", false, 0, ""},
      {"   ", false, 0, ""},
      {"1.5", false, 0, ""},
      {"0x10", false, 0, ""},
      {"-18446744073709551615", true, 2, "2" + std::string(20, ' ')},
  };
  for (const NumberCase& c : cases) {
    SCOPED_TRACE("value '" + c.stored + "'");
    Set(*cache_, "n", c.stored);
    ArithmeticResult r = cache_->Incr("n", 1);
    if (c.numeric) {
      ASSERT_EQ(r.code, McCode::kOk);
      EXPECT_EQ(r.value, c.after_incr_1);
      EXPECT_EQ(ValueOf(*cache_, "n"), c.value_after);
    } else {
      EXPECT_EQ(r.code, McCode::kNonNumeric);
      EXPECT_EQ(ValueOf(*cache_, "n"), c.stored);  // Untouched.
    }
  }
}

TEST_F(ArithmeticTest, ValuesMemcachedWouldChunkAreNotNumbers) {
  // With -I 1m, items over slab_chunk_max (512 KiB) are chunked in memcached
  // and incr refuses them: for key "n" that is a value of 524229 bytes.
  Set(*cache_, "n", std::string(524228 - 1, '0') + "7");
  EXPECT_EQ(cache_->Incr("n", 1).value, 8u);
  Set(*cache_, "n", std::string(524229 - 1, '0') + "7");
  EXPECT_EQ(cache_->Incr("n", 1).code, McCode::kNonNumeric);
}

TEST_F(ArithmeticTest, CasMustMatchWhenGiven) {
  const uint64_t cas = Set(*cache_, "n", "1").cas;
  ArithmeticOptions options;
  options.cas = cas + 1;
  EXPECT_EQ(cache_->Arithmetic("n", options).code, McCode::kExists);
  options.cas = cas;
  ArithmeticResult r = cache_->Arithmetic("n", options);
  EXPECT_EQ(r.code, McCode::kOk);
  EXPECT_EQ(r.value, 2u);
  EXPECT_EQ(r.cas, cache_->Get("n").cas);
}

TEST_F(ArithmeticTest, VivifyCreatesTheInitialValue) {
  ArithmeticOptions options;
  options.vivify = true;
  options.initial = 40;
  options.vivify_exptime = 30;
  ArithmeticResult r = cache_->Arithmetic("n", options);
  ASSERT_EQ(r.code, McCode::kOk);
  EXPECT_TRUE(r.created);
  EXPECT_EQ(r.value, 40u);
  EXPECT_EQ(r.ttl, 30);
  EXPECT_EQ(ValueOf(*cache_, "n"), "40");
  r = cache_->Arithmetic("n", options);
  EXPECT_FALSE(r.created);
  EXPECT_EQ(r.value, 41u);
  EXPECT_EQ(cache_->GetStats().incr_misses, 0u);
}

TEST_F(ArithmeticTest, NewExptimeAppliesAfterwards) {
  Set(*cache_, "n", "1");
  ArithmeticOptions options;
  options.new_exptime = 60;
  ArithmeticResult r = cache_->Arithmetic("n", options);
  EXPECT_EQ(r.ttl, 60);
  EXPECT_EQ(cache_->Get("n").ttl, 60);
}

}  // namespace
}  // namespace server
}  // namespace memkit
