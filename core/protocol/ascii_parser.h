// Server side of memcached's text and meta protocols: the incremental request
// parser. A connection hands it the bytes received so far; it parses exactly
// one request (dispatching on the command word, text or meta), says how many
// more bytes it needs, or reports malformed input together with what
// memcached 1.6.18 does about it: the exact reply line (empty when memcached
// stays silent, e.g. under "noreply"), the data bytes it swallows, and whether
// it closes the connection. See docs/protocol-ascii.md for the full table.
//
//   AsciiRequest req;                       // reused for every request
//   ParseResult r = ParseAsciiRequest(buffer, options, &req);
//   if (r.ok())  { handle(req); buffer.consume(r.consumed); }
//   if (r.incomplete()) { read at least r.bytes_needed more bytes; }
//   if (r.status == ParseStatus::kError) {
//     send(r.error.reply); buffer.consume(r.consumed);
//     swallow r.error.swallow further bytes; close if r.error.close;
//   }
//
// The parser checks what memcached checks before it touches the cache (token
// counts, numbers, key length, meta flags, the data block's "\r\n"); outcomes
// that depend on the cache (NOT_FOUND, EXISTS, out of memory, ...) are the
// server's. Keys are not otherwise validated, as in memcached. A server that
// also speaks the binary protocol checks for its magic byte (0x80) first.
//
// Thread-safety: ParseAsciiRequest() is a pure function of its arguments.

#ifndef MEMKIT_CORE_PROTOCOL_ASCII_PARSER_H_
#define MEMKIT_CORE_PROTOCOL_ASCII_PARSER_H_

#include <cstddef>

#include "absl/strings/string_view.h"
#include "core/protocol/ascii_request.h"
#include "core/protocol/parse_result.h"

namespace memkit {
namespace protocol {

struct AsciiParserOptions {
  // Longest key (memcached's KEY_MAX_LENGTH). For base64 meta keys this
  // limits the encoded form, as in memcached.
  size_t max_key_length = 250;

  // Data blocks longer than this get "SERVER_ERROR object too large for
  // cache" and are swallowed without being buffered. memcached's own limit is
  // its item size (-I, 1 MiB) less the item header and key (~50 + key bytes),
  // so a server matching it exactly also checks the item size when storing.
  size_t max_value_size = 1024 * 1024;

  // memcached closes a connection that has sent more than this many bytes
  // without a newline, unless the line starts with "get " or "gets " (after
  // at most 100 spaces): only multigets may be long.
  size_t line_limit = 2048;

  // memcached reads into a 16 KiB buffer: a longer line that is not a get
  // never finds its newline there, and the connection is closed.
  size_t max_line_length = 16 * 1024;

  // memkit's own bound on a "get"/"gets" line (memcached grows its buffer
  // without limit); longer lines close the connection.
  size_t max_multiget_line_length = 1024 * 1024;

  // Accept the meta flag E(token) ("use token as the new CAS value"), which
  // memcached added after 1.6.18. Off: 1.6.18 answers "CLIENT_ERROR invalid
  // flag" to it, and so does memkit.
  bool meta_explicit_cas = false;
};

// Parses one request from the front of `input` into `out` (cleared first).
// On kOk, `out` holds views into `input`; `consumed` covers the request line
// and any data block. On kIncomplete nothing is consumed and `bytes_needed` is
// exact for a partial data block (1 while waiting for a line end). On kError
// see ProtocolError; `out` is unspecified.
ParseResult ParseAsciiRequest(absl::string_view input, const AsciiParserOptions& options,
                              AsciiRequest* out);

}  // namespace protocol
}  // namespace memkit

#endif  // MEMKIT_CORE_PROTOCOL_ASCII_PARSER_H_
