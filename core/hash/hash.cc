#include "core/hash/hash.h"

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "core/hash/internal/md5.h"

namespace memkit {
namespace hash {
namespace {

// libmemcached reads the key through `const char*` and widens each byte with
// a plain cast, so on x86 (signed char) bytes >= 0x80 sign-extend. These two
// helpers reproduce that for the hashes that have the quirk.
inline uint32_t SignedByte32(char c) {
  return static_cast<uint32_t>(static_cast<int32_t>(static_cast<signed char>(c)));
}
inline uint64_t SignedByte64(char c) {
  return static_cast<uint64_t>(static_cast<int64_t>(static_cast<signed char>(c)));
}

inline uint32_t LoadLittle32(const unsigned char* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

inline uint32_t Rotl32(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

uint32_t OneAtATime(absl::string_view key) {
  uint32_t value = 0;
  for (char c : key) {
    value += SignedByte32(c);
    value += value << 10;
    value ^= value >> 6;
  }
  value += value << 3;
  value ^= value >> 11;
  value += value << 15;
  return value;
}

uint32_t Md5Hash(absl::string_view key) {
  return internal::Md5Word(internal::Md5(key), 0);
}

// The reflected CRC-32 table (polynomial 0xedb88320), built at compile time.
struct CrcTable {
  uint32_t entry[256];
  constexpr CrcTable() : entry() {
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
      entry[i] = c;
    }
  }
};
constexpr CrcTable kCrcTable;

}  // namespace

uint32_t Crc32(absl::string_view data) {
  uint32_t crc = 0xffffffffu;
  for (char c : data) {
    crc = (crc >> 8) ^ kCrcTable.entry[(crc ^ static_cast<unsigned char>(c)) & 0xff];
  }
  return ~crc;
}

namespace {

uint32_t Crc(absl::string_view key) {
  // libmemcached keeps 15 bits of the finished CRC.
  return (Crc32(key) >> 16) & 0x7fff;
}

constexpr uint32_t kFnv32Init = 2166136261u;
constexpr uint32_t kFnv32Prime = 16777619u;
constexpr uint64_t kFnv64Init = 0xcbf29ce484222325ull;
constexpr uint64_t kFnv64Prime = 0x100000001b3ull;

uint32_t Fnv1_64(absl::string_view key) {
  uint64_t hash = kFnv64Init;
  for (char c : key) {
    hash *= kFnv64Prime;
    hash ^= SignedByte64(c);
  }
  return static_cast<uint32_t>(hash);
}

// libmemcached's "FNV1A_64" truncates the 64-bit basis and prime to 32 bits
// before it starts, so it is 32-bit FNV-1a with different constants.
uint32_t Fnv1a_64(absl::string_view key) {
  uint32_t hash = static_cast<uint32_t>(kFnv64Init);
  for (char c : key) {
    hash ^= SignedByte32(c);
    hash *= static_cast<uint32_t>(kFnv64Prime);
  }
  return hash;
}

uint32_t Fnv1_32(absl::string_view key) {
  uint32_t hash = kFnv32Init;
  for (char c : key) {
    hash *= kFnv32Prime;
    hash ^= SignedByte32(c);
  }
  return hash;
}

uint32_t Fnv1a_32(absl::string_view key) {
  uint32_t hash = kFnv32Init;
  for (char c : key) {
    hash ^= SignedByte32(c);
    hash *= kFnv32Prime;
  }
  return hash;
}

// MurmurHash2 as libmemcached seeds it: seed 0xdeadbeef * length, then
// h = seed ^ length. Words are read little-endian (libmemcached's result on
// x86; a big-endian libmemcached places keys differently).
uint32_t Murmur(absl::string_view key) {
  constexpr uint32_t m = 0x5bd1e995;
  constexpr int r = 24;
  const uint32_t length = static_cast<uint32_t>(key.size());
  uint32_t h = (0xdeadbeefu * length) ^ length;

  const auto* data = reinterpret_cast<const unsigned char*>(key.data());
  size_t remaining = key.size();
  while (remaining >= 4) {
    uint32_t k = LoadLittle32(data);
    k *= m;
    k ^= k >> r;
    k *= m;
    h *= m;
    h ^= k;
    data += 4;
    remaining -= 4;
  }
  switch (remaining) {
    case 3:
      h ^= static_cast<uint32_t>(data[2]) << 16;
      [[fallthrough]];
    case 2:
      h ^= static_cast<uint32_t>(data[1]) << 8;
      [[fallthrough]];
    case 1:
      h ^= data[0];
      h *= m;
      break;
    default:
      break;
  }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return h;
}

// Bob Jenkins' lookup3 hashlittle() with initval 13, little-endian.
uint32_t Jenkins(absl::string_view key) {
  size_t length = key.size();
  uint32_t a, b, c;
  a = b = c = 0xdeadbeefu + static_cast<uint32_t>(length) + 13u;
  const auto* k = reinterpret_cast<const unsigned char*>(key.data());

  while (length > 12) {
    a += LoadLittle32(k);
    b += LoadLittle32(k + 4);
    c += LoadLittle32(k + 8);
    // mix(a, b, c)
    a -= c; a ^= Rotl32(c, 4);  c += b;
    b -= a; b ^= Rotl32(a, 6);  a += c;
    c -= b; c ^= Rotl32(b, 8);  b += a;
    a -= c; a ^= Rotl32(c, 16); c += b;
    b -= a; b ^= Rotl32(a, 19); a += c;
    c -= b; c ^= Rotl32(b, 4);  b += a;
    length -= 12;
    k += 12;
  }
  if (length == 0) return c;  // Only an empty key gets here: no final mix.

  // The last 1..12 bytes, each into its little-endian position.
  uint32_t words[3] = {0, 0, 0};
  for (size_t i = 0; i < length; ++i) {
    words[i / 4] |= static_cast<uint32_t>(k[i]) << (8 * (i % 4));
  }
  a += words[0];
  b += words[1];
  c += words[2];
  // final(a, b, c)
  c ^= b; c -= Rotl32(b, 14);
  a ^= c; a -= Rotl32(c, 11);
  b ^= a; b -= Rotl32(a, 25);
  c ^= b; c -= Rotl32(b, 16);
  a ^= c; a -= Rotl32(c, 4);
  b ^= a; b -= Rotl32(a, 14);
  c ^= b; c -= Rotl32(b, 24);
  return c;
}

inline uint32_t Fmix32(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85ebca6b;
  h ^= h >> 13;
  h *= 0xc2b2ae35;
  h ^= h >> 16;
  return h;
}

}  // namespace

uint32_t MurmurHash3_x86_32(absl::string_view data, uint32_t seed) {
  constexpr uint32_t c1 = 0xcc9e2d51;
  constexpr uint32_t c2 = 0x1b873593;
  uint32_t h1 = seed;

  // Blocks are read little-endian, as memcached and libmemcached do on the
  // little-endian hosts they run on.
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  const size_t blocks = data.size() / 4;
  for (size_t i = 0; i < blocks; ++i) {
    uint32_t k1 = LoadLittle32(bytes + 4 * i);
    k1 *= c1;
    k1 = Rotl32(k1, 15);
    k1 *= c2;
    h1 ^= k1;
    h1 = Rotl32(h1, 13);
    h1 = h1 * 5 + 0xe6546b64;
  }
  const unsigned char* tail = bytes + 4 * blocks;
  uint32_t k1 = 0;
  switch (data.size() & 3) {
    case 3:
      k1 ^= static_cast<uint32_t>(tail[2]) << 16;
      [[fallthrough]];
    case 2:
      k1 ^= static_cast<uint32_t>(tail[1]) << 8;
      [[fallthrough]];
    case 1:
      k1 ^= tail[0];
      k1 *= c1;
      k1 = Rotl32(k1, 15);
      k1 *= c2;
      h1 ^= k1;
      break;
    default:
      break;
  }
  h1 ^= static_cast<uint32_t>(data.size());
  return Fmix32(h1);
}

namespace {

// MurmurHash3_x86_32 with libmemcached's seed, 0xdeadbeef * length.
uint32_t Murmur3(absl::string_view key) {
  return MurmurHash3_x86_32(key, 0xdeadbeefu * static_cast<uint32_t>(key.size()));
}

// Canonical names, indexed by the enum value.
constexpr absl::string_view kNames[] = {
    "default", "md5",   "crc",    "fnv1_64", "fnv1a_64", "fnv1_32",
    "fnv1a_32", "hsieh", "murmur", "jenkins", "murmur3",
};
static_assert(sizeof(kNames) / sizeof(kNames[0]) == kAllHashAlgorithms.size(),
              "one name per algorithm");

}  // namespace

uint32_t Hash(HashAlgorithm algorithm, absl::string_view key) {
  switch (algorithm) {
    case HashAlgorithm::kDefault:
      return OneAtATime(key);
    case HashAlgorithm::kMd5:
      return Md5Hash(key);
    case HashAlgorithm::kCrc:
      return Crc(key);
    case HashAlgorithm::kFnv1_64:
      return Fnv1_64(key);
    case HashAlgorithm::kFnv1a_64:
      return Fnv1a_64(key);
    case HashAlgorithm::kFnv1_32:
      return Fnv1_32(key);
    case HashAlgorithm::kFnv1a_32:
      return Fnv1a_32(key);
    case HashAlgorithm::kHsieh:
      // Debian builds libmemcached without HAVE_HSIEH_HASH, where
      // libhashkit_digest() returns 1 for every key.
      return 1;
    case HashAlgorithm::kMurmur:
      return Murmur(key);
    case HashAlgorithm::kJenkins:
      return Jenkins(key);
    case HashAlgorithm::kMurmur3:
      return Murmur3(key);
  }
  return 1;  // libhashkit's answer for an unknown algorithm.
}

bool UsableForPlacement(HashAlgorithm algorithm) {
  return algorithm != HashAlgorithm::kHsieh;
}

absl::string_view HashAlgorithmName(HashAlgorithm algorithm) {
  const size_t index = static_cast<size_t>(algorithm);
  if (index >= kAllHashAlgorithms.size()) return "unknown";
  return kNames[index];
}

absl::StatusOr<HashAlgorithm> ParseHashAlgorithm(absl::string_view name) {
  std::string normal = absl::AsciiStrToLower(absl::StripAsciiWhitespace(name));
  for (char& c : normal) {
    if (c == '-' || c == ' ') c = '_';
  }
  if (normal == "one_at_a_time") return HashAlgorithm::kDefault;
  for (HashAlgorithm algorithm : kAllHashAlgorithms) {
    if (normal == HashAlgorithmName(algorithm)) return algorithm;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown hash \"", absl::CEscape(name),
      "\"; expected one of default (one_at_a_time), md5, crc, fnv1_64, "
      "fnv1a_64, fnv1_32, fnv1a_32, hsieh, murmur, jenkins, murmur3"));
}

}  // namespace hash
}  // namespace memkit
