#include "core/protocol/ascii_response_parser.h"

#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/keys/base64.h"
#include "core/protocol/ascii_internal.h"
#include "core/status/status.h"

namespace memkit {
namespace protocol {
namespace {

using internal::ParseStrictI64;
using internal::ParseStrictU32;
using internal::ParseStrictU64;

ParseResult Malformed(AsciiResponse* out, absl::string_view reason, size_t consumed) {
  out->malformed_reason = reason;
  ProtocolError error;
  error.close = true;
  return ParseResult::Error(consumed, std::move(error));
}

// Splits `s` at its first space: the head, and the rest after that space
// (empty and false when there is no space).
inline bool SplitFirst(absl::string_view s, absl::string_view* head, absl::string_view* rest) {
  size_t sp = s.find(' ');
  if (sp == absl::string_view::npos) {
    *head = s;
    *rest = {};
    return false;
  }
  *head = s.substr(0, sp);
  *rest = s.substr(sp + 1);
  return true;
}

// "<word>" alone or "<word> <message>".
inline bool Word(absl::string_view line, absl::string_view word, absl::string_view* message) {
  if (line.size() < word.size() || std::memcmp(line.data(), word.data(), word.size()) != 0) {
    return false;
  }
  if (line.size() == word.size()) {
    *message = {};
    return true;
  }
  if (line[word.size()] != ' ') return false;
  *message = line.substr(word.size() + 1);
  return true;
}

// Meta return flags: space-separated tokens, each a flag byte and its token.
bool ParseMetaFlags(absl::string_view s, AsciiResponse* out) {
  while (!s.empty()) {
    absl::string_view token, rest;
    SplitFirst(s, &token, &rest);
    if (token.empty()) return false;
    if (out->meta_flags().size() == kMaxMetaReplyFlags) return false;
    out->AddMetaFlag(token[0], token.substr(1));
    s = rest;
  }
  return true;
}

// A data block of `length` bytes after a line of `line_size` bytes.
ParseResult ReadBlock(absl::string_view input, size_t line_size, uint64_t length,
                      const AsciiResponseParserOptions& options, AsciiResponse* out) {
  if (length > options.max_value_size) {
    return Malformed(out, "declared value length over the limit", input.size());
  }
  size_t need = line_size + static_cast<size_t>(length) + 2;
  if (input.size() < need) return ParseResult::Incomplete(need - input.size());
  if (input[need - 2] != '\r' || input[need - 1] != '\n') {
    return Malformed(out, "data block not ended by \\r\\n", need);
  }
  out->value = input.substr(line_size, static_cast<size_t>(length));
  return ParseResult::Ok(need);
}

ParseResult ParseValue(absl::string_view input, size_t line_size, absl::string_view args,
                       const AsciiResponseParserOptions& options, AsciiResponse* out) {
  absl::string_view key, flags, bytes, cas;
  bool more = SplitFirst(args, &key, &args) && SplitFirst(args, &flags, &args);
  if (!more || key.empty()) return Malformed(out, "malformed VALUE line", line_size);
  if (SplitFirst(args, &bytes, &cas)) {
    if (!ParseStrictU64(cas, &out->cas)) return Malformed(out, "malformed VALUE cas", line_size);
    out->has_cas = true;
  }
  uint64_t length = 0;
  if (!ParseStrictU32(flags, &out->flags) || !ParseStrictU64(bytes, &length)) {
    return Malformed(out, "malformed VALUE line", line_size);
  }
  out->kind = AsciiResponseKind::kValue;
  out->key = key;
  return ReadBlock(input, line_size, length, options, out);
}

bool IsMetaCode(absl::string_view line, MetaCode* code) {
  if (line.size() < 2 || (line.size() > 2 && line[2] != ' ')) return false;
  const unsigned two = static_cast<unsigned>(static_cast<unsigned char>(line[0])) << 8 |
                      static_cast<unsigned char>(line[1]);
  switch (two) {
    case unsigned{'H'} << 8 | 'D':
      *code = MetaCode::kHD;
      return true;
    case unsigned{'E'} << 8 | 'N':
      *code = MetaCode::kEN;
      return true;
    case unsigned{'N'} << 8 | 'F':
      *code = MetaCode::kNF;
      return true;
    case unsigned{'N'} << 8 | 'S':
      *code = MetaCode::kNS;
      return true;
    case unsigned{'E'} << 8 | 'X':
      *code = MetaCode::kEX;
      return true;
    case unsigned{'M'} << 8 | 'N':
      *code = MetaCode::kMN;
      return true;
    default:
      return false;
  }
}

bool AllDigits(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

bool AsciiResponse::HasMetaFlag(char flag) const {
  for (size_t i = 0; i < meta_flag_count_; ++i) {
    if (meta_flags_[i].flag == flag) return true;
  }
  return false;
}

absl::string_view AsciiResponse::MetaToken(char flag) const {
  for (size_t i = 0; i < meta_flag_count_; ++i) {
    if (meta_flags_[i].flag == flag) return meta_flags_[i].token;
  }
  return {};
}

bool AsciiResponse::MetaNumber(char flag, uint64_t* out) const {
  return HasMetaFlag(flag) && ParseStrictU64(MetaToken(flag), out);
}

bool AsciiResponse::MetaSigned(char flag, int64_t* out) const {
  return HasMetaFlag(flag) && ParseStrictI64(MetaToken(flag), out);
}

bool AsciiResponse::MetaKey(char* buf, absl::string_view* key) const {
  if (!HasMetaFlag('k')) return false;
  absl::string_view token = MetaToken('k');
  if (!HasMetaFlag('b')) {
    *key = token;
    return true;
  }
  size_t n = keys::Base64DecodeLikeMemcached(token, buf, kMetaMaxDecodedKey);
  if (n == 0) return false;
  *key = absl::string_view(buf, n);
  return true;
}

void AsciiResponse::AddMetaFlag(char flag, absl::string_view token) {
  if (meta_flag_count_ < kMaxMetaReplyFlags) meta_flags_[meta_flag_count_++] = {flag, token};
}

void AsciiResponse::clear() {
  kind = AsciiResponseKind::kNone;
  line = {};
  key = {};
  flags = 0;
  cas = 0;
  has_cas = false;
  value = {};
  number = 0;
  stat_name = {};
  stat_value = {};
  message = {};
  meta_code = MetaCode::kHD;
  meta_flag_count_ = 0;
  malformed_reason = {};
}

absl::Status AsciiResponse::status() const {
  switch (kind) {
    case AsciiResponseKind::kError:
      // "ERROR", and memcached's "ERROR: shutdown not enabled" too.
      return McError(McCode::kUnknownCommand, line);
    case AsciiResponseKind::kNotStored:
    case AsciiResponseKind::kExists:
    case AsciiResponseKind::kNotFound:
    case AsciiResponseKind::kClientError:
    case AsciiResponseKind::kServerError:
    case AsciiResponseKind::kOther:
      return StatusFromTextReply(line);
    case AsciiResponseKind::kMeta:
      return StatusFromMetaCode(MetaCodeName(meta_code));
    case AsciiResponseKind::kNone:
      return McError(McCode::kProtocolError, "no reply parsed");
    default:
      return absl::OkStatus();
  }
}

absl::Status AsciiResponse::malformed_status() const {
  return McError(McCode::kProtocolError, absl::StrCat("malformed reply: ", malformed_reason));
}

ParseResult ParseAsciiResponse(absl::string_view input, const AsciiResponseParserOptions& options,
                               AsciiResponse* out) {
  out->clear();
  const size_t scan = input.size() < options.max_line_length + 1 ? input.size()
                                                                  : options.max_line_length + 1;
  const char* nl =
      scan == 0 ? nullptr : static_cast<const char*>(std::memchr(input.data(), '\n', scan));
  if (nl == nullptr) {
    if (input.size() > options.max_line_length) {
      return Malformed(out, "reply line too long", input.size());
    }
    return ParseResult::Incomplete(1);
  }
  const size_t line_size = static_cast<size_t>(nl - input.data()) + 1;
  if (line_size < 2 || nl[-1] != '\r') {
    return Malformed(out, "reply line not ended by \\r\\n", line_size);
  }
  const absl::string_view line = input.substr(0, line_size - 2);
  out->line = line;
  absl::string_view rest;

  // Meta replies: two letters, alone or before a space.
  if (line.size() >= 2 && (line.size() == 2 || line[2] == ' ')) {
    if (line[0] == 'V' && line[1] == 'A') {
      absl::string_view size, flags;
      SplitFirst(line.size() > 3 ? line.substr(3) : absl::string_view(), &size, &flags);
      uint64_t length = 0;
      if (!ParseStrictU64(size, &length) || !ParseMetaFlags(flags, out)) {
        return Malformed(out, "malformed VA line", line_size);
      }
      out->kind = AsciiResponseKind::kMeta;
      out->meta_code = MetaCode::kVA;
      return ReadBlock(input, line_size, length, options, out);
    }
    if (IsMetaCode(line, &out->meta_code)) {
      if (!ParseMetaFlags(line.size() > 3 ? line.substr(3) : absl::string_view(), out)) {
        return Malformed(out, "malformed meta flags", line_size);
      }
      out->kind = AsciiResponseKind::kMeta;
      return ParseResult::Ok(line_size);
    }
    if (line[0] == 'M' && line[1] == 'E' && line.size() > 3) {
      SplitFirst(line.substr(3), &out->key, &out->message);
      out->kind = AsciiResponseKind::kMetaDebug;
      return ParseResult::Ok(line_size);
    }
  }

  AsciiResponseKind kind = AsciiResponseKind::kOther;
  switch (line.empty() ? '\0' : line[0]) {
    case 'V':
      if (line.size() > 6 && line.substr(0, 6) == "VALUE ") {
        return ParseValue(input, line_size, line.substr(6), options, out);
      }
      if (Word(line, "VERSION", &rest)) {
        kind = AsciiResponseKind::kVersion;
        out->message = rest;
      }
      break;
    case 'E':
      if (line == "END") {
        kind = AsciiResponseKind::kEnd;
      } else if (line == "EXISTS") {
        kind = AsciiResponseKind::kExists;
      } else if (line.substr(0, 5) == "ERROR" &&
                 (line.size() == 5 || line[5] == ' ' || line[5] == ':')) {
        // "ERROR", "ERROR <why>" and "ERROR: shutdown not enabled".
        kind = AsciiResponseKind::kError;
        out->message = line.substr(5);
        if (!out->message.empty() && out->message[0] == ' ') out->message.remove_prefix(1);
      }
      break;
    case 'S':
      if (line == "STORED") {
        kind = AsciiResponseKind::kStored;
      } else if (line.size() > 5 && line.substr(0, 5) == "STAT ") {
        kind = AsciiResponseKind::kStat;
        SplitFirst(line.substr(5), &out->stat_name, &out->stat_value);
      } else if (Word(line, "SERVER_ERROR", &rest)) {
        kind = AsciiResponseKind::kServerError;
        out->message = rest;
      }
      break;
    case 'N':
      if (line == "NOT_STORED") {
        kind = AsciiResponseKind::kNotStored;
      } else if (line == "NOT_FOUND") {
        kind = AsciiResponseKind::kNotFound;
      }
      break;
    case 'C':
      if (Word(line, "CLIENT_ERROR", &rest)) {
        kind = AsciiResponseKind::kClientError;
        out->message = rest;
      }
      break;
    case 'D':
      if (line == "DELETED") kind = AsciiResponseKind::kDeleted;
      break;
    case 'T':
      if (line == "TOUCHED") kind = AsciiResponseKind::kTouched;
      break;
    case 'O':
      if (line == "OK") kind = AsciiResponseKind::kOk;
      break;
    case 'R':
      if (line == "RESET") kind = AsciiResponseKind::kReset;
      break;
    default:
      if (AllDigits(line)) {
        if (!ParseStrictU64(line, &out->number)) {
          return Malformed(out, "number out of range", line_size);
        }
        kind = AsciiResponseKind::kNumber;
      }
      break;
  }
  if (kind == AsciiResponseKind::kOther) out->message = line;
  out->kind = kind;
  return ParseResult::Ok(line_size);
}

}  // namespace protocol
}  // namespace memkit
