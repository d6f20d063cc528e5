// AuthFile::Parse follows memcached 1.6.18's authfile.c; Check counts.

#include "server/auth_file.h"

#include <fstream>

#include "gtest/gtest.h"

namespace memkit {
namespace server {
namespace {

using Users = std::vector<std::pair<std::string, std::string>>;

TEST(AuthFileTest, ParsesUserPasswordLines) {
  auto users = AuthFile::Parse("alice:secret\nbob:p:w\r\ncarol:last");
  ASSERT_TRUE(users.ok()) << users.status();
  EXPECT_EQ(*users, (Users{{"alice", "secret"}, {"bob", "p:w"}, {"carol", "last"}}));
  // An empty file has no users; so does a file of one newline? No: that is
  // a line without ':', which memcached calls malformed.
  EXPECT_TRUE(AuthFile::Parse("")->empty());
  EXPECT_FALSE(AuthFile::Parse("\n").ok());
}

TEST(AuthFileTest, AnEmptyLineOrALineWithoutColonIsMalformed) {
  EXPECT_FALSE(AuthFile::Parse("alice:secret\n\nbob:x\n").ok());
  EXPECT_FALSE(AuthFile::Parse("nocolon\n").ok());
  EXPECT_EQ(AuthFile::Parse("alice:secret\nnocolon\n").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(AuthFileTest, OnlyTheFirstEightEntriesCount) {
  std::string text;
  for (int i = 0; i < 9; ++i) text += "u" + std::to_string(i) + ":p\n";
  text += "malformed after the eighth is never read\n";
  auto users = AuthFile::Parse(text);
  ASSERT_TRUE(users.ok()) << users.status();
  EXPECT_EQ(users->size(), 8u);
}

TEST(AuthFileTest, ChecksAndCounts) {
  const std::string path = std::string(getenv("TEST_TMPDIR")) + "/users";
  { std::ofstream(path) << "alice:secret\n"; }
  auto file = AuthFile::Create(path);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_TRUE((*file)->Check("alice", "secret"));
  EXPECT_FALSE((*file)->Check("alice", "secre"));
  EXPECT_FALSE((*file)->Check("alic", "secret"));
  EXPECT_FALSE((*file)->Check("", ""));
  EXPECT_EQ((*file)->auth_cmds(), 4u);
  EXPECT_EQ((*file)->auth_errors(), 3u);
  // A failed reload keeps the users.
  { std::ofstream(path) << "broken\n"; }
  EXPECT_FALSE((*file)->Reload().ok());
  EXPECT_TRUE((*file)->Check("alice", "secret"));
  { std::ofstream(path) << "bob:x\n"; }
  EXPECT_TRUE((*file)->Reload().ok());
  EXPECT_FALSE((*file)->Check("alice", "secret"));
  EXPECT_TRUE((*file)->Check("bob", "x"));
  EXPECT_EQ(AuthFile::Create(path + ".missing").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace server
}  // namespace memkit
