// libFuzzer target for ParseAsciiResponse() (text and meta replies). For
// every input it checks that
//  - results are sane: nothing consumed past the input, progress on success,
//    a reason and a close on malformed input, bytes_needed positive;
//  - every view in a parsed reply points into the input;
//  - feeding the bytes in two pieces or one byte at a time gives the same
//    replies;
//  - a parsed reply written back by the server writers parses again into
//    the same reply.
// A broken invariant aborts with a message.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "core/protocol/ascii_response_parser.h"
#include "core/protocol/ascii_rewrite.h"
#include "core/protocol/ascii_sink.h"

namespace memkit {
namespace protocol {
namespace {

void Check(bool ok, const char* what, absl::string_view input = {}) {
  if (ok) return;
  std::fprintf(stderr, "invariant broken: %s\ninput: %s\n", what,
               absl::CHexEscape(input.substr(0, 300)).c_str());
  std::abort();
}

bool Within(absl::string_view part, absl::string_view whole) {
  return part.empty() || (part.data() >= whole.data() &&
                          part.data() + part.size() <= whole.data() + whole.size());
}

void CheckViews(const AsciiResponse& r, absl::string_view pending) {
  for (absl::string_view v : {r.line, r.key, r.value, r.stat_name, r.stat_value, r.message}) {
    Check(Within(v, pending), "view inside the input", pending);
  }
  for (const MetaFlag& f : r.meta_flags()) {
    Check(Within(f.token, pending), "meta token inside the input", pending);
  }
}

void CheckRewrite(const AsciiResponse& r, const AsciiResponseParserOptions& options) {
  std::string wire;
  StringSink sink(&wire);
  Check(testing::RewriteReplyAsParsed(r, &sink).ok(), "reply can be written back");
  AsciiResponse again;
  ParseResult p = ParseAsciiResponse(wire, options, &again);
  Check(p.ok() && p.consumed == wire.size(), "rewritten reply parses", wire);
  Check(testing::DescribeResponse(again) == testing::DescribeResponse(r),
        "rewritten reply parses the same", wire);
}

std::vector<std::string> Run(absl::string_view input, const AsciiResponseParserOptions& options,
                             const std::vector<size_t>& cuts, bool rewrite) {
  std::vector<std::string> events;
  std::string buffer;
  size_t pos = 0;
  bool broken = false;
  AsciiResponse resp;
  auto process = [&]() {
    while (!broken) {
      absl::string_view pending(buffer.data() + pos, buffer.size() - pos);
      ParseResult r = ParseAsciiResponse(pending, options, &resp);
      Check(r.consumed <= pending.size(), "consumed within the input", pending);
      if (r.incomplete()) {
        Check(r.bytes_needed >= 1 && r.consumed == 0, "incomplete asks for bytes", pending);
        return;
      }
      if (r.status == ParseStatus::kError) {
        Check(r.error.close && !resp.malformed_reason.empty(), "malformed has a reason", pending);
        events.push_back(absl::StrCat("malformed ", resp.malformed_reason));
        broken = true;
        return;
      }
      Check(r.consumed > 0, "progress", pending);
      CheckViews(resp, pending);
      if (rewrite) CheckRewrite(resp, options);
      events.push_back(testing::DescribeResponse(resp));
      pos += r.consumed;
    }
  };
  size_t fed = 0;
  for (size_t cut : cuts) {
    buffer.append(input.data() + fed, cut - fed);
    fed = cut;
    process();
  }
  buffer.append(input.data() + fed, input.size() - fed);
  process();
  return events;
}

}  // namespace
}  // namespace protocol
}  // namespace memkit

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using memkit::protocol::Run;
  absl::string_view input(reinterpret_cast<const char*>(data), size);
  memkit::protocol::AsciiResponseParserOptions options;
  options.max_value_size = 1 << 16;
  const std::vector<std::string> whole = Run(input, options, {}, true);
  const size_t cut = input.empty() ? 0 : (input.size() * static_cast<unsigned char>(input[0])) / 256;
  memkit::protocol::Check(Run(input, options, {cut}, false) == whole, "a split parses the same",
                          input);
  // Feeding byte by byte costs time quadratic in the input; short inputs keep
  // the fuzzer fast, and the unit tests split whole recorded sessions at every byte.
  if (input.size() <= 64) {
    std::vector<size_t> every;
    for (size_t i = 1; i < input.size(); ++i) every.push_back(i);
    memkit::protocol::Check(Run(input, options, every, false) == whole,
                            "byte at a time parses the same", input);
  }
  return 0;
}
