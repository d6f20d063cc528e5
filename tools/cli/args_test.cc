#include "tools/cli/args.h"

#include "gtest/gtest.h"

namespace memkit {
namespace cli {
namespace {

const FlagSpec kSpec{{"servers", "hash"}, {"sort-hosts"}};

TEST(ArgsTest, FlagsInBothFormsAndPositionals) {
  absl::StatusOr<ParsedArgs> parsed =
      ParseArgs({"--servers=a:1,b:2", "k1", "--hash", "md5", "--sort-hosts", "k2"}, kSpec);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->Get("servers"), "a:1,b:2");
  EXPECT_EQ(parsed->Get("hash"), "md5");
  EXPECT_TRUE(parsed->Has("sort-hosts"));
  EXPECT_EQ(parsed->positional, (std::vector<std::string>{"k1", "k2"}));
  EXPECT_EQ(parsed->Get("missing", "fallback"), "fallback");
}

TEST(ArgsTest, DoubleDashEndsFlags) {
  absl::StatusOr<ParsedArgs> parsed = ParseArgs({"--", "--servers=x"}, kSpec);
  ASSERT_TRUE(parsed.ok());
  EXPECT_FALSE(parsed->Has("servers"));
  EXPECT_EQ(parsed->positional, (std::vector<std::string>{"--servers=x"}));
}

TEST(ArgsTest, ErrorsNameTheFlag) {
  EXPECT_EQ(ParseArgs({"--bogus"}, kSpec).status().message(), "unknown flag --bogus");
  EXPECT_EQ(ParseArgs({"--servers"}, kSpec).status().message(), "--servers needs a value");
  EXPECT_EQ(ParseArgs({"--sort-hosts=1"}, kSpec).status().message(),
            "--sort-hosts takes no value");
}

}  // namespace
}  // namespace cli
}  // namespace memkit
