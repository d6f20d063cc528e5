#include "core/value/value.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace memkit {
namespace value {
namespace {

TEST(FlagsTest, MatchPythonClients) {
  // pymemcache.serde / pylibmc: FLAG_PICKLE 1, INTEGER 2, LONG 4, ZLIB 8, TEXT 16.
  EXPECT_EQ(kFlagBytes, 0u);
  EXPECT_EQ(kFlagPickle, 1u);
  EXPECT_EQ(kFlagInt, 2u);
  EXPECT_EQ(kFlagLong, 4u);
  EXPECT_EQ(kFlagZlib, 8u);
  EXPECT_EQ(kFlagText, 16u);
  EXPECT_EQ(kBuiltinFlags, 31u);
}

TEST(ValueTest, DefaultIsEmptyBytes) {
  Value v;
  EXPECT_EQ(v.kind(), Value::Kind::kBytes);
  EXPECT_EQ(v.data(), "");
}

TEST(ValueTest, Bytes) {
  Value v = Value::Bytes(std::string("\x00\xff", 2));
  EXPECT_EQ(v.kind(), Value::Kind::kBytes);
  EXPECT_EQ(v.data(), std::string("\x00\xff", 2));
  EXPECT_EQ(v.int_value(), 0);
  EXPECT_FALSE(v.bool_value());
  EXPECT_EQ(v.DebugString(), "bytes \"\\x00\\xff\"");
}

TEST(ValueTest, Text) {
  Value v = Value::Text("h\xc3\xa9llo");
  EXPECT_EQ(v.kind(), Value::Kind::kText);
  EXPECT_EQ(v.data(), "h\xc3\xa9llo");
  EXPECT_EQ(std::move(v).release_data(), "h\xc3\xa9llo");
}

TEST(ValueTest, Int) {
  Value v = Value::Int(-42);
  EXPECT_EQ(v.kind(), Value::Kind::kInt);
  EXPECT_EQ(v.int_value(), -42);
  EXPECT_EQ(v.data(), "");
  EXPECT_FALSE(v.bool_value());
  EXPECT_EQ(v.DebugString(), "int -42");
}

TEST(ValueTest, Bool) {
  EXPECT_TRUE(Value::Bool(true).bool_value());
  EXPECT_FALSE(Value::Bool(false).bool_value());
  EXPECT_EQ(Value::Bool(true).kind(), Value::Kind::kBool);
  EXPECT_EQ(Value::Bool(true).int_value(), 0) << "a bool is not an int";
  EXPECT_EQ(Value::Bool(true).DebugString(), "bool true");
  EXPECT_EQ(Value::Bool(false).DebugString(), "bool false");
}

struct Point {
  int x;
  int y;
};

TEST(ValueTest, Custom) {
  Value v = Value::Custom(1u << 8, Point{1, 2});
  EXPECT_EQ(v.kind(), Value::Kind::kCustom);
  EXPECT_EQ(v.custom_flag(), 256u);
  ASSERT_NE(v.custom_as<Point>(), nullptr);
  EXPECT_EQ(v.custom_as<Point>()->y, 2);
  EXPECT_EQ(v.custom_as<int>(), nullptr);
  EXPECT_EQ(v.DebugString(), "custom flag 0x100");
  EXPECT_EQ(Value::Int(1).custom_as<Point>(), nullptr);
}

TEST(ValueTest, DebugStringShortensLongData) {
  Value v = Value::Bytes(std::string(1000, 'a'));
  EXPECT_THAT(v.DebugString(), ::testing::EndsWith("... (1000 bytes)\""));
  EXPECT_LT(v.DebugString().size(), 100u);
}

TEST(ValueTest, KindNames) {
  EXPECT_EQ(KindName(Value::Kind::kBytes), "bytes");
  EXPECT_EQ(KindName(Value::Kind::kText), "text");
  EXPECT_EQ(KindName(Value::Kind::kInt), "int");
  EXPECT_EQ(KindName(Value::Kind::kBool), "bool");
  EXPECT_EQ(KindName(Value::Kind::kCustom), "custom");
}

}  // namespace
}  // namespace value
}  // namespace memkit
