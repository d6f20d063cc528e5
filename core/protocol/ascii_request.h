// One text-protocol or meta-protocol request as memcached 1.6.18 reads it,
// filled in by ParseAsciiRequest() (ascii_parser.h) and written by the client
// request writers (text_request_writer.h, meta_request_writer.h).
//
// A parsed request holds absl::string_views into the parser's input (keys,
// the data block, meta tokens): they stay valid until the caller consumes
// those bytes. The one exception is a meta key sent base64-encoded (flag 'b'),
// which is decoded into a buffer inside the request, so an AsciiRequest is
// neither copyable nor movable. clear() keeps the capacity of `keys`, so a
// connection that reuses one AsciiRequest stops allocating once warmed up.
//
// Thread-compatible: one thread at a time.

#ifndef MEMKIT_CORE_PROTOCOL_ASCII_REQUEST_H_
#define MEMKIT_CORE_PROTOCOL_ASCII_REQUEST_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace memkit {
namespace protocol {

enum class AsciiCommand : uint8_t {
  kNone = 0,
  // Text retrieval: `keys` (and `key` = keys[0] when there is one).
  kGet,   // also memcached's undocumented "bget"
  kGets,
  kGat,   // `exptime`, then keys (memcached accepts "gat <exptime>" with none)
  kGats,
  // Text storage: key, flags, exptime, value [, cas], noreply.
  kSet,
  kAdd,
  kReplace,
  kAppend,
  kPrepend,
  kCas,
  // Other text commands.
  kDelete,         // key, noreply
  kIncr,           // key, delta, noreply
  kDecr,           // key, delta, noreply
  kTouch,          // key, exptime, noreply
  kFlushAll,       // has_delay + exptime (the delay), noreply
  kVerbosity,      // number (the level), noreply
  kVersion,
  kQuit,
  kStats,          // args (e.g. "items", "slabs", "detail on"), possibly none
  kShutdown,       // shutdown_mode; the server decides whether it is enabled
  kCacheMemlimit,  // number (megabytes), noreply
  // slabs, lru, lru_crawler, watch, extstore, refresh_certs: memcached admin
  // commands memkit does not interpret. `command_name` and `args` only.
  kAdmin,
  // Meta commands: key (decoded if base64), meta flags, parsed flag values.
  kMetaGet,         // mg
  kMetaSet,         // ms: also value
  kMetaDelete,      // md
  kMetaArithmetic,  // ma
  kMetaNoop,        // mn
  kMetaDebug,       // me: key, key_is_base64 only
};

// "get", "set", "mg", ... ("none" for kNone).
absl::string_view AsciiCommandName(AsciiCommand command);

inline bool IsMetaCommand(AsciiCommand c) {
  return c >= AsciiCommand::kMetaGet && c <= AsciiCommand::kMetaDebug;
}
inline bool IsTextStorageCommand(AsciiCommand c) {
  return c >= AsciiCommand::kSet && c <= AsciiCommand::kCas;
}
inline bool IsTextRetrievalCommand(AsciiCommand c) {
  return c >= AsciiCommand::kGet && c <= AsciiCommand::kGats;
}

// The "shutdown" forms memcached distinguishes (when shutdown is enabled).
enum class ShutdownMode : uint8_t {
  kImmediate,  // "shutdown"
  kGraceful,   // "shutdown graceful"
  kInvalid,    // anything else: "CLIENT_ERROR invalid shutdown mode"
};

// What "ms ... M<c>" asks for (memcached 1.6.18: E, A, P, R, S).
enum class MetaSetMode : uint8_t { kSet, kAdd, kAppend, kPrepend, kReplace };
// What "ma ... M<c>" asks for (I or +, D or -).
enum class MetaArithmeticMode : uint8_t { kIncrement, kDecrement };

// One flag of a meta request, in the order sent: `flag` is its first byte and
// `token` the rest of it ("O123" -> 'O', "123"; "v" -> 'v', "").
struct MetaFlag {
  char flag = 0;
  absl::string_view token;
};

// The most tokens memcached reads from one request line (MAX_TOKENS - 1).
inline constexpr size_t kAsciiMaxTokens = 23;
// Meta requests carry at most this many flags: memcached refuses a line of 20
// or more tokens ("mg <key>" plus 17 flags is the longest it takes).
inline constexpr size_t kMetaMaxFlags = 17;
// Longest base64 key memkit decodes (memcached checks the encoded length).
inline constexpr size_t kMetaMaxDecodedKey = 256;

struct AsciiRequest {
  AsciiRequest() = default;
  AsciiRequest(const AsciiRequest&) = delete;
  AsciiRequest& operator=(const AsciiRequest&) = delete;

