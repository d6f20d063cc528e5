#include "core/keys/base64.h"

#include <array>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace memkit {
namespace keys {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Sextet value of each byte, or kNotBase64 ('=' is handled by the decoder).
constexpr uint8_t kNotBase64 = 0xff;

constexpr std::array<uint8_t, 256> MakeDecodeTable() {
  std::array<uint8_t, 256> table{};
  for (auto& entry : table) entry = kNotBase64;
  for (uint8_t i = 0; i < 64; ++i) table[static_cast<uint8_t>(kAlphabet[i])] = i;
  return table;
}

constexpr std::array<uint8_t, 256> kDecode = MakeDecodeTable();

// "'*' (0x2a)" for printable ASCII, "0x0a" otherwise.
std::string Describe(char c) {
  const auto byte = static_cast<unsigned char>(c);
  if (byte > 0x20 && byte < 0x7f) return absl::StrFormat("'%c' (0x%02x)", c, byte);
  return absl::StrFormat("0x%02x", byte);
}

absl::Status BadCharacter(absl::string_view encoded, size_t offset) {
  return absl::InvalidArgumentError(absl::StrCat("base64 text has an invalid character ",
                                                 Describe(encoded[offset]), " at offset ", offset));
}

}  // namespace

char* Base64EncodeTo(absl::string_view data, char* p) {
  const auto* in = reinterpret_cast<const unsigned char*>(data.data());
  size_t left = data.size();
  for (; left >= 3; left -= 3, in += 3) {
    const uint32_t group = (uint32_t{in[0]} << 16) | (uint32_t{in[1]} << 8) | in[2];
    *p++ = kAlphabet[(group >> 18) & 0x3f];
    *p++ = kAlphabet[(group >> 12) & 0x3f];
    *p++ = kAlphabet[(group >> 6) & 0x3f];
    *p++ = kAlphabet[group & 0x3f];
  }
  if (left > 0) {
    const uint32_t group = (uint32_t{in[0]} << 16) | (left == 2 ? uint32_t{in[1]} << 8 : 0);
    *p++ = kAlphabet[(group >> 18) & 0x3f];
    *p++ = kAlphabet[(group >> 12) & 0x3f];
    *p++ = left == 2 ? kAlphabet[(group >> 6) & 0x3f] : '=';
    *p++ = '=';
  }
  return p;
}

void Base64EncodeAppend(absl::string_view data, std::string* out) {
  const size_t start = out->size();
  out->resize(start + Base64EncodedSize(data.size()));
  Base64EncodeTo(data, &(*out)[start]);
}

std::string Base64Encode(absl::string_view data) {
  std::string out;
  Base64EncodeAppend(data, &out);
  return out;
}

absl::Status Base64DecodeAppend(absl::string_view encoded, std::string* out) {
  const size_t n = encoded.size();
  if (n % 4 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("base64 text is ", n, " characters; the length must be a multiple of 4"));
  }
  if (n == 0) return absl::OkStatus();

  // Padding: only the last one or two characters may be '=', and "x=y=" is not allowed.
  size_t padding = 0;
  if (encoded[n - 1] == '=') padding = encoded[n - 2] == '=' ? 2 : 1;
  for (size_t i = 0; i < n - padding; ++i) {
    if (kDecode[static_cast<unsigned char>(encoded[i])] == kNotBase64) {
      if (encoded[i] == '=') {
        return absl::InvalidArgumentError(
            absl::StrCat("base64 text has '=' padding at offset ", i, ", before the end"));
      }
      return BadCharacter(encoded, i);
    }
  }
  // Canonical form: the bits the padding leaves unused must be zero, or two
  // different strings would decode to the same key.
  if (padding > 0) {
    const size_t last = n - padding - 1;
    const uint8_t unused_mask = padding == 1 ? 0x03 : 0x0f;
    if ((kDecode[static_cast<unsigned char>(encoded[last])] & unused_mask) != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("base64 text is not canonical: the unused bits of the character at offset ",
                       last, " are not zero"));
    }
  }

  const size_t start = out->size();
  out->resize(start + n / 4 * 3 - padding);
  char* p = &(*out)[start];
  for (size_t i = 0; i < n; i += 4) {
    uint32_t group = 0;
    for (size_t j = 0; j < 4; ++j) {
      const char c = encoded[i + j];
      group = (group << 6) | (c == '=' ? 0 : kDecode[static_cast<unsigned char>(c)]);
    }
    const size_t bytes = i + 4 < n ? 3 : 3 - padding;
    *p++ = static_cast<char>(group >> 16);
    if (bytes > 1) *p++ = static_cast<char>((group >> 8) & 0xff);
    if (bytes > 2) *p++ = static_cast<char>(group & 0xff);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Base64Decode(absl::string_view encoded) {
  std::string out;
  absl::Status status = Base64DecodeAppend(encoded, &out);
  if (!status.ok()) return status;
  return out;
}

size_t Base64DecodeLikeMemcached(absl::string_view in, char* out, size_t out_cap) {
  // '=' counts as an alphabet byte worth 0 here.
  auto value = [](char c) -> uint8_t {
    return c == '=' ? 0 : kDecode[static_cast<unsigned char>(c)];
  };
  size_t count = 0;
  for (char c : in) count += value(c) != kNotBase64;
  if (count == 0 || count % 4 != 0) return 0;
  if (count / 4 * 3 > out_cap) return 0;
  uint8_t block[4];
  size_t n = 0;
  int pad = 0;
  char* pos = out;
  for (char c : in) {
    const uint8_t v = value(c);
    if (v == kNotBase64) continue;
    if (c == '=') ++pad;
    block[n++] = v;
    if (n == 4) {
      *pos++ = static_cast<char>((block[0] << 2) | (block[1] >> 4));
      *pos++ = static_cast<char>((block[1] << 4) | (block[2] >> 2));
      *pos++ = static_cast<char>((block[2] << 6) | block[3]);
      n = 0;
      if (pad != 0) {
        if (pad > 2) return 0;  // invalid padding
        pos -= pad;
        break;
      }
    }
  }
  return static_cast<size_t>(pos - out);
}

}  // namespace keys
}  // namespace memkit
