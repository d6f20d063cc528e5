// The meta half of ParseAsciiRequest(): memcached 1.6.18's mg/ms/md/ma/mn/me
// checks, its flag pre-parser (_meta_flag_preparse) with its error strings,
// and the order in which they fire.

#include <climits>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "core/keys/base64.h"
#include "core/protocol/ascii_internal.h"
#include "core/protocol/ascii_parser_internal.h"
#include "core/status/status.h"

namespace memkit {
namespace protocol {
namespace internal {
namespace {

constexpr absl::string_view kBadToken = "CLIENT_ERROR bad token in command line format";
constexpr absl::string_view kOpaqueTooLong = "CLIENT_ERROR opaque token too long";
constexpr absl::string_view kInvalidOrDuplicate = "CLIENT_ERROR invalid or duplicate flag";
// memcached's MFLAG_MAX_OPT_LENGTH: lines of this many tokens (plus its
// terminal token) or more are refused.
constexpr size_t kMaxMetaTokens = 20;
// memcached's MFLAG_MAX_OPAQUE_LENGTH, counting the 'O'.
constexpr size_t kMaxOpaqueToken = 32;

// _meta_flag_preparse(): flags from tokens[start]. A duplicate or unknown
// flag stops at once; other bad tokens are noted and the scan goes on, the
// last message set winning (a bad F sets none). Returns false on any error,
// with *error the message memcached would send from mg/ms.
bool Preparse(const Line& line, size_t start, AsciiRequest* out, absl::string_view* error) {
  bool has_error = false;
  uint64_t seen[2] = {0, 0};
  for (size_t i = start; i < line.count; ++i) {
    const absl::string_view token = line.tokens[i];
    const unsigned char o = static_cast<unsigned char>(token[0]);
    if (o >= 127 || (seen[o >> 6] >> (o & 63) & 1) != 0) {
      *error = "CLIENT_ERROR duplicate flag";
      return false;
    }
    seen[o >> 6] |= uint64_t{1} << (o & 63);
    const absl::string_view arg = token.substr(1);
    switch (o) {
      case 'b': {
        // Decode the key (memcached decodes it in place).
        size_t n = keys::Base64DecodeLikeMemcached(out->key, out->decoded_key_buffer(),
                                                   kMetaMaxDecodedKey);
        if (n == 0) {
          *error = "CLIENT_ERROR error decoding key";
          has_error = true;
        }
        out->key = absl::string_view(out->decoded_key_buffer(), n);
        out->key_is_base64 = true;
        break;
      }
      case 'N':
        if (!SafeStrtol(arg, &out->vivify_ttl)) {
          *error = kBadToken;
          has_error = true;
        }
        break;
      case 'T':
        if (!SafeStrtol(arg, &out->exptime)) {
          *error = kBadToken;
          has_error = true;
        }
        break;
      case 'R':
        if (!SafeStrtol(arg, &out->recache_ttl)) {
          *error = kBadToken;
          has_error = true;
        }
        break;
      case 'O':
        out->opaque = arg;
        break;
      case 'q':
        out->noreply = true;
        break;
      case 'l': case 'P': case 'L': case 'k': case 's': case 't': case 'c': case 'f':
      case 'v': case 'h': case 'u': case 'I':
        break;
      case 'F':
        if (!SafeStrtoul(arg, &out->flags)) has_error = true;
        break;
      case 'C':
        if (!SafeStrtoull(arg, &out->cas)) {
          *error = kBadToken;
          has_error = true;
        }
        break;
      case 'M':
        if (token.size() != 2) {
          *error = "CLIENT_ERROR incorrect length for M token";
          has_error = true;
        } else {
          out->mode = token[1];
        }
        break;
      case 'J':
        if (!SafeStrtoull(arg, &out->initial)) {
          *error = "CLIENT_ERROR invalid numeric initial value";
          has_error = true;
        }
        break;
      case 'D':
        if (!SafeStrtoull(arg, &out->delta)) {
          *error = "CLIENT_ERROR invalid numeric delta value";
          has_error = true;
        }
        break;
      case 'E':
        if (line.options->meta_explicit_cas) {
          if (!SafeStrtoull(arg, &out->new_cas)) {
            *error = kBadToken;
            has_error = true;
          }
          break;
        }
        *error = "CLIENT_ERROR invalid flag";
        return false;
      default:
        *error = "CLIENT_ERROR invalid flag";
        return false;
    }
    out->AddMetaFlag(static_cast<char>(o), arg);
  }
  return !has_error;
}

inline bool OpaqueTooLong(const AsciiRequest& req) {
  return req.HasMetaFlag('O') && req.opaque.size() + 1 > kMaxOpaqueToken;
}

ParseResult ParseMetaGet(Line* line, AsciiRequest* out) {
  if (line->count < 2) return Refuse(line->size, "ERROR");
  if (line->tokens[1].size() > line->options->max_key_length) return Refuse(line->size, kClientErrorBadFormat);
  if (line->count >= kMaxMetaTokens) {
    return Refuse(line->size, "CLIENT_ERROR options flags are too long");
  }
  out->command = AsciiCommand::kMetaGet;
  out->key = line->tokens[1];
  absl::string_view error = kClientErrorBadFormat;
  if (!Preparse(*line, 2, out, &error)) return Refuse(line->size, error);
  if (OpaqueTooLong(*out)) return Refuse(line->size, kOpaqueTooLong);
  return ParseResult::Ok(line->size);
}

ParseResult ParseMetaSet(Line* line, AsciiRequest* out) {
  const size_t count = line->count;
  if (count < 2) return Refuse(line->size, "ERROR");
  // Until the length is known nothing is swallowed: the data block will be
  // read as commands, as memcached reads it.
  if (line->tokens[1].size() > line->options->max_key_length) return Refuse(line->size, kClientErrorBadFormat);
  if (count == 2) return Refuse(line->size, kClientErrorBadFormat);
  if (count >= kMaxMetaTokens) return Refuse(line->size, "CLIENT_ERROR options flags too long");
  int32_t length = 0;
  if (!SafeStrtol(line->tokens[2], &length) || length < 0 || length > INT_MAX - 2) {
    return Refuse(line->size, kClientErrorBadFormat);
  }
  const size_t n = static_cast<size_t>(length);
  const size_t swallow = n + 2;
  out->command = AsciiCommand::kMetaSet;
  out->key = line->tokens[1];
  absl::string_view error = kClientErrorBadFormat;
  if (!Preparse(*line, 3, out, &error)) return Refuse(line->size, error, false, swallow);
  switch (out->mode) {
    case 0:
    case 'S':
      out->set_mode = MetaSetMode::kSet;
      break;
    case 'E':
      out->set_mode = MetaSetMode::kAdd;
      break;
    case 'A':
      out->set_mode = MetaSetMode::kAppend;
      break;
    case 'P':
      out->set_mode = MetaSetMode::kPrepend;
      break;
    case 'R':
      out->set_mode = MetaSetMode::kReplace;
      break;
    default:
      return Refuse(line->size, "CLIENT_ERROR invalid mode for ms M token", false, swallow);
  }
  if (OpaqueTooLong(*out)) return Refuse(line->size, kOpaqueTooLong, false, swallow);
  if (n > line->options->max_value_size) {
    return Refuse(line->size, "SERVER_ERROR object too large for cache", false, swallow);
  }
  // ms answers a bad data chunk even under 'q'.
  return ReadDataBlock(line->input, line->size, n, false, out);
}

// md and ma: the same checks; flag errors all read "invalid or duplicate".
ParseResult ParseMetaKeyed(Line* line, AsciiCommand command, AsciiRequest* out) {
  if (line->count < 2) return Refuse(line->size, "ERROR");
  if (line->tokens[1].size() > line->options->max_key_length) return Refuse(line->size, kClientErrorBadFormat);
  if (line->count >= kMaxMetaTokens) {
    return Refuse(line->size, "CLIENT_ERROR options flags too long");
  }
  out->command = command;
  out->key = line->tokens[1];
  if (command == AsciiCommand::kMetaArithmetic) out->delta = 1;
  absl::string_view error;
  if (!Preparse(*line, 2, out, &error)) return Refuse(line->size, kInvalidOrDuplicate);
  if (command == AsciiCommand::kMetaArithmetic) {
    switch (out->mode) {
      case 0:
      case 'I':
      case '+':
        out->arithmetic_mode = MetaArithmeticMode::kIncrement;
        break;
      case 'D':
      case '-':
        out->arithmetic_mode = MetaArithmeticMode::kDecrement;
        break;
      default:
        return Refuse(line->size, "CLIENT_ERROR invalid mode for ma M token");
    }
  }
  if (OpaqueTooLong(*out)) return Refuse(line->size, kOpaqueTooLong);
  return ParseResult::Ok(line->size);
}

ParseResult ParseMetaDebug(Line* line, AsciiRequest* out) {
  if (line->count < 2 || line->tokens[1].size() > line->options->max_key_length) {
    return Refuse(line->size, kClientErrorBadFormat);
  }
  out->command = AsciiCommand::kMetaDebug;
  out->key = line->tokens[1];
  if (line->count >= 3 && line->tokens[2] == "b") {
    size_t n =
        keys::Base64DecodeLikeMemcached(out->key, out->decoded_key_buffer(), kMetaMaxDecodedKey);
    if (n == 0) return Refuse(line->size, kClientErrorBadFormat);
    out->key = absl::string_view(out->decoded_key_buffer(), n);
    out->key_is_base64 = true;
  }
  return ParseResult::Ok(line->size);
}

}  // namespace

ParseResult ParseMetaCommand(Line* line, AsciiRequest* out) {
  Tokenize(line->rest, line);
  switch (line->tokens[0][1]) {
    case 'g':
      return ParseMetaGet(line, out);
    case 's':
      return ParseMetaSet(line, out);
    case 'd':
      return ParseMetaKeyed(line, AsciiCommand::kMetaDelete, out);
    case 'a':
      return ParseMetaKeyed(line, AsciiCommand::kMetaArithmetic, out);
    case 'n':
      out->command = AsciiCommand::kMetaNoop;
      return ParseResult::Ok(line->size);
    case 'e':
      return ParseMetaDebug(line, out);
    default:
      return Refuse(line->size, "ERROR");
  }
}

}  // namespace internal
}  // namespace protocol
}  // namespace memkit