  AsciiCommand command = AsciiCommand::kNone;
  // The single key of a keyed command; the first key of a retrieval.
  absl::string_view key;
  // Retrieval commands: every key, in order.
  std::vector<absl::string_view> keys;
  // Storage commands and ms: the data block, without its "\r\n". Also set
  // when the block is refused for a bad trailer ("CLIENT_ERROR bad data
  // chunk"), so a server can tell that the command line itself was accepted.
  absl::string_view value;

  uint32_t flags = 0;    // client flags: text storage, ms F
  int32_t exptime = 0;   // storage, touch, gat, flush_all delay, meta T
  uint64_t cas = 0;      // cas unique; meta C (compare)
  uint64_t delta = 0;    // incr/decr; ma D (1 when absent)
  uint32_t number = 0;   // verbosity level, cache_memlimit megabytes
  bool noreply = false;  // text "noreply"; meta 'q'
  bool has_delay = false;  // flush_all was given a delay (in `exptime`)
  ShutdownMode shutdown_mode = ShutdownMode::kImmediate;

  // kStats / kAdmin / kShutdown: the tokens after the command word (at most
  // kAsciiMaxTokens - 1; memcached ignores the rest).
  absl::string_view command_name;
  absl::Span<const absl::string_view> args() const { return {args_, arg_count_}; }

  // ---- meta requests
  // Flags in request order; memcached refuses duplicates, so each flag
  // appears at most once.
  absl::Span<const MetaFlag> meta_flags() const { return {meta_flags_, meta_flag_count_}; }
  bool HasMetaFlag(char flag) const;
  // The token of `flag` ("" when absent or bare).
  absl::string_view MetaToken(char flag) const;

  bool key_is_base64 = false;  // 'b': `key` holds the decoded bytes
  absl::string_view opaque;    // 'O' token without the 'O' ("" when absent)
  int32_t vivify_ttl = 0;      // 'N' (vivify on miss; TTL for the new item)
  int32_t recache_ttl = 0;     // 'R' (win a recache when the TTL is below this)
  uint64_t initial = 0;        // 'J' (ma: value when vivifying)
  uint64_t new_cas = 0;        // 'E' (only with AsciiParserOptions::meta_explicit_cas)
  char mode = 0;               // 'M' switch character, 0 when absent
  MetaSetMode set_mode = MetaSetMode::kSet;
  MetaArithmeticMode arithmetic_mode = MetaArithmeticMode::kIncrement;

  // Back to the freshly constructed state; keeps the capacity of `keys`.
  void clear();

  // A one-line description of every field, for tests and logs.
  std::string DebugString() const;

  // ---- for the parser (and writers' tests)
  void AddArg(absl::string_view arg);
  void AddMetaFlag(char flag, absl::string_view token);
  // Room for a decoded base64 key.
  char* decoded_key_buffer() { return decoded_key_; }

 private:
  absl::string_view args_[kAsciiMaxTokens];
  size_t arg_count_ = 0;
  MetaFlag meta_flags_[kAsciiMaxTokens];
  size_t meta_flag_count_ = 0;
  uint64_t meta_present_ = 0;  // bit (c - 'A') for every flag c in 'A'..'z'
  char decoded_key_[kMetaMaxDecodedKey];
};

}  // namespace protocol
}  // namespace memkit

#endif  // MEMKIT_CORE_PROTOCOL_ASCII_REQUEST_H_
