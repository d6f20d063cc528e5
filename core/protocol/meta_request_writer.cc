#include "core/protocol/meta_request_writer.h"

#include "absl/strings/str_cat.h"
#include "core/keys/base64.h"
#include "core/protocol/ascii_internal.h"
#include "core/protocol/text_request_writer.h"
#include "core/status/status.h"

namespace memkit {
namespace protocol {
namespace {

using internal::CopyTo;
using internal::FormatI64;
using internal::FormatU64;
using keys::Base64EncodedSize;

// memcached 1.6.18 refuses a meta line of 20 tokens or more.
constexpr size_t kMaxTokens = 19;
constexpr size_t kMaxKey = 250;
// The longest binary key whose base64 form fits in 250 bytes.
constexpr size_t kMaxBinaryKey = kMaxKey / 4 * 3;

bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// The key as it goes on the wire, checked; base64 keys are encoded into
// `scratch` (kMaxKey bytes).
absl::Status WireKey(absl::string_view key, bool base64_key, char* scratch,
                     absl::string_view* wire) {
  if (!base64_key) {
    absl::Status s = CheckTextKey(key);
    if (s.ok()) *wire = key;
    return s;
  }
  if (key.empty()) return McError(McCode::kBadKey, "empty key");
  if (key.size() > kMaxBinaryKey) {
    return McError(McCode::kBadKey,
                   absl::StrCat("binary key longer than ", kMaxBinaryKey, " bytes (", key.size(), ")"));
  }
  char* end = keys::Base64EncodeTo(key, scratch);
  *wire = absl::string_view(scratch, static_cast<size_t>(end - scratch));
  return absl::OkStatus();
}

// "<word> <key>[ <length>]<flags>[ b]\r\n", checked, then the value if any.
absl::Status WriteMeta(AsciiSink* sink, absl::string_view word, absl::string_view key,
                       const MetaFlags& flags, bool base64_key, const absl::string_view* value) {
  if (!flags.status().ok()) return flags.status();
  const size_t fixed = value != nullptr ? 3 : 2;  // word, key[, length]
  if (fixed + flags.count() + (base64_key ? 1 : 0) > kMaxTokens) {
    return absl::InvalidArgumentError(
        absl::StrCat("too many meta flags for ", word, ": ", flags.count()));
  }
  char scratch[Base64EncodedSize(kMaxBinaryKey)];
  absl::string_view wire;
  absl::Status s = WireKey(key, base64_key, scratch, &wire);
  if (!s.ok()) return s;
  char line[4 + kMaxKey + 1 + internal::kMaxU64Digits + MetaFlags::kCapacity + 4];
  char* p = CopyTo(line, word);
  *p++ = ' ';
  p = CopyTo(p, wire);
  if (value != nullptr) {
    *p++ = ' ';
    p = FormatU64(value->size(), p);
  }
  p = CopyTo(p, flags.text());
  if (base64_key) p = CopyTo(p, " b");
  *p++ = '\r';
  *p++ = '\n';
  sink->Append(absl::string_view(line, static_cast<size_t>(p - line)));
  if (value != nullptr) {
    sink->AppendRef(*value);
    sink->Append("\r\n");
  }
  return absl::OkStatus();
}

}  // namespace

bool MetaFlags::Begin(char flag, size_t room) {
  if (!status_.ok()) return false;
  if (!IsLetter(flag)) {
    status_ = absl::InvalidArgumentError(absl::StrCat("meta flag is not a letter: ", absl::string_view(&flag, 1)));
    return false;
  }
  if (flag == 'b') {
    status_ = absl::InvalidArgumentError("ask for a base64 key with base64_key, not flag b");
    return false;
  }
  if (len_ + 2 + room > kCapacity) {
    status_ = absl::InvalidArgumentError("meta flags too long");
    return false;
  }
  buf_[len_++] = ' ';
  buf_[len_++] = flag;
  ++count_;
  return true;
}

MetaFlags& MetaFlags::Add(char flag) {
  Begin(flag, 0);
  return *this;
}

MetaFlags& MetaFlags::Add(char flag, absl::string_view token) {
  for (char c : token) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) {
      if (status_.ok()) {
        status_ = absl::InvalidArgumentError("meta token holds a space or control character");
      }
      return *this;
    }
  }
  if (Begin(flag, token.size())) len_ = static_cast<size_t>(CopyTo(buf_ + len_, token) - buf_);
  return *this;
}

MetaFlags& MetaFlags::AddNumber(char flag, uint64_t value) {
  if (Begin(flag, internal::kMaxU64Digits)) {
    len_ = static_cast<size_t>(FormatU64(value, buf_ + len_) - buf_);
  }
  return *this;
}

MetaFlags& MetaFlags::AddSigned(char flag, int64_t value) {
  if (Begin(flag, internal::kMaxI64Chars + 1)) {
    len_ = static_cast<size_t>(FormatI64(value, buf_ + len_) - buf_);
  }
  return *this;
}

absl::Status WriteMetaGetRequest(AsciiSink* sink, absl::string_view key, const MetaFlags& flags,
                                 bool base64_key) {
  return WriteMeta(sink, "mg", key, flags, base64_key, nullptr);
}

absl::Status WriteMetaSetRequest(AsciiSink* sink, absl::string_view key, absl::string_view value,
                                 const MetaFlags& flags, bool base64_key) {
  return WriteMeta(sink, "ms", key, flags, base64_key, &value);
}

absl::Status WriteMetaDeleteRequest(AsciiSink* sink, absl::string_view key,
                                    const MetaFlags& flags, bool base64_key) {
  return WriteMeta(sink, "md", key, flags, base64_key, nullptr);
}

absl::Status WriteMetaArithmeticRequest(AsciiSink* sink, absl::string_view key,
                                        const MetaFlags& flags, bool base64_key) {
  return WriteMeta(sink, "ma", key, flags, base64_key, nullptr);
}

void WriteMetaNoopRequest(AsciiSink* sink) { sink->Append("mn\r\n"); }

absl::Status WriteMetaDebugRequest(AsciiSink* sink, absl::string_view key, bool base64_key) {
  char scratch[Base64EncodedSize(kMaxBinaryKey)];
  absl::string_view wire;
  absl::Status s = WireKey(key, base64_key, scratch, &wire);
  if (!s.ok()) return s;
  sink->Append("me ");
  sink->Append(wire);
  sink->Append(base64_key ? absl::string_view(" b\r\n") : absl::string_view("\r\n"));
  return absl::OkStatus();
}

}  // namespace protocol
}  // namespace memkit
