// memcached's number rules (safe_strto*, incr/decr values) and decimal
// formatting.

#include "core/text/numbers.h"

#include <cstdint>
#include <string>

#include "gtest/gtest.h"

namespace memkit {
namespace text {
namespace {

TEST(NumbersTest, SafeStrtolFollowsMemcached) {
  int32_t v = 0;
  EXPECT_TRUE(SafeStrtol("0", &v));
  EXPECT_TRUE(SafeStrtol("-5", &v));
  EXPECT_EQ(v, -5);
  EXPECT_TRUE(SafeStrtol("+7", &v));
  EXPECT_EQ(v, 7);
  EXPECT_TRUE(SafeStrtol("\t12", &v));  // strtol skips white space
  EXPECT_EQ(v, 12);
  EXPECT_TRUE(SafeStrtol("12\tjunk", &v));  // and memcached stops at it
  EXPECT_EQ(v, 12);
  EXPECT_TRUE(SafeStrtol("4294967297", &v));  // truncated to int32, as memcached does
  EXPECT_EQ(v, 1);
  EXPECT_TRUE(SafeStrtol("9223372036854775807", &v));
  EXPECT_FALSE(SafeStrtol("9223372036854775808", &v));  // ERANGE for a 64-bit long
  EXPECT_TRUE(SafeStrtol("-9223372036854775808", &v));
  EXPECT_FALSE(SafeStrtol("-9223372036854775809", &v));
  for (const char* bad : {"", "x", "1x", "-", "+", " ", "\t", "1.5", "0x10"}) {
    EXPECT_FALSE(SafeStrtol(bad, &v)) << bad;
  }
}

TEST(NumbersTest, SafeStrtoulAndStrtoull) {
  uint32_t u = 0;
  EXPECT_TRUE(SafeStrtoul("4294967295", &u));
  EXPECT_EQ(u, 4294967295u);
  EXPECT_TRUE(SafeStrtoul("4294967296", &u));  // truncated
  EXPECT_EQ(u, 0u);
  EXPECT_FALSE(SafeStrtoul("-1", &u));
  EXPECT_TRUE(SafeStrtoul("-0", &u));
  EXPECT_TRUE(SafeStrtoul("-18446744073709551615", &u));  // wraps to 1, top bit clear
  EXPECT_EQ(u, 1u);
  uint64_t ull = 0;
  EXPECT_TRUE(SafeStrtoull("18446744073709551615", &ull));
  EXPECT_EQ(ull, 18446744073709551615u);
  EXPECT_FALSE(SafeStrtoull("18446744073709551616", &ull));
  EXPECT_FALSE(SafeStrtoull("-1", &ull));
  EXPECT_TRUE(SafeStrtoull("9223372036854775808", &ull));  // top bit set, no '-'
}

TEST(NumbersTest, IncrDecrValueParsesLikeSafeStrtoullOnItemData) {
  uint64_t v = 0;
  EXPECT_TRUE(ParseIncrDecrValue("0", &v));
  EXPECT_EQ(v, 0u);
  EXPECT_TRUE(ParseIncrDecrValue("18446744073709551615", &v));
  EXPECT_EQ(v, UINT64_MAX);
  EXPECT_FALSE(ParseIncrDecrValue("18446744073709551616", &v));
  EXPECT_TRUE(ParseIncrDecrValue("\t\n 7", &v));
  EXPECT_EQ(v, 7u);
  EXPECT_TRUE(ParseIncrDecrValue("7\t", &v));
  EXPECT_TRUE(ParseIncrDecrValue(absl::string_view("7\0"
                                                   "x",
                                                   3),
                                 &v));  // ends at a NUL
  EXPECT_EQ(v, 7u);
  EXPECT_FALSE(ParseIncrDecrValue("7x", &v));
  EXPECT_FALSE(ParseIncrDecrValue("+", &v));
  EXPECT_FALSE(ParseIncrDecrValue("-", &v));
  EXPECT_FALSE(ParseIncrDecrValue("--1", &v));
  EXPECT_FALSE(ParseIncrDecrValue(" ", &v));
  EXPECT_FALSE(ParseIncrDecrValue("", &v));
  EXPECT_FALSE(ParseIncrDecrValue(absl::string_view("\0"
                                                    "1",
                                                    2),
                                  &v));
  // "-1" wraps to 2^64 - 1, which is negative as a signed number: refused.
  EXPECT_FALSE(ParseIncrDecrValue("-1", &v));
  EXPECT_TRUE(ParseIncrDecrValue("-0", &v));
  EXPECT_EQ(v, 0u);
  // A '-' whose wrapped value stays below 2^63 is accepted, as in memcached.
  EXPECT_TRUE(ParseIncrDecrValue("-9223372036854775809", &v));
  EXPECT_EQ(v, 9223372036854775807u);
  // memcached looks for a '-' only before the end of the number.
  EXPECT_TRUE(ParseIncrDecrValue("18446744073709551615 -", &v));
  EXPECT_EQ(v, UINT64_MAX);
}

TEST(NumbersTest, StrictForms) {
  uint64_t u = 0;
  EXPECT_TRUE(ParseStrictU64("18446744073709551615", &u));
  EXPECT_FALSE(ParseStrictU64("18446744073709551616", &u));
  EXPECT_FALSE(ParseStrictU64(" 1", &u));
  EXPECT_FALSE(ParseStrictU64("+1", &u));
  EXPECT_FALSE(ParseStrictU64("", &u));
  uint32_t u32 = 0;
  EXPECT_TRUE(ParseStrictU32("4294967295", &u32));
  EXPECT_FALSE(ParseStrictU32("4294967296", &u32));
  int64_t i = 0;
  EXPECT_TRUE(ParseStrictI64("-9223372036854775808", &i));
  EXPECT_EQ(i, INT64_MIN);
  EXPECT_FALSE(ParseStrictI64("9223372036854775808", &i));
  EXPECT_FALSE(ParseStrictI64("-", &i));
}

TEST(NumbersTest, FormatsDecimal) {
  char buf[kMaxU64Digits];
  auto u = [&](uint64_t v) { return std::string(buf, FormatU64(v, buf)); };
  EXPECT_EQ(u(0), "0");
  EXPECT_EQ(u(1234567890), "1234567890");
  EXPECT_EQ(u(UINT64_MAX), "18446744073709551615");
  char sbuf[kMaxI64Chars];
  auto i = [&](int64_t v) { return std::string(sbuf, FormatI64(v, sbuf)); };
  EXPECT_EQ(i(-1), "-1");
  EXPECT_EQ(i(INT64_MIN), "-9223372036854775808");
  EXPECT_EQ(i(INT64_MAX), "9223372036854775807");
}

}  // namespace
}  // namespace text
}  // namespace memkit
