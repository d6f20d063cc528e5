// Client side of the binary protocol: an incremental, zero-copy response
// parser, and BinaryStatStream, which gathers a stat answer (key/value
// packets ending with one whose key is empty).
//
//   BinaryResponse response;
//   ParseResult r = ParseBinaryResponse(buffer, {}, &response);
//   if (r.ok()) { absl::Status s = response.status(); ...; buffer.consume(r.consumed); }
//   else if (r.incomplete()) { read r.bytes_needed more bytes; }
//   else { the stream is not memcached's: drop the connection
//          (McCode::kProtocolError). }
//
// Quiet requests are matched to responses by opaque: a pipeline of getq/getkq
// ends with a noop, whose response says that every earlier one has arrived.
//
// Thread-safety: ParseBinaryResponse is a pure function; a BinaryStatStream
// is not thread-safe.

#ifndef MEMKIT_CORE_PROTOCOL_BINARY_RESPONSE_PARSER_H_
#define MEMKIT_CORE_PROTOCOL_BINARY_RESPONSE_PARSER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "core/protocol/binary_codes.h"
#include "core/protocol/parse_result.h"

namespace memkit {
namespace protocol {

struct BinaryResponseParserOptions {
  // The largest body accepted: a header announcing more is refused before
  // its body is buffered. The default covers memcached's largest item
  // (-I 1024m) with its key and extras.
  size_t max_body_length = (size_t{1} << 30) + 512;
};

// One parsed response. Views point into the parser's input.
struct BinaryResponse {
  BinaryOpcode opcode = BinaryOpcode::kNoop;  // the request's opcode, echoed
  uint16_t status_code = 0;                   // BinaryStatus value as sent
  uint8_t data_type = 0;
  uint32_t opaque = 0;  // the request's opaque, echoed
  uint64_t cas = 0;

  absl::string_view extras;
  absl::string_view key;  // getk/gatk hits and misses, stat names
  // The value (get family hits), the text of an error, the version string,
  // a stat's value, or SASL data.
  absl::string_view value;

  uint32_t flags = 0;    // get family and touch hits: the item's flags
  uint64_t counter = 0;  // increment/decrement success: the new value

  bool ok() const { return status_code == 0; }
  // status_code as an absl::Status (core/status's mapping: a miss is
  // NotFound, a cas conflict Aborted, ...), whose message is the error's body
  // when the server sent one. Allocates for errors only.
  absl::Status status() const;
};

// Parses the response at the start of `input`.
//
// kOk: `*out` holds it; `consumed` bytes belong to it.
// kIncomplete: at least `bytes_needed` more bytes are needed (never more than
// the header announces, and never beyond options.max_body_length).
// kError: not a binary response (bad magic, lengths that contradict each
// other, a body over the limit, or a success whose shape does not fit its
// opcode: a get hit without 4 bytes of flags, a counter without its 8-byte
// value). error.close is set; the connection cannot be trusted any more.
ParseResult ParseBinaryResponse(absl::string_view input, const BinaryResponseParserOptions& options,
                                BinaryResponse* out);

// Gathers the answer to a stat request: feed it the buffered bytes until
// done(); each call consumes at most one packet and copies what it keeps.
class BinaryStatStream {
 public:
  explicit BinaryStatStream(BinaryResponseParserOptions options = {}) : options_(options) {}

  // Parses one packet at the start of `input`, with ParseBinaryResponse's
  // result convention. A packet with an error status (e.g. "Not found" for
  // an unknown stat group) ends the stream with that status.
  ParseResult Parse(absl::string_view input);

  // True once the terminating packet (or an error status) has been parsed.
  bool done() const { return done_; }
  // The stream's outcome: OK, or the error status the server sent.
  const absl::Status& status() const { return status_; }
  // The stats so far, in the server's order.
  const std::vector<std::pair<std::string, std::string>>& stats() const { return stats_; }

 private:
  BinaryResponseParserOptions options_;
  bool done_ = false;
  absl::Status status_;
  std::vector<std::pair<std::string, std::string>> stats_;
};

}  // namespace protocol
}  // namespace memkit

#endif  // MEMKIT_CORE_PROTOCOL_BINARY_RESPONSE_PARSER_H_
