#include "core/keys/base64.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace memkit {
namespace keys {
namespace {

using ::testing::HasSubstr;

// RFC 4648 section 10 vectors.
TEST(Base64Test, EncodesRfcVectors) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foob"), "Zm9vYg==");
  EXPECT_EQ(Base64Encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
}

TEST(Base64Test, DecodesRfcVectors) {
  EXPECT_EQ(*Base64Decode(""), "");
  EXPECT_EQ(*Base64Decode("Zg=="), "f");
  EXPECT_EQ(*Base64Decode("Zm8="), "fo");
  EXPECT_EQ(*Base64Decode("Zm9v"), "foo");
  EXPECT_EQ(*Base64Decode("Zm9vYg=="), "foob");
  EXPECT_EQ(*Base64Decode("Zm9vYmE="), "fooba");
  EXPECT_EQ(*Base64Decode("Zm9vYmFy"), "foobar");
}

// What memcached 1.6.18 returned for `mg <key> b k` (see docs/keys.md).
TEST(Base64Test, MatchesMemcachedEncoding) {
  EXPECT_EQ(Base64Encode("hello world"), "aGVsbG8gd29ybGQ=");
  EXPECT_EQ(Base64Encode("ab"), "YWI=");
}

TEST(Base64Test, RoundTripsEveryByteAndLength) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (size_t n = 0; n <= all.size(); ++n) {
    const std::string data = all.substr(all.size() - n);
    const std::string encoded = Base64Encode(data);
    ASSERT_EQ(encoded.size(), Base64EncodedSize(n));
    absl::StatusOr<std::string> decoded = Base64Decode(encoded);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(*decoded, data);
  }
}

TEST(Base64Test, UsesTheStandardAlphabet) {
  EXPECT_EQ(Base64Encode("\xfb\xff\xbf"), "+/+/");
  EXPECT_EQ(*Base64Decode("+/+/"), "\xfb\xff\xbf");
}

TEST(Base64Test, SizeHelpers) {
  EXPECT_EQ(Base64EncodedSize(0), 0u);
  EXPECT_EQ(Base64EncodedSize(1), 4u);
  EXPECT_EQ(Base64EncodedSize(3), 4u);
  EXPECT_EQ(Base64EncodedSize(186), 248u);
  EXPECT_EQ(Base64EncodedSize(187), 252u);
  EXPECT_EQ(Base64MaxDecodedSize(250), 186u);
}

TEST(Base64Test, AppendKeepsExistingContents) {
  std::string out = "k=";
  Base64EncodeAppend("foo", &out);
  EXPECT_EQ(out, "k=Zm9v");
  std::string decoded = "x";
  ASSERT_TRUE(Base64DecodeAppend("Zm9v", &decoded).ok());
  EXPECT_EQ(decoded, "xfoo");
}

void ExpectInvalid(absl::string_view encoded, absl::string_view message_part) {
  std::string out = "untouched";
  absl::Status status = Base64DecodeAppend(encoded, &out);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << encoded;
  EXPECT_THAT(std::string(status.message()), HasSubstr(std::string(message_part))) << encoded;
  EXPECT_EQ(out, "untouched") << "a failed decode must not change the output";
}

TEST(Base64Test, RejectsLengthNotMultipleOfFour) {
  ExpectInvalid("YWI", "is 3 characters; the length must be a multiple of 4");
  ExpectInvalid("Y", "is 1 characters");
  ExpectInvalid("Zm9vYmF", "multiple of 4");
}

TEST(Base64Test, RejectsCharactersOutsideTheAlphabet) {
  ExpectInvalid("YW*j", "invalid character '*' (0x2a) at offset 2");
  ExpectInvalid("-_-_", "invalid character '-' (0x2d) at offset 0");  // URL-safe alphabet
  ExpectInvalid("YW j", "invalid character 0x20 at offset 2");
  ExpectInvalid(absl::string_view("YW\0j", 4), "invalid character 0x00 at offset 2");
  ExpectInvalid("YWJj\xc3\xa9==", "invalid character 0xc3 at offset 4");
  ExpectInvalid("YWJ\n", "invalid character 0x0a at offset 3");
}

TEST(Base64Test, RejectsMisplacedPadding) {
  ExpectInvalid("====", "'=' padding at offset 0, before the end");
  ExpectInvalid("A===", "'=' padding at offset 1");
  ExpectInvalid("Zg==Zg==", "'=' padding at offset 2");
  ExpectInvalid("Zm=v", "'=' padding at offset 2");
}

// memcached accepts "YWJ=" and answers with "YWI=": two texts for one key.
TEST(Base64Test, RejectsNonCanonicalTrailingBits) {
  ExpectInvalid("YWJ=", "not canonical: the unused bits of the character at offset 2");
  ExpectInvalid("Zh==", "not canonical: the unused bits of the character at offset 1");
  EXPECT_TRUE(Base64Decode("YWI=").ok());
  EXPECT_TRUE(Base64Decode("Zg==").ok());
}

TEST(Base64Test, DecodesLikeMemcached) {
  char out[192];
  auto decode = [&](absl::string_view in) {
    size_t n = Base64DecodeLikeMemcached(in, out, sizeof(out));
    return std::string(out, n);
  };
  EXPECT_EQ(decode("Zm9v"), "foo");
  EXPECT_EQ(decode("Zm9vYg=="), "foob");
  EXPECT_EQ(decode("Zm9vYmE="), "fooba");
  EXPECT_EQ(decode("Zm!9v"), "foo");   // bytes outside the alphabet are skipped
  EXPECT_EQ(decode("Zg==Zm9v"), "f");  // decoding stops after a padded block
  EXPECT_EQ(decode("Zm9vYg="), "");    // not a multiple of four
  EXPECT_EQ(decode("===="), "");       // all padding
  EXPECT_EQ(decode(""), "");
  EXPECT_EQ(Base64DecodeLikeMemcached("Zm9v", out, 2), 0u);  // no room
  char enc[16];
  char* end = Base64EncodeTo("fooba", enc);
  EXPECT_EQ(absl::string_view(enc, static_cast<size_t>(end - enc)), "Zm9vYmE=");
}

}  // namespace
}  // namespace keys
}  // namespace memkit
