// Fuzzes ParseBinaryRequest over a stream of requests, checking its
// invariants: results stay inside the input, a parsed request is parsed the
// same from any longer input and is incomplete from any shorter one, and a
// plain request rebuilt from its parts is the bytes it came from.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "core/protocol/binary_request_parser.h"
#include "core/protocol/binary_request_writer.h"

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

void CheckMessage(absl::string_view input, const BinaryParserOptions& options) {
  BinaryRequest r;
  ParseResult result = ParseBinaryRequest(input, options, &r);
  switch (result.status) {
    case ParseStatus::kIncomplete:
      Check(result.consumed == 0, "incomplete consumed nothing");
      Check(result.bytes_needed >= 1, "incomplete needs bytes");
      return;
    case ParseStatus::kError:
      Check(result.consumed <= input.size(), "error consumed within input");
      Check(result.error.close || !result.error.reply.empty(), "refusal without reply or close");
      return;
    case ParseStatus::kOk:
      break;
  }
  Check(result.consumed >= kBinaryHeaderSize && result.consumed <= input.size(), "ok consumed");
  absl::string_view message = input.substr(0, result.consumed);
  Check(Within(r.extras, message) && Within(r.key, message) && Within(r.value, message),
        "views inside the message");
  Check(r.key.size() <= kBinaryMaxKeyLength, "key length");
  // Any shorter input is incomplete and asks for no more than is missing.
  for (size_t cut : {size_t{0}, result.consumed / 2, result.consumed - 1}) {
    BinaryRequest partial;
    ParseResult p = ParseBinaryRequest(input.substr(0, cut), options, &partial);
    Check(p.incomplete(), "prefix of a request is incomplete");
    Check(cut + p.bytes_needed <= result.consumed, "prefix asks for too much");
  }
  // Exactly the message parses the same.
  BinaryRequest again;
  ParseResult exact = ParseBinaryRequest(message, options, &again);
  Check(exact.ok() && exact.consumed == result.consumed, "exact message parses");
  Check(again.key == r.key && again.value == r.value && again.opaque == r.opaque, "same fields");
  // A plain request (body exactly extras + key + value, no data type or
  // vbucket) is rebuilt byte for byte.
  BinaryHeader h = DecodeBinaryHeader(message.data());
  if (h.data_type == 0 && h.status_or_vbucket == 0 &&
      h.body_length + kBinaryHeaderSize == result.consumed) {
    BinaryPacket packet;
    Check(BuildBinaryRequest(h.opcode, r.extras, r.key, r.value, r.cas, r.opaque, &packet).ok(),
          "rebuild");
    Check(packet.ToString() == std::string(message), "rebuilt bytes");
  }
}

}  // namespace
}  // namespace protocol
}  // namespace memkit

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using memkit::protocol::BinaryParserOptions;
  using memkit::protocol::BinaryRequest;
  using memkit::protocol::ParseBinaryRequest;
  using memkit::protocol::ParseResult;
  absl::string_view input(reinterpret_cast<const char*>(data), size);
  BinaryParserOptions options;
  // The last byte, if any, picks the server settings.
  if (!input.empty()) {
    uint8_t knobs = static_cast<uint8_t>(input.back());
    options.sasl_enabled = (knobs & 1) != 0;
    options.authenticated = (knobs & 2) != 0;
    options.use_cas = (knobs & 4) == 0;
    if (knobs & 8) options.item_size_max = 4096;
  }
  // Walk the stream as a server would: parse, consume, swallow.
  int steps = 0;
  while (!input.empty() && steps++ < 1000) {
    memkit::protocol::CheckMessage(input, options);
    BinaryRequest r;
    ParseResult result = ParseBinaryRequest(input, options, &r);
    if (result.incomplete()) break;
    if (!result.ok()) {
      if (result.error.close) break;
      size_t skip = result.consumed + result.error.swallow;
      if (skip >= input.size()) break;
      input.remove_prefix(skip);
      continue;
    }
    input.remove_prefix(result.consumed);
  }
  return 0;
}
