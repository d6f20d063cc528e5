// Client side of the text and meta protocols: an incremental parser for what
// a memcached server sends back. Each call parses one reply element from the
// front of the bytes received so far: a VALUE line with its data block, END,
// a status line (STORED, NOT_FOUND, ...), an incr/decr number, one STAT line,
// VERSION, an error line, or a meta reply (HD/VA/EN/NF/NS/EX/MN with return
// flags; VA with its value; ME). Replies are context-free on the wire, so
// the caller drives streams: a multiget is VALUE elements until END, stats
// are STAT elements until END.
//
//   AsciiResponse resp;                   // reused
//   ParseResult r = ParseAsciiResponse(buffer, options, &resp);
//   ok: use resp (views into buffer); consume r.consumed
//   incomplete: read r.bytes_needed more (exact inside a data block)
//   error: the server sent something unparseable; resp.malformed_status()
//          says what (McCode::kProtocolError); drop the connection.
//
// resp.status() maps the element to absl::Status through core/status (miss
// and error replies to NotFound, Aborted, ...; success and data to OK).
//
// Thread-safety: ParseAsciiResponse() is a pure function of its arguments.

#ifndef MEMKIT_CORE_PROTOCOL_ASCII_RESPONSE_PARSER_H_
#define MEMKIT_CORE_PROTOCOL_ASCII_RESPONSE_PARSER_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/protocol/ascii_request.h"
#include "core/protocol/meta_reply_writer.h"
#include "core/protocol/parse_result.h"

namespace memkit {
namespace protocol {

enum class AsciiResponseKind : uint8_t {
  kNone = 0,
  kValue,        // VALUE <key> <flags> <bytes> [<cas>] + data: key, flags, value, cas
  kEnd,          // END
  kStored,       // STORED
  kNotStored,    // NOT_STORED
  kExists,       // EXISTS
  kNotFound,     // NOT_FOUND
  kDeleted,      // DELETED
  kTouched,      // TOUCHED
  kOk,           // OK (flush_all, verbosity, ...)
  kReset,        // RESET (stats reset)
  kNumber,       // incr/decr result: number
  kStat,         // STAT <name> <value>: stat_name, stat_value
  kVersion,      // VERSION <text>: message
  kError,        // ERROR [text] (also "ERROR: ..."): message
  kClientError,  // CLIENT_ERROR <text>: message
  kServerError,  // SERVER_ERROR <text>: message
  kMeta,         // meta_code HD/VA/EN/NF/NS/EX/MN, meta flags; VA: value
  kMetaDebug,    // ME <key> <k=v ...>: key, message (the pairs)
  kOther,        // any other line (ITEM ..., PREFIX ..., MEMLIMIT_..., BUSY ...)
};

struct AsciiResponseParserOptions {
  // Data blocks (VALUE, VA) declaring more bytes than this are refused as
  // malformed instead of being waited for. memcached's largest item is 1 GiB.
  size_t max_value_size = 1024u * 1024 * 1024;
  // A line with no newline within this many bytes is malformed.
  size_t max_line_length = 64 * 1024;
};

// Return flags of a meta reply beyond this many are refused as malformed.
inline constexpr size_t kMaxMetaReplyFlags = 32;

struct AsciiResponse {
  AsciiResponseKind kind = AsciiResponseKind::kNone;
  // The reply line without "\r\n" (the VALUE/VA line for values).
  absl::string_view line;

  absl::string_view key;    // kValue, kMetaDebug
  uint32_t flags = 0;       // kValue
  uint64_t cas = 0;         // kValue (with has_cas)
  bool has_cas = false;
  absl::string_view value;  // kValue, kMeta VA: the data block without "\r\n"
  uint64_t number = 0;      // kNumber
  absl::string_view stat_name;   // kStat
  absl::string_view stat_value;  // kStat (the rest of the line)
  absl::string_view message;     // kVersion, kError..kServerError, kMetaDebug, kOther

  // kMeta.
  MetaCode meta_code = MetaCode::kHD;
  absl::Span<const MetaFlag> meta_flags() const { return {meta_flags_, meta_flag_count_}; }
  bool HasMetaFlag(char flag) const;
  // The token of the first `flag` ("" if absent).
  absl::string_view MetaToken(char flag) const;
  // The token of `flag` as a number; false if absent or not a number.
  bool MetaNumber(char flag, uint64_t* out) const;
  bool MetaSigned(char flag, int64_t* out) const;
  // 'k' with 'b': the key decoded from base64 into `buf` (kMetaMaxDecodedKey).
  // Without 'b' the 'k' token as is. False if absent or undecodable.
  bool MetaKey(char* buf, absl::string_view* key) const;

  // Set when parsing fails: why.
  absl::string_view malformed_reason;

  // What this element means (see the header comment).
  absl::Status status() const;
  // McCode::kProtocolError carrying malformed_reason.
  absl::Status malformed_status() const;

  void clear();
  void AddMetaFlag(char flag, absl::string_view token);

 private:
  MetaFlag meta_flags_[kMaxMetaReplyFlags];
  size_t meta_flag_count_ = 0;
};

// Parses one reply element from the front of `input` into `out` (cleared
// first). kError means the server's bytes are malformed: the connection can
// no longer be trusted (ProtocolError::close is set, reply empty).
ParseResult ParseAsciiResponse(absl::string_view input, const AsciiResponseParserOptions& options,
                               AsciiResponse* out);

}  // namespace protocol
}  // namespace memkit

#endif  // MEMKIT_CORE_PROTOCOL_ASCII_RESPONSE_PARSER_H_
