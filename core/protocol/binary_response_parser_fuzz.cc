// Fuzzes ParseBinaryResponse and BinaryStatStream over a stream of responses:
// results stay inside the input, a parsed response is incomplete from any
// shorter input, and a response rebuilt from its parts is its own bytes.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "core/protocol/binary_response_parser.h"
#include "core/protocol/binary_response_writer.h"

namespace memkit {
namespace protocol {
namespace {

void Check(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "invariant broken: %s\n", what);
    std::abort();
  }
}

bool Within(absl::string_view part, absl::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

void CheckMessage(absl::string_view input, const BinaryResponseParserOptions& options) {
  BinaryResponse r;
  ParseResult result = ParseBinaryResponse(input, options, &r);
  if (result.incomplete()) {
    Check(result.bytes_needed >= 1, "incomplete needs bytes");
    Check(result.bytes_needed <= options.max_body_length + kBinaryHeaderSize, "bounded need");
    return;
  }
  if (!result.ok()) {
    Check(result.error.close, "malformed responses close");
    return;
  }
  Check(result.consumed >= kBinaryHeaderSize && result.consumed <= input.size(), "ok consumed");
  absl::string_view message = input.substr(0, result.consumed);
  Check(Within(r.extras, message) && Within(r.key, message) && Within(r.value, message),
        "views inside the message");
  Check(r.extras.size() + r.key.size() + r.value.size() + kBinaryHeaderSize == result.consumed,
        "parts add up");
  for (size_t cut : {size_t{0}, result.consumed / 2, result.consumed - 1}) {
    BinaryResponse partial;
    ParseResult p = ParseBinaryResponse(input.substr(0, cut), options, &partial);
    Check(p.incomplete(), "prefix of a response is incomplete");
    Check(cut + p.bytes_needed <= result.consumed, "prefix asks for too much");
  }
  (void)r.status();  // maps every status without crashing
  BinaryHeader h = DecodeBinaryHeader(message.data());
  if (h.data_type == 0 && r.extras.size() <= 20) {
    BinaryPacket packet = MakeBinaryResponse(h.opcode, static_cast<BinaryStatus>(r.status_code),
                                             r.opaque, r.cas, r.extras, r.key, r.value);
    Check(packet.ToString() == std::string(message), "rebuilt bytes");
  }
}

}  // namespace
}  // namespace protocol
}  // namespace memkit

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace memkit::protocol;  // NOLINT: a fuzz entry point
  absl::string_view input(reinterpret_cast<const char*>(data), size);
  BinaryResponseParserOptions options;
  options.max_body_length = 1 << 20;
  absl::string_view rest = input;
  int steps = 0;
  while (!rest.empty() && steps++ < 1000) {
    CheckMessage(rest, options);
    BinaryResponse r;
    ParseResult result = ParseBinaryResponse(rest, options, &r);
    if (!result.ok()) break;
    rest.remove_prefix(result.consumed);
  }
  // The same bytes as a stat stream.
  BinaryStatStream stats(options);
  rest = input;
  while (!stats.done() && !rest.empty()) {
    ParseResult result = stats.Parse(rest);
    if (!result.ok()) break;
    rest.remove_prefix(result.consumed);
  }
  return 0;
}
