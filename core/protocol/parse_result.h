// The result convention shared by memkit's incremental protocol parsers
// (text, meta and binary; requests and responses).
//
// A parser is handed the bytes received so far. It either parses one whole
// message, says it needs more bytes, or reports the input malformed together
// with what memcached does about it. Parsers never copy values they can point
// at: parsed messages hold absl::string_views into the input, valid until the
// caller consumes those bytes from its buffer.

#ifndef MEMKIT_CORE_PROTOCOL_PARSE_RESULT_H_
#define MEMKIT_CORE_PROTOCOL_PARSE_RESULT_H_

#include <cstddef>
#include <string>
#include <utility>

namespace memkit {
namespace protocol {

enum class ParseStatus {
  kOk,          // One message parsed; `consumed` bytes belong to it.
  kIncomplete,  // Not enough bytes yet; nothing consumed. See `bytes_needed`.
  kError,       // Malformed input; see `error`. `consumed` bytes are dropped.
};

// What a server does about malformed input, as memcached 1.6 does.
struct ProtocolError {
  // The reply line memcached sends, with its "\r\n" (e.g. "ERROR\r\n",
  // "CLIENT_ERROR bad data chunk\r\n"); empty when it sends nothing.
  std::string reply;
  // Bytes after the `consumed` ones that memcached reads and discards (the
  // data block of a storage command whose line it refused). May exceed what
  // has arrived; the connection swallows them as they come.
  size_t swallow = 0;
  // memcached closes the connection after sending `reply`.
  bool close = false;
  // memcached first discards every reply it has queued on the connection but
  // not yet written (a text get with a key over 250 bytes: memcached 1.6.18
  // drops the whole unsent response chain, earlier pipelined commands'
  // replies included, then sends `reply`). ParseAsciiRequest then leaves the
  // keys before the long one in AsciiRequest::keys (and a gat's exptime):
  // memcached has looked them up (and touched them) by then.
  bool drop_unsent = false;
};

struct ParseResult {
  ParseStatus status = ParseStatus::kIncomplete;
  // Bytes of input the message (or the malformed part) occupies.
  size_t consumed = 0;
  // With kIncomplete: at least this many more bytes are needed before parsing
  // can progress (1 when the parser waits for a line end and cannot know more).
  size_t bytes_needed = 0;
  // With kError: what memcached does about it.
  ProtocolError error;

  bool ok() const { return status == ParseStatus::kOk; }
  bool incomplete() const { return status == ParseStatus::kIncomplete; }

  static ParseResult Ok(size_t consumed) {
    ParseResult r;
    r.status = ParseStatus::kOk;
    r.consumed = consumed;
    return r;
  }
  static ParseResult Incomplete(size_t bytes_needed) {
    ParseResult r;
    r.status = ParseStatus::kIncomplete;
    r.bytes_needed = bytes_needed == 0 ? 1 : bytes_needed;
    return r;
  }
  static ParseResult Error(size_t consumed, ProtocolError error) {
    ParseResult r;
    r.status = ParseStatus::kError;
    r.consumed = consumed;
    r.error = std::move(error);
    return r;
  }
};

}  // namespace protocol
}  // namespace memkit

#endif  // MEMKIT_CORE_PROTOCOL_PARSE_RESULT_H_
