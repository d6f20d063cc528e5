#include "core/keys/keys.h"

#include <cstring>

#include <array>
#include <cstdint>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "core/keys/base64.h"
#include "core/status/status.h"

namespace memkit {
namespace keys {
namespace {

// What a byte is, for the per-byte check.
enum ByteClass : uint8_t {
  kGraphic = 0,  // 0x21..0x7e: always accepted.
  kSpace,        // 0x20
  kControl,      // 0x00..0x1f, 0x7f
  kHigh,         // 0x80..0xff: accepted with allow_non_ascii.
};

constexpr std::array<uint8_t, 256> MakeByteClasses() {
  std::array<uint8_t, 256> classes{};
  for (size_t i = 0; i < 256; ++i) {
    if (i < 0x20 || i == 0x7f) {
      classes[i] = kControl;
    } else if (i == 0x20) {
      classes[i] = kSpace;
    } else if (i >= 0x80) {
      classes[i] = kHigh;
    } else {
      classes[i] = kGraphic;
    }
  }
  return classes;
}

constexpr std::array<uint8_t, 256> kByteClasses = MakeByteClasses();

// " (newline)" and friends, for the control characters people actually hit.
absl::string_view ControlName(unsigned char byte) {
  switch (byte) {
    case 0x00:
      return ", NUL";
    case '\t':
      return ", tab";
    case '\n':
      return ", newline";
    case '\r':
      return ", carriage return";
    case 0x7f:
      return ", DEL";
    default:
      return "";
  }
}

// The message for the bad byte at `offset` of `bytes`; `what` is "key" or
// "namespace prefix".
std::string DescribeBadByte(absl::string_view what, absl::string_view bytes, size_t offset) {
  const auto byte = static_cast<unsigned char>(bytes[offset]);
  switch (kByteClasses[byte]) {
    case kSpace:
      return absl::StrCat(what, " contains a space at byte ", offset);
    case kControl:
      return absl::StrFormat("%s contains a control character (0x%02x%s) at byte %d", what, byte,
                             ControlName(byte), offset);
    default:
      return absl::StrFormat(
          "%s contains a non-ASCII byte 0x%02x at byte %d (allow_non_ascii is off, as in "
          "libmemcached's verify_key)",
          what, byte, offset);
  }
}

// The offset of the first byte the text/meta rules refuse, or bytes.size().
// This is the hot loop: a table lookup per byte and no allocation.
size_t FindBadByte(absl::string_view bytes, bool allow_non_ascii) {
  const uint8_t worst_ok = allow_non_ascii ? kHigh : kGraphic;
  size_t i = 0;
  if (!allow_non_ascii) {
    // Eight bytes at a time: all in 0x21..0x7e?
    constexpr uint64_t kOnes = 0x0101010101010101ull, kHighs = 0x8080808080808080ull;
    for (; i + 8 <= bytes.size(); i += 8) {
      uint64_t x;
      std::memcpy(&x, bytes.data() + i, 8);
      const uint64_t below = (x - kOnes * 0x21) & ~x & kHighs;     // a byte < 0x21
      const uint64_t above = ((x + kOnes * (127 - 0x7e)) | x) & kHighs;  // a byte > 0x7e
      if ((below | above) != 0) break;
    }
  }
  for (; i < bytes.size(); ++i) {
    const uint8_t cls = kByteClasses[static_cast<unsigned char>(bytes[i])];
    if (cls != kGraphic && cls != worst_ok) return i;
  }
  return bytes.size();
}

absl::Status BadKey(std::string message) { return McError(McCode::kBadKey, message); }

size_t LimitFor(const KeyOptions& options) {
  return options.protocol == Protocol::kMeta && options.base64_keys ? kMaxBase64KeyLength
                                                                    : kMaxKeyLength;
}

}  // namespace

absl::string_view ProtocolName(Protocol protocol) {
  switch (protocol) {
    case Protocol::kText:
      return "text";
    case Protocol::kMeta:
      return "meta";
    case Protocol::kBinary:
      return "binary";
  }
  return "unknown";
}

KeyPolicy::KeyPolicy() : KeyPolicy(KeyOptions()) {}

KeyPolicy::KeyPolicy(const KeyOptions& options) : options_(options), limit_(LimitFor(options)) {}

absl::StatusOr<std::unique_ptr<KeyPolicy>> KeyPolicy::Create(const KeyOptions& options) {
  if (options.base64_keys && options.protocol != Protocol::kMeta) {
    return absl::InvalidArgumentError(absl::StrCat(
        "base64_keys needs the meta protocol; the protocol is ", ProtocolName(options.protocol)));
  }
  const size_t limit = LimitFor(options);
  const std::string& prefix = options.prefix;
  if (prefix.size() >= limit) {
    return BadKey(absl::StrCat("namespace prefix is ", prefix.size(),
                               " bytes; it must leave room for a key within the ", limit,
                               "-byte limit"));
  }
  // libmemcached checks its namespace's characters even with verify_key off:
  // a prefix the server cannot parse would spoil every key.
  const bool bytes_parsed = options.protocol != Protocol::kBinary && !options.base64_keys;
  if (bytes_parsed) {
    const size_t bad = FindBadByte(prefix, options.allow_non_ascii);
    if (bad != prefix.size()) return BadKey(DescribeBadByte("namespace prefix", prefix, bad));
  }
  return std::unique_ptr<KeyPolicy>(new KeyPolicy(options));
}

bool KeyPolicy::checks_bytes() const {
  return options_.verify_keys && options_.protocol != Protocol::kBinary && !options_.base64_keys;
}

absl::Status KeyPolicy::Validate(absl::string_view key) const {
  const size_t total = options_.prefix.size() + key.size();
  if (key.empty()) return BadKey("key is empty");
  if (total > limit_) {
    std::string with_prefix;
    if (!options_.prefix.empty()) {
      with_prefix = absl::StrCat(" with its ", options_.prefix.size(), "-byte namespace prefix");
    }
    if (limit_ == kMaxBase64KeyLength) {
      return BadKey(absl::StrCat("key is ", total, " bytes", with_prefix,
                                 "; base64-encoded that is ", Base64EncodedSize(total),
                                 " bytes and memcached's limit is ", kMaxKeyLength, " (at most ",
                                 kMaxBase64KeyLength, " bytes before encoding)"));
    }
    return BadKey(absl::StrCat("key is ", total, " bytes", with_prefix, "; the limit is ", limit_));
  }
  if (checks_bytes()) {
    const size_t bad = FindBadByte(key, options_.allow_non_ascii);
    if (bad != key.size()) return BadKey(DescribeBadByte("key", key, bad));
  }
  return absl::OkStatus();
}

absl::Status KeyPolicy::WireKey(absl::string_view key, std::string* out) const {
  absl::Status status = Validate(key);
  if (!status.ok()) return status;
  out->clear();
  if (options_.base64_keys) {
    if (options_.prefix.empty()) {
      Base64EncodeAppend(key, out);
    } else {
      // Base64 groups straddle the prefix/key boundary: encode them together,
      // joined on the stack (Validate bounded them to kMaxBase64KeyLength).
      char joined[kMaxBase64KeyLength];
      const size_t n = options_.prefix.size();
      options_.prefix.copy(joined, n);
      key.copy(joined + n, key.size());
      Base64EncodeAppend(absl::string_view(joined, n + key.size()), out);
    }
  } else {
    out->reserve(options_.prefix.size() + key.size());
    out->append(options_.prefix);
    out->append(key.data(), key.size());
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> KeyPolicy::WireKey(absl::string_view key) const {
  std::string out;
  absl::Status status = WireKey(key, &out);
  if (!status.ok()) return status;
  return out;
}

absl::StatusOr<absl::string_view> KeyPolicy::StripPrefix(absl::string_view wire_key) const {
  if (!absl::ConsumePrefix(&wire_key, options_.prefix)) {
    return McError(McCode::kProtocolError,
                   absl::StrCat("server returned key \"", absl::CHexEscape(wire_key.substr(0, 64)),
                                "\" without the namespace prefix \"",
                                absl::CHexEscape(options_.prefix), "\""));
  }
  return wire_key;
}

absl::StatusOr<std::string> KeyPolicy::KeyFromWire(absl::string_view wire_key, bool base64) const {
  if (!base64) {
    absl::StatusOr<absl::string_view> key = StripPrefix(wire_key);
    if (!key.ok()) return key.status();
    return std::string(*key);
  }
  std::string decoded;
  absl::Status status = Base64DecodeAppend(wire_key, &decoded);
  if (!status.ok()) {
    return McError(McCode::kProtocolError,
                   absl::StrCat("server returned a bad base64 key: ", status.message()));
  }
  absl::StatusOr<absl::string_view> key = StripPrefix(decoded);
  if (!key.ok()) return key.status();
  return std::string(*key);
}

absl::Status ValidateKey(absl::string_view key, Protocol protocol) {
  // The rules without a prefix, inlined so the shortcut builds no policy.
  if (key.empty()) return BadKey("key is empty");
  if (key.size() > kMaxKeyLength) {
    return BadKey(absl::StrCat("key is ", key.size(), " bytes; the limit is ", kMaxKeyLength));
  }
  if (protocol == Protocol::kBinary) return absl::OkStatus();
  const size_t bad = FindBadByte(key, /*allow_non_ascii=*/false);
  if (bad != key.size()) return BadKey(DescribeBadByte("key", key, bad));
  return absl::OkStatus();
}

}  // namespace keys
}  // namespace memkit
