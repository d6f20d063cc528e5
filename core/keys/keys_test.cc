#include "core/keys/keys.h"

#include <cstdint>
#include <memory>
#include <string>

#include "core/keys/base64.h"
#include "core/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/alloc_counter.h"

namespace memkit {
namespace keys {
namespace {

using ::testing::HasSubstr;

std::unique_ptr<KeyPolicy> MakePolicy(const KeyOptions& options) {
  absl::StatusOr<std::unique_ptr<KeyPolicy>> policy = KeyPolicy::Create(options);
  EXPECT_TRUE(policy.ok()) << policy.status();
  return policy.ok() ? std::move(*policy) : nullptr;
}

KeyOptions Options(Protocol protocol) {
  KeyOptions options;
  options.protocol = protocol;
  return options;
}

// A kBadKey status whose message contains `part`.
void ExpectBadKey(const absl::Status& status, absl::string_view part) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_EQ(GetMcCode(status), McCode::kBadKey) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr(std::string(part)));
}

TEST(KeyPolicyTest, DefaultIsTextWithVerifyKeys) {
  KeyPolicy policy;
  EXPECT_EQ(policy.options().protocol, Protocol::kText);
  EXPECT_TRUE(policy.options().verify_keys);
  EXPECT_EQ(policy.max_key_length(), 250u);
  EXPECT_TRUE(policy.Validate("user:1234").ok());
}

TEST(KeyPolicyTest, LengthLimitsAreOneTo250) {
  for (Protocol protocol : {Protocol::kText, Protocol::kMeta, Protocol::kBinary}) {
    auto policy = MakePolicy(Options(protocol));
    SCOPED_TRACE(ProtocolName(protocol));
    ExpectBadKey(policy->Validate(""), "key is empty");
    EXPECT_TRUE(policy->Validate("a").ok());
    EXPECT_TRUE(policy->Validate(std::string(250, 'a')).ok());
    ExpectBadKey(policy->Validate(std::string(251, 'a')), "key is 251 bytes; the limit is 250");
    ExpectBadKey(policy->Validate(std::string(100000, 'a')), "key is 100000 bytes");
  }
}

TEST(KeyPolicyTest, TextRefusesSpaceAndControlCharacters) {
  KeyPolicy policy;
  ExpectBadKey(policy.Validate("abc def"), "key contains a space at byte 3");
  ExpectBadKey(policy.Validate("a\tb"), "control character (0x09, tab) at byte 1");
  ExpectBadKey(policy.Validate("a\nb"), "(0x0a, newline) at byte 1");
  ExpectBadKey(policy.Validate("ab\r"), "(0x0d, carriage return) at byte 2");
  ExpectBadKey(policy.Validate(absl::string_view("a\0b", 3)), "(0x00, NUL) at byte 1");
  ExpectBadKey(policy.Validate("\x01"), "control character (0x01) at byte 0");
  ExpectBadKey(policy.Validate("a\x1f"), "(0x1f) at byte 1");
  ExpectBadKey(policy.Validate("a\x7f"), "(0x7f, DEL) at byte 1");
}

// libmemcached's verify_key is isgraph(): bytes >= 0x80 are refused too.
TEST(KeyPolicyTest, TextRefusesNonAsciiUnlessAllowed) {
  KeyPolicy strict;
  ExpectBadKey(strict.Validate("caf\xc3\xa9"), "non-ASCII byte 0xc3 at byte 3");
  ExpectBadKey(strict.Validate("\x80"), "non-ASCII byte 0x80 at byte 0");
  ExpectBadKey(strict.Validate("\xff"), "0xff");

  KeyOptions options;
  options.allow_non_ascii = true;
  auto lenient = MakePolicy(options);
  EXPECT_TRUE(lenient->Validate("caf\xc3\xa9").ok());
  EXPECT_TRUE(lenient->Validate("\x80\xff").ok());
  // Still no spaces or controls.
  ExpectBadKey(lenient->Validate("caf\xc3\xa9 x"), "space at byte 5");
  ExpectBadKey(lenient->Validate("\x7f"), "DEL");
}

TEST(KeyPolicyTest, AcceptsEveryGraphicAsciiByte) {
  std::string all;
  for (int c = 0x21; c < 0x7f; ++c) all.push_back(static_cast<char>(c));
  KeyPolicy policy;
  EXPECT_TRUE(policy.Validate(all).ok());
  for (int c = 0; c < 256; ++c) {
    const bool graphic = c > 0x20 && c < 0x7f;
    const std::string key(1, static_cast<char>(c));
    EXPECT_EQ(policy.Validate(key).ok(), graphic) << c;
  }
}

TEST(KeyPolicyTest, MetaWithoutBase64FollowsTextRules) {
  auto policy = MakePolicy(Options(Protocol::kMeta));
  EXPECT_TRUE(policy->Validate("foo").ok());
  ExpectBadKey(policy->Validate("a b"), "space at byte 1");
  ExpectBadKey(policy->Validate("a\x01"), "control character");
}

// libmemcached: with verify_key off, only the length is checked.
TEST(KeyPolicyTest, VerifyKeysOffChecksOnlyLength) {
  for (Protocol protocol : {Protocol::kText, Protocol::kMeta}) {
    KeyOptions options = Options(protocol);
    options.verify_keys = false;
    auto policy = MakePolicy(options);
    EXPECT_TRUE(policy->Validate("a b").ok());
    EXPECT_TRUE(policy->Validate("a\nb").ok());
    EXPECT_TRUE(policy->Validate("\xff").ok());
    ExpectBadKey(policy->Validate(""), "key is empty");
    ExpectBadKey(policy->Validate(std::string(251, 'a')), "key is 251 bytes");
  }
}

TEST(KeyPolicyTest, BinaryAcceptsAnyBytes) {
  auto policy = MakePolicy(Options(Protocol::kBinary));
  EXPECT_TRUE(policy->Validate("a b\r\n\t").ok());
  std::string all;
  for (int i = 0; i < 250; ++i) all.push_back(static_cast<char>(i));
  EXPECT_TRUE(policy->Validate(all).ok());
  ExpectBadKey(policy->Validate(""), "key is empty");
}

// memcached 1.6.18 limits the encoded token to 250 bytes: 186 raw bytes (248
// characters) pass, 187 (252 characters) get "CLIENT_ERROR bad command line
// format".
TEST(KeyPolicyTest, MetaBase64LimitsTheDecodedKeyTo186Bytes) {
  KeyOptions options = Options(Protocol::kMeta);
  options.base64_keys = true;
  auto policy = MakePolicy(options);
  EXPECT_EQ(policy->max_key_length(), 186u);
  EXPECT_TRUE(policy->Validate(std::string(186, '\0')).ok());
  ExpectBadKey(policy->Validate(std::string(187, 'x')),
               "key is 187 bytes; base64-encoded that is 252 bytes and memcached's limit is 250 "
               "(at most 186 bytes before encoding)");
  ExpectBadKey(policy->Validate(""), "key is empty");
  // Any bytes, verify_keys or not.
  EXPECT_TRUE(policy->Validate("hello world\r\n\x00\xff").ok());
}

TEST(KeyPolicyTest, Base64KeysNeedTheMetaProtocol) {
  for (Protocol protocol : {Protocol::kText, Protocol::kBinary}) {
    KeyOptions options = Options(protocol);
    options.base64_keys = true;
    absl::StatusOr<std::unique_ptr<KeyPolicy>> policy = KeyPolicy::Create(options);
    EXPECT_EQ(policy.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(policy.status().message()), HasSubstr("needs the meta protocol"));
  }
}

TEST(KeyPolicyTest, PrefixCountsTowardTheLimit) {
  KeyOptions options;
  options.prefix = "pre:";
  auto policy = MakePolicy(options);
  EXPECT_EQ(policy->max_key_length(), 246u);
  EXPECT_TRUE(policy->Validate(std::string(246, 'k')).ok());
  // libmemcached sends this one and the server answers CLIENT_ERROR.
  ExpectBadKey(policy->Validate(std::string(247, 'k')),
               "key is 251 bytes with its 4-byte namespace prefix; the limit is 250");
  ExpectBadKey(policy->Validate(""), "key is empty");
  // Byte offsets are the caller's key's, not the prefixed key's.
  ExpectBadKey(policy->Validate("ab c"), "space at byte 2");
}

TEST(KeyPolicyTest, PrefixCountsTowardTheBase64Limit) {
  KeyOptions options = Options(Protocol::kMeta);
  options.base64_keys = true;
  options.prefix = std::string("\x00ns ", 4);
  auto policy = MakePolicy(options);
  EXPECT_EQ(policy->max_key_length(), 182u);
  EXPECT_TRUE(policy->Validate(std::string(182, 'k')).ok());
  ExpectBadKey(policy->Validate(std::string(183, 'k')), "with its 4-byte namespace prefix");
}

TEST(KeyPolicyTest, CreateRefusesABadPrefix) {
  KeyOptions options;
  options.prefix = "a b";
  ExpectBadKey(KeyPolicy::Create(options).status(), "namespace prefix contains a space at byte 1");
  // Even with verify_keys off, as libmemcached checks its namespace regardless.
  options.verify_keys = false;
  options.prefix = "ns\n";
  ExpectBadKey(KeyPolicy::Create(options).status(),
               "namespace prefix contains a control character");
  options.prefix = "\xc3\xa9";
  ExpectBadKey(KeyPolicy::Create(options).status(), "namespace prefix contains a non-ASCII byte");
  options.allow_non_ascii = true;
  EXPECT_TRUE(KeyPolicy::Create(options).ok());
  // Binary and base64 prefixes may hold any bytes.
  KeyOptions binary = Options(Protocol::kBinary);
  binary.prefix = "a b\n";
  EXPECT_TRUE(KeyPolicy::Create(binary).ok());
}

TEST(KeyPolicyTest, CreateRefusesAPrefixThatLeavesNoRoom) {
  KeyOptions options;
  options.prefix = std::string(249, 'p');
  auto policy = MakePolicy(options);
  EXPECT_EQ(policy->max_key_length(), 1u);
  options.prefix = std::string(250, 'p');
  ExpectBadKey(KeyPolicy::Create(options).status(),
               "namespace prefix is 250 bytes; it must leave room for a key within the 250-byte "
               "limit");
  KeyOptions meta = Options(Protocol::kMeta);
  meta.base64_keys = true;
  meta.prefix = std::string(186, 'p');
  ExpectBadKey(KeyPolicy::Create(meta).status(), "186-byte limit");
}

TEST(KeyPolicyTest, WireKeyAppliesThePrefix) {
  KeyOptions options;
  options.prefix = "app:";
  auto policy = MakePolicy(options);
  EXPECT_EQ(*policy->WireKey("user:1"), "app:user:1");
  std::string out = "old contents that must go";
  ASSERT_TRUE(policy->WireKey("k", &out).ok());
  EXPECT_EQ(out, "app:k");
  ExpectBadKey(policy->WireKey("a b", &out), "space");
  ExpectBadKey(policy->WireKey("").status(), "key is empty");
}

TEST(KeyPolicyTest, WireKeyReusesTheBuffer) {
  KeyPolicy policy;
  std::string out;
  out.reserve(300);
  const char* data = out.data();
  ASSERT_TRUE(policy.WireKey(std::string(250, 'k'), &out).ok());
  EXPECT_EQ(out.data(), data) << "a buffer with room must not be reallocated";
}

TEST(KeyPolicyTest, ValidKeysAllocateNothing) {
  KeyOptions options;
  options.prefix = "app:";
  auto prefixed = MakePolicy(options);
  KeyOptions meta = Options(Protocol::kMeta);
  meta.base64_keys = true;
  meta.prefix = "ns";
  auto base64 = MakePolicy(meta);
  const std::string long_key(246, 'k');
  std::string out;
  out.reserve(300);

  // Counted by //tests/support's replacement of operator new.
  using test_support::AllocCounter;
  const AllocCounter::Snapshot before = AllocCounter::Now();
  bool all_ok = true;
  for (int i = 0; i < 100; ++i) {
    all_ok &= prefixed->Validate("user:1234").ok();
    all_ok &= prefixed->Validate(long_key).ok();
    all_ok &= ValidateKey("user:1234").ok();
    all_ok &= ValidateKey(long_key, Protocol::kBinary).ok();
    all_ok &= prefixed->WireKey("user:1234", &out).ok();
    all_ok &= base64->WireKey("user:1234", &out).ok();
    all_ok &= prefixed->StripPrefix("app:user:1234").ok();
  }
  const int64_t allocations = AllocCounter::Since(before).total;
  EXPECT_TRUE(all_ok);
  EXPECT_EQ(allocations, 0);
  // The counter works: an error message does allocate.
  EXPECT_FALSE(prefixed->Validate("a b").ok());
  EXPECT_GT(AllocCounter::Since(before).total, allocations);
}

TEST(KeyPolicyTest, WireKeyBase64EncodesPrefixAndKeyTogether) {
  KeyOptions options = Options(Protocol::kMeta);
  options.base64_keys = true;
  auto plain = MakePolicy(options);
  EXPECT_EQ(*plain->WireKey("hello world"), "aGVsbG8gd29ybGQ=");  // as memcached 1.6.18 returns it
  options.prefix = "hel";
  auto prefixed = MakePolicy(options);
  EXPECT_EQ(*prefixed->WireKey("lo world"), "aGVsbG8gd29ybGQ=");
  options.prefix = "h";
  auto odd = MakePolicy(options);
  EXPECT_EQ(*odd->WireKey("ello world"), "aGVsbG8gd29ybGQ=");
  EXPECT_EQ(*odd->WireKey(std::string(185, 'k')), Base64Encode("h" + std::string(185, 'k')));
}

TEST(KeyPolicyTest, KeyFromWireStripsThePrefix) {
  KeyOptions options;
  options.prefix = "app:";
  auto policy = MakePolicy(options);
  EXPECT_EQ(*policy->KeyFromWire("app:user:1", /*base64=*/false), "user:1");
  absl::StatusOr<absl::string_view> view = policy->StripPrefix("app:x");
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(*view, "x");

  absl::Status missing = policy->KeyFromWire("other:1", false).status();
  EXPECT_EQ(missing.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(GetMcCode(missing), McCode::kProtocolError);
  EXPECT_THAT(std::string(missing.message()),
              HasSubstr("server returned key \"other:1\" without the namespace prefix \"app:\""));
  EXPECT_EQ(policy->StripPrefix("ap").status().code(), absl::StatusCode::kDataLoss);
}

TEST(KeyPolicyTest, KeyFromWireWithoutPrefixIsIdentity) {
  KeyPolicy policy;
  EXPECT_EQ(*policy.KeyFromWire("anything", false), "anything");
  EXPECT_EQ(*policy.KeyFromWire("aGVsbG8gd29ybGQ=", true), "hello world");
}

TEST(KeyPolicyTest, KeyFromWireDecodesBase64) {
  KeyOptions options = Options(Protocol::kMeta);
  options.base64_keys = true;
  options.prefix = std::string("\x01\x02", 2);
  auto policy = MakePolicy(options);
  const std::string key("binary\0key \xff", 12);
  absl::StatusOr<std::string> wire = policy->WireKey(key);
  ASSERT_TRUE(wire.ok());
  EXPECT_EQ(*policy->KeyFromWire(*wire, /*base64=*/true), key);

  absl::Status bad = policy->KeyFromWire("YW*j", true).status();
  EXPECT_EQ(GetMcCode(bad), McCode::kProtocolError);
  EXPECT_THAT(std::string(bad.message()),
              HasSubstr("server returned a bad base64 key: base64 text has an invalid character"));
  EXPECT_EQ(GetMcCode(policy->KeyFromWire(Base64Encode("no prefix"), true).status()),
            McCode::kProtocolError);
}

TEST(ValidateKeyTest, ShortcutUsesDefaultRules) {
  EXPECT_TRUE(ValidateKey("foo").ok());
  ExpectBadKey(ValidateKey(""), "key is empty");
  ExpectBadKey(ValidateKey(std::string(251, 'a')), "key is 251 bytes; the limit is 250");
  ExpectBadKey(ValidateKey("a b"), "key contains a space at byte 1");
  ExpectBadKey(ValidateKey("\xc3\xa9"), "non-ASCII");
  ExpectBadKey(ValidateKey("a b", Protocol::kMeta), "space");
  EXPECT_TRUE(ValidateKey("a b", Protocol::kBinary).ok());
  ExpectBadKey(ValidateKey(std::string(251, 'a'), Protocol::kBinary), "251");
}

TEST(ProtocolNameTest, Names) {
  EXPECT_EQ(ProtocolName(Protocol::kText), "text");
  EXPECT_EQ(ProtocolName(Protocol::kMeta), "meta");
  EXPECT_EQ(ProtocolName(Protocol::kBinary), "binary");
}

}  // namespace
}  // namespace keys
}  // namespace memkit
