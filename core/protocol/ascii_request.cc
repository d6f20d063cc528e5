#include "core/protocol/ascii_request.h"

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace memkit {
namespace protocol {
namespace {

constexpr absl::string_view kNames[] = {
    "none",    "get",     "gets",     "gat",       "gats",  "set",       "add",
    "replace", "append",  "prepend",  "cas",       "delete", "incr",     "decr",
    "touch",   "flush_all", "verbosity", "version", "quit",  "stats",    "shutdown",
    "cache_memlimit", "admin", "mg",  "ms",        "md",    "ma",        "mn",
    "me",
};
static_assert(sizeof(kNames) / sizeof(kNames[0]) ==
                  static_cast<size_t>(AsciiCommand::kMetaDebug) + 1,
              "one name per command");

// Bit for flag characters 'A'..'z'; others have none (memcached refuses them).
inline uint64_t FlagBit(char c) {
  unsigned idx = static_cast<unsigned char>(c) - static_cast<unsigned>('A');
  return idx < 58 ? (uint64_t{1} << idx) : 0;
}

}  // namespace

absl::string_view AsciiCommandName(AsciiCommand command) {
  size_t i = static_cast<size_t>(command);
  return i < sizeof(kNames) / sizeof(kNames[0]) ? kNames[i] : "unknown";
}

bool AsciiRequest::HasMetaFlag(char flag) const {
  uint64_t bit = FlagBit(flag);
  return bit != 0 && (meta_present_ & bit) != 0;
}

absl::string_view AsciiRequest::MetaToken(char flag) const {
  if (!HasMetaFlag(flag)) return {};
  for (size_t i = 0; i < meta_flag_count_; ++i) {
    if (meta_flags_[i].flag == flag) return meta_flags_[i].token;
  }
  return {};
}

void AsciiRequest::AddArg(absl::string_view arg) {
  if (arg_count_ < kAsciiMaxTokens) args_[arg_count_++] = arg;
}

void AsciiRequest::AddMetaFlag(char flag, absl::string_view token) {
  if (meta_flag_count_ < kAsciiMaxTokens) {
    meta_flags_[meta_flag_count_++] = MetaFlag{flag, token};
    meta_present_ |= FlagBit(flag);
  }
}

void AsciiRequest::clear() {
  command = AsciiCommand::kNone;
  key = {};
  keys.clear();
  value = {};
  flags = 0;
  exptime = 0;
  cas = 0;
  delta = 0;
  number = 0;
  noreply = false;
  has_delay = false;
  shutdown_mode = ShutdownMode::kImmediate;
  command_name = {};
  arg_count_ = 0;
  meta_flag_count_ = 0;
  meta_present_ = 0;
  key_is_base64 = false;
  opaque = {};
  vivify_ttl = 0;
  recache_ttl = 0;
  initial = 0;
  new_cas = 0;
  mode = 0;
  set_mode = MetaSetMode::kSet;
  arithmetic_mode = MetaArithmeticMode::kIncrement;
}

std::string AsciiRequest::DebugString() const {
  std::string out = std::string(AsciiCommandName(command));
  if (!command_name.empty()) absl::StrAppend(&out, " name=", command_name);
  if (IsTextRetrievalCommand(command)) {
    absl::StrAppend(&out, " keys=[");
    for (size_t i = 0; i < keys.size(); ++i) {
      absl::StrAppend(&out, i ? "," : "", absl::CHexEscape(keys[i]));
    }
    absl::StrAppend(&out, "]");
  } else if (!key.empty()) {
    absl::StrAppend(&out, " key=", absl::CHexEscape(key));
  }
  if (IsTextStorageCommand(command) || command == AsciiCommand::kMetaSet) {
    absl::StrAppend(&out, " value=", absl::CHexEscape(value));
  }
  absl::StrAppend(&out, " flags=", flags, " exptime=", exptime, " cas=", cas, " delta=", delta,
                  " number=", number);
  if (noreply) absl::StrAppend(&out, " noreply");
  if (has_delay) absl::StrAppend(&out, " has_delay");
  if (command == AsciiCommand::kShutdown) {
    absl::StrAppend(&out, " shutdown_mode=", static_cast<int>(shutdown_mode));
  }
  if (arg_count_ > 0) {
    absl::StrAppend(&out, " args=[");
    for (size_t i = 0; i < arg_count_; ++i) {
      absl::StrAppend(&out, i ? "," : "", absl::CHexEscape(args_[i]));
    }
    absl::StrAppend(&out, "]");
  }
  if (IsMetaCommand(command)) {
    absl::StrAppend(&out, " meta=[");
    for (size_t i = 0; i < meta_flag_count_; ++i) {
      absl::StrAppend(&out, i ? " " : "", std::string(1, meta_flags_[i].flag),
                      absl::CHexEscape(meta_flags_[i].token));
    }
    absl::StrAppend(&out, "]");
    if (key_is_base64) absl::StrAppend(&out, " base64");
    absl::StrAppend(&out, " opaque=", absl::CHexEscape(opaque), " N=", vivify_ttl,
                    " R=", recache_ttl, " J=", initial, " E=", new_cas);
    if (mode != 0) absl::StrAppend(&out, " mode=", std::string(1, mode));
    absl::StrAppend(&out, " set_mode=", static_cast<int>(set_mode),
                    " arith_mode=", static_cast<int>(arithmetic_mode));
  }
  return out;
}

}  // namespace protocol
}  // namespace memkit
