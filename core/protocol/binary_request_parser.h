// Server side of the binary protocol: an incremental, zero-copy request
// parser that accepts and refuses exactly what memcached 1.6.18 does.
//
//   BinaryRequest request;
//   ParseResult r = ParseBinaryRequest(buffer, options, &request);
//   if (r.ok())         { handle(request); buffer.consume(r.consumed); }
//   else if (r.incomplete()) { read at least r.bytes_needed more bytes; }
//   else { send r.error.reply; drop r.consumed bytes; swallow r.error.swallow
//          more as they arrive; close if r.error.close; }
//
// A request is parsed once all of it is buffered (24 + body length bytes),
// except that memcached's own refusals are decided as early as memcached
// decides them, so that no header can make the caller buffer more than
// memcached would: like memcached, nothing is judged before header, extras
// and key are in (a header announcing more extras and key than its body
// holds just waits for them), and then a value too large for an item is
// refused (and swallowed) at once; a request whose header, extras and key
// exceed memcached's read buffer is dropped with a close.
//
// The error replies (ProtocolError::reply) are complete binary response
// packets, byte-exact with memcached's. See docs/protocol-binary.md for the
// table of refusals.
//
// Thread-safety: a pure function; `input` must stay alive and unchanged while
// the views in BinaryRequest are used.

#ifndef MEMKIT_CORE_PROTOCOL_BINARY_REQUEST_PARSER_H_
#define MEMKIT_CORE_PROTOCOL_BINARY_REQUEST_PARSER_H_

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "core/protocol/binary_codes.h"
#include "core/protocol/parse_result.h"

namespace memkit {
namespace protocol {

// What the parser must know of the server's settings. Cheap to copy; a
// server may keep one per connection (see `authenticated`).
struct BinaryParserOptions {
  // memcached -I: the largest item. A set/add/replace/append/prepend whose
  // item (memcached's 48-byte item header, key + 1, 4 bytes for nonzero
  // flags, value + 2, and 8 for the cas) would be larger gets "Too large."
  // and its value is swallowed, as memcached does.
  size_t item_size_max = 1024 * 1024;
  // memcached -C turns this off: then items carry no 8-byte cas.
  bool use_cas = true;
  // memcached's per-connection read buffer. A request whose 24-byte header,
  // extras and key do not fit in it can never be read: memcached closes the
  // connection without a reply, and so does this parser.
  size_t read_buffer_size = 16384;
  // memcached -S. Without it the SASL opcodes get "Unknown command".
  bool sasl_enabled = false;
  // With sasl_enabled: whether this connection has authenticated. Until it
  // has, every opcode but the SASL ones and version gets "Auth failure." and
  // the connection is closed.
  bool authenticated = false;
};

// One parsed request. Views point into the parser's input.
struct BinaryRequest {
  BinaryOpcode opcode = BinaryOpcode::kNoop;   // as sent (e.g. kSetQ)
  BinaryOpcode command = BinaryOpcode::kNoop;  // its loud form (kSetQ -> kSet)
  bool quiet = false;                          // opcode is a quiet variant
  uint8_t data_type = 0;                       // ignored by memcached
  uint16_t vbucket = 0;                        // reserved; ignored by memcached
  uint32_t opaque = 0;                         // echoed in the response
  uint64_t cas = 0;                            // compare-and-swap; 0 = none

  absl::string_view extras;
  absl::string_view key;
  // set/add/replace/append/prepend: the data; sasl auth/step: the challenge.
  // Empty for everything else (memcached ignores what a stat, touch or gat
  // body holds past its key: those bytes are read as the next request).
  absl::string_view value;

  // Decoded extras; zero where the opcode has none.
  uint32_t flags = 0;    // set/add/replace
  uint32_t exptime = 0;  // set/add/replace, touch/gat*, incr/decr; flush delay
  uint64_t delta = 0;    // incr/decr
  uint64_t initial = 0;  // incr/decr (exptime 0xffffffff: do not create)
};

// Parses the request at the start of `input`.
//
// kOk: `*out` holds it; `consumed` bytes belong to it.
// kIncomplete: at least `bytes_needed` more bytes are needed.
// kError: memcached refuses it. error.reply is the response to send (empty:
// none), then `consumed` bytes are dropped and error.swallow more bytes after
// them are discarded as they arrive; error.close: close after the reply.
// `*out` then holds what the header says (opcode, opaque, ...) and, when the
// refusal came after they arrived, the extras and key: a server needs the key
// of a too-large set, whose old item memcached unlinks.
ParseResult ParseBinaryRequest(absl::string_view input, const BinaryParserOptions& options,
                               BinaryRequest* out);

}  // namespace protocol
}  // namespace memkit

#endif  // MEMKIT_CORE_PROTOCOL_BINARY_REQUEST_PARSER_H_
