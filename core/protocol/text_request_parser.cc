// The text half of ParseAsciiRequest(): memcached 1.6.18's
// process_command_ascii() dispatch and the checks each text command makes
// before it looks at the cache, with the same replies in the same order.

#include <climits>
#include <cstring>

#include "absl/strings/string_view.h"
#include "core/protocol/ascii_internal.h"
#include "core/protocol/ascii_parser_internal.h"
#include "core/status/status.h"

namespace memkit {
namespace protocol {
namespace internal {
namespace {

constexpr absl::string_view kBadExptime = "CLIENT_ERROR invalid exptime argument";

inline ParseResult Error(const Line& line) { return Refuse(line.size, "ERROR"); }

// memcached's set_noreply_maybe(): the last token is "noreply".
inline bool LastIsNoreply(const Line& line) {
  return line.count > 1 && line.tokens[line.count - 1] == "noreply";
}

// get, gets, gat, gats, bget: keys run to the end of the line (memcached
// tokenizes a long multiget 23 tokens at a time; the result is the same).
ParseResult ParseRetrieval(Line* line, AsciiCommand command, bool touch, AsciiRequest* out) {
  out->command = command;
  const char* p = line->rest;
  const char* end = line->end;
  const size_t max_key = line->options->max_key_length;
  if (touch) {
    // The exptime is the first token after the word.
    while (p < end && *p == ' ') ++p;
    const char* s = p;
    while (p < end && *p != ' ') ++p;
    if (!SafeStrtol(absl::string_view(s, static_cast<size_t>(p - s)), &out->exptime)) {
      return Refuse(line->size, kBadExptime);
    }
  }
  std::vector<absl::string_view>& keys = out->keys;
  while (true) {
    while (p < end && *p == ' ') ++p;
    if (p == end) break;
    const char* s = p;
    const void* space = std::memchr(p, ' ', static_cast<size_t>(end - p));
    p = space != nullptr ? static_cast<const char*>(space) : end;
    size_t n = static_cast<size_t>(p - s);
    if (n > max_key) {
      // memcached's process_get_command() kills its stacked responses here,
      // having looked up the keys before this one (left in `keys`).
      ParseResult r = Refuse(line->size, kClientErrorBadFormat);
      r.error.drop_unsent = true;
      return r;
    }
    keys.emplace_back(s, n);
  }
  if (!keys.empty()) out->key = keys[0];
  return ParseResult::Ok(line->size);
}

// set/add/replace/append/prepend (6 or 7 tokens) and cas (7 or 8).
ParseResult ParseStorage(Line* line, AsciiCommand command, AsciiRequest* out) {
  const bool is_cas = command == AsciiCommand::kCas;
  const size_t count = line->count;
  if (count != (is_cas ? 6u : 5u) && count != (is_cas ? 7u : 6u)) return Error(*line);
  const absl::string_view* t = line->tokens;
  out->command = command;
  out->noreply = LastIsNoreply(*line);
  const bool silent = out->noreply;
  if (t[1].size() > line->options->max_key_length) return Refuse(line->size, kClientErrorBadFormat, silent);
  out->key = t[1];
  int32_t length = 0;
  if (!SafeStrtoul(t[2], &out->flags) || !SafeStrtol(t[3], &out->exptime) ||
      !SafeStrtol(t[4], &length)) {
    return Refuse(line->size, kClientErrorBadFormat, silent);
  }
  if (is_cas && !SafeStrtoull(t[5], &out->cas)) return Refuse(line->size, kClientErrorBadFormat, silent);
  if (length < 0 || length > INT_MAX - 2) return Refuse(line->size, kClientErrorBadFormat, silent);
  const size_t n = static_cast<size_t>(length);
  if (n > line->options->max_value_size) {
    return Refuse(line->size, "SERVER_ERROR object too large for cache", silent, n + 2);
  }
  return ReadDataBlock(line->input, line->size, n, silent, out);
}

ParseResult ParseDelete(Line* line, AsciiRequest* out) {
  const size_t count = line->count;
  if (count < 2 || count > 4) return Error(*line);
  const absl::string_view* t = line->tokens;
  out->command = AsciiCommand::kDelete;
  if (count > 2) {
    // memcached accepts a hold time of exactly "0", and noreply.
    bool hold_is_zero = t[2] == "0";
    out->noreply = LastIsNoreply(*line);
    bool valid = (count == 3 && (hold_is_zero || out->noreply)) ||
                 (count == 4 && hold_is_zero && out->noreply);
    if (!valid) {
      return Refuse(line->size,
                    "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]",
                    out->noreply);
    }
  }
  if (t[1].size() > line->options->max_key_length) {
    return Refuse(line->size, kClientErrorBadFormat, out->noreply);
  }
  out->key = t[1];
  return ParseResult::Ok(line->size);
}

ParseResult ParseArithmetic(Line* line, AsciiCommand command, AsciiRequest* out) {
  if (line->count != 3 && line->count != 4) return Error(*line);
  const absl::string_view* t = line->tokens;
  out->command = command;
  out->noreply = LastIsNoreply(*line);
  if (t[1].size() > line->options->max_key_length) {
    return Refuse(line->size, kClientErrorBadFormat, out->noreply);
  }
  out->key = t[1];
  if (!SafeStrtoull(t[2], &out->delta)) {
    return Refuse(line->size, "CLIENT_ERROR invalid numeric delta argument", out->noreply);
  }
  return ParseResult::Ok(line->size);
}

ParseResult ParseTouch(Line* line, AsciiRequest* out) {
  if (line->count != 3 && line->count != 4) return Error(*line);
  const absl::string_view* t = line->tokens;
  out->command = AsciiCommand::kTouch;
  out->noreply = LastIsNoreply(*line);
  if (t[1].size() > line->options->max_key_length) {
    return Refuse(line->size, kClientErrorBadFormat, out->noreply);
  }
  out->key = t[1];
  if (!SafeStrtol(t[2], &out->exptime)) return Refuse(line->size, kBadExptime, out->noreply);
  return ParseResult::Ok(line->size);
}

ParseResult ParseFlushAll(Line* line, AsciiRequest* out) {
  const size_t count = line->count;
  if (count > 3) return Error(*line);
  out->command = AsciiCommand::kFlushAll;
  out->noreply = LastIsNoreply(*line);
  if (count != (out->noreply ? 2u : 1u)) {
    if (!SafeStrtol(line->tokens[1], &out->exptime)) {
      return Refuse(line->size, kBadExptime, out->noreply);
    }
    out->has_delay = true;
  }
  return ParseResult::Ok(line->size);
}

ParseResult ParseVerbosity(Line* line, AsciiRequest* out) {
  if (line->count != 2 && line->count != 3) return Error(*line);
  out->command = AsciiCommand::kVerbosity;
  out->noreply = LastIsNoreply(*line);
  if (!SafeStrtoul(line->tokens[1], &out->number)) {
    return Refuse(line->size, kClientErrorBadFormat, out->noreply);
  }
  return ParseResult::Ok(line->size);
}

ParseResult ParseCacheMemlimit(Line* line, AsciiRequest* out) {
  if (line->count != 2 && line->count != 3) return Error(*line);
  out->command = AsciiCommand::kCacheMemlimit;
  out->noreply = LastIsNoreply(*line);
  if (!SafeStrtoul(line->tokens[1], &out->number)) {
    return Refuse(line->size, "ERROR", out->noreply);
  }
  return ParseResult::Ok(line->size);
}

// stats, shutdown and the admin commands: the word and its arguments.
ParseResult ParseWithArgs(Line* line, AsciiCommand command, AsciiRequest* out) {
  out->command = command;
  out->command_name = line->tokens[0];
  for (size_t i = 1; i < line->count; ++i) out->AddArg(line->tokens[i]);
  if (command == AsciiCommand::kShutdown) {
    if (line->count == 1) {
      out->shutdown_mode = ShutdownMode::kImmediate;
    } else if (line->count == 2 && line->tokens[1] == "graceful") {
      out->shutdown_mode = ShutdownMode::kGraceful;
    } else {
      out->shutdown_mode = ShutdownMode::kInvalid;
    }
  }
  return ParseResult::Ok(line->size);
}

// The last branch of memcached's dispatch: an unknown word. A line whose last
// token starts with "HTTP/" is a web request; memcached hangs up on it.
ParseResult Unknown(const Line& line) {
  if (line.tokens[line.count - 1].substr(0, 5) == "HTTP/") return Close(line.size);
  return Error(line);
}

}  // namespace

ParseResult ParseTextCommand(Line* line, AsciiRequest* out) {
  const absl::string_view word = line->tokens[0];
  // Retrievals read their keys straight from the line.
  if (word[0] == 'g') {
    // memcached wants at least one token after the word.
    const char* p = line->rest;
    while (p < line->end && *p == ' ') ++p;
    if (p == line->end) return Error(*line);
    if (word == "get") return ParseRetrieval(line, AsciiCommand::kGet, false, out);
    if (word == "gets") return ParseRetrieval(line, AsciiCommand::kGets, false, out);
    if (word == "gat") return ParseRetrieval(line, AsciiCommand::kGat, true, out);
    if (word == "gats") return ParseRetrieval(line, AsciiCommand::kGats, true, out);
    return Error(*line);
  }
  if (word == "bget") {
    const char* p = line->rest;
    while (p < line->end && *p == ' ') ++p;
    if (p == line->end) return Error(*line);
    return ParseRetrieval(line, AsciiCommand::kGet, false, out);
  }

  Tokenize(line->rest, line);
  switch (word[0]) {
    case 's':
      if (word == "set") return ParseStorage(line, AsciiCommand::kSet, out);
      if (word == "stats") return ParseWithArgs(line, AsciiCommand::kStats, out);
      if (word == "shutdown") return ParseWithArgs(line, AsciiCommand::kShutdown, out);
      if (word == "slabs") return ParseWithArgs(line, AsciiCommand::kAdmin, out);
      return Error(*line);
    case 'a':
      if (word == "add") return ParseStorage(line, AsciiCommand::kAdd, out);
      if (word == "append") return ParseStorage(line, AsciiCommand::kAppend, out);
      return Error(*line);
    case 'c':
      if (word == "cas") return ParseStorage(line, AsciiCommand::kCas, out);
      if (word == "cache_memlimit") return ParseCacheMemlimit(line, out);
      return Error(*line);
    case 'i':
      if (word == "incr") return ParseArithmetic(line, AsciiCommand::kIncr, out);
      return Error(*line);
    case 'd':
      if (word == "delete") return ParseDelete(line, out);
      if (word == "decr") return ParseArithmetic(line, AsciiCommand::kDecr, out);
      return Error(*line);
    case 't':
      if (word == "touch") return ParseTouch(line, out);
      return Error(*line);
    default:
      break;
  }
  if (word == "replace") return ParseStorage(line, AsciiCommand::kReplace, out);
  if (word == "prepend") return ParseStorage(line, AsciiCommand::kPrepend, out);
  if (word == "flush_all") return ParseFlushAll(line, out);
  if (word == "version") {
    out->command = AsciiCommand::kVersion;
    return ParseResult::Ok(line->size);
  }
  if (word == "quit") {
    out->command = AsciiCommand::kQuit;
    return ParseResult::Ok(line->size);
  }
  if (word == "lru_crawler" || word == "watch" || word == "refresh_certs") {
    return ParseWithArgs(line, AsciiCommand::kAdmin, out);
  }
  if (word == "verbosity") return ParseVerbosity(line, out);
  if (word == "lru" || word == "extstore") {
    if (line->count < 2) return Error(*line);
    return ParseWithArgs(line, AsciiCommand::kAdmin, out);
  }
  return Unknown(*line);
}

}  // namespace internal
}  // namespace protocol
}  // namespace memkit
