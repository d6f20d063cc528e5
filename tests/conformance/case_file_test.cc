#include "tests/conformance/case_file.h"

#include "gtest/gtest.h"

namespace memkit {
namespace conformance {
namespace {

TEST(ParseCaseFileTest, StepsDirectivesAndSource) {
  auto cases = ParseCaseFile("demo",
                             "# a comment\n"
                             "case first\n"
                             "set a 0 0 1\n"
                             "x\n"
                             "@sync\n"
                             "@raw get a\\n\n"
                             "@bin get key=a\n"
                             "@sleep 1100\n"
                             "@pause 5\n"
                             "@end quiet 50\n"
                             "@deadline 300\n"
                             "@normalize version\n"
                             "@subst ^X(\\d)$ => Y\\1\n"
                             "\n"
                             "case second\n"
                             "version\n");
  ASSERT_TRUE(cases.ok()) << cases.status();
  ASSERT_EQ(cases->size(), 2u);
  const Case& c = (*cases)[0];
  EXPECT_EQ(c.Id(), "demo/first");
  EXPECT_EQ(c.line, 2);
  ASSERT_EQ(c.steps.size(), 7u);
  EXPECT_EQ(c.steps[0].kind, Step::Kind::kText);
  EXPECT_EQ(c.steps[0].arg, "set a 0 0 1");
  EXPECT_EQ(c.steps[2].kind, Step::Kind::kSync);
  EXPECT_EQ(c.steps[3].kind, Step::Kind::kRaw);
  EXPECT_EQ(c.steps[4].kind, Step::Kind::kBinary);
  EXPECT_EQ(c.steps[5].kind, Step::Kind::kSleep);
  EXPECT_EQ(c.steps[5].millis, 1100);
  EXPECT_EQ(c.steps[6].kind, Step::Kind::kPause);
  EXPECT_EQ(c.end, EndMode::kQuiet);
  EXPECT_EQ(c.quiet_millis, 50);
  EXPECT_EQ(c.deadline_millis, 300);
  EXPECT_EQ(c.substitutions.size(), 3u);
  EXPECT_EQ((*cases)[1].end, EndMode::kSentinel);
  EXPECT_NE(c.source.find("3: set a 0 0 1"), std::string::npos);
}

TEST(ParseCaseFileTest, ErrorsNameFileAndLine) {
  auto expect_error = [](absl::string_view text, absl::string_view where) {
    auto cases = ParseCaseFile("f", text);
    ASSERT_FALSE(cases.ok()) << text;
    EXPECT_NE(cases.status().message().find(where), absl::string_view::npos)
        << cases.status().message();
  };
  expect_error("get a\n", "f.case:1: text before");
  expect_error("case a\nget a\ncase a\nget b\n", "f.case:3: duplicate");
  expect_error("case bad-name\n", "f.case:1:");
  expect_error("case a\n@frobnicate\n", "f.case:2: unknown directive");
  expect_error("case a\n@bin fetch key=a\n", "f.case:2: unknown binary opcode");
  expect_error("case a\nget {nope}\n", "f.case:2: unknown template");
  expect_error("case a\n@subst ([ => x\n", "f.case:2: bad regex");
  expect_error("case a\n@end later\n", "f.case:2: @end takes");
  expect_error("case a\n@sleep forever\n", "f.case:2:");
  expect_error("case a\n@normalize everything\n", "f.case:2: unknown @normalize");
  expect_error("case empty\n\ncase b\nget a\n", "f.case:1: case `empty` sends nothing");
  EXPECT_TRUE(ParseCaseFile("f", "case a\n@sync\n").ok());
}

}  // namespace
}  // namespace conformance
}  // namespace memkit
