#include "core/hash/internal/md5.h"

#include <string>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

namespace memkit {
namespace hash {
namespace internal {
namespace {

std::string Hex(absl::string_view data) {
  const Md5Digest d = Md5(data);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
}

std::string Alphabet(size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s.push_back(static_cast<char>('a' + i % 26));
  return s;
}

TEST(Md5Test, Rfc1321Vectors) {
  EXPECT_EQ(Hex(""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(Hex("a"), "0cc175b9c0f1b6a831c399e269772661");
  EXPECT_EQ(Hex("abc"), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(Hex("message digest"), "f96b697d7cb7938d525a2f31aaf161d0");
  EXPECT_EQ(Hex("abcdefghijklmnopqrstuvwxyz"), "c3fcd3d76192e4007dfb496cca67e13b");
  EXPECT_EQ(Hex("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"),
            "d174ab98d277d9f5a5611c2c9f419d9f");
  EXPECT_EQ(Hex("1234567890123456789012345678901234567890"
                "1234567890123456789012345678901234567890"),
            "57edf4a22be3c955ac49da2e2107b67a");
}

// Lengths around the padding boundaries (55/56 bytes need one or two final
// blocks; 64 is exactly one block), checked against Python's hashlib.
TEST(Md5Test, PaddingBoundaries) {
  EXPECT_EQ(Hex(Alphabet(55)), "0d7ae056b2f015cd7dc67494efd658f1");
  EXPECT_EQ(Hex(Alphabet(56)), "31fcfb5165169eb55898e7e4cf34d19a");
  EXPECT_EQ(Hex(Alphabet(57)), "fd62afaf3aa1e2a52882cb464f5ccc4d");
  EXPECT_EQ(Hex(Alphabet(63)), "1b30c0670c15e7da3c2ba7bce77ebe99");
  EXPECT_EQ(Hex(Alphabet(64)), "a2eaf6295c32adc403865fd96a2f182b");
  EXPECT_EQ(Hex(Alphabet(65)), "eba2cce0ca8df47e62414a736b3105a2");
  EXPECT_EQ(Hex(Alphabet(119)), "b05187e08da41fa3ef16bd56afaafd99");
  EXPECT_EQ(Hex(Alphabet(120)), "62af9b597a9f55e16ab2b897387fc052");
  EXPECT_EQ(Hex(Alphabet(128)), "3e8c1ccbd71838ef3df4b72e57fb9bf6");
}

TEST(Md5Test, AllByteValues) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  EXPECT_EQ(Hex(bytes), "e2c865db4162bed963bfaa9ef6ac18f0");
}

// PEERS.md: md5("10.0.0.1-0") gives these four ketama points.
TEST(Md5Test, WordsAreLittleEndianQuarters) {
  const Md5Digest d = Md5("10.0.0.1-0");
  EXPECT_EQ(Md5Word(d, 0), 0x2194783cu);
  EXPECT_EQ(Md5Word(d, 1), 0x36d6a85bu);
  EXPECT_EQ(Md5Word(d, 2), 0xf1edf592u);
  EXPECT_EQ(Md5Word(d, 3), 0x40a9b8cfu);
}

}  // namespace
}  // namespace internal
}  // namespace hash
}  // namespace memkit
