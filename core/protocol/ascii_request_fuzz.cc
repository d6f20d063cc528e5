// libFuzzer target for ParseAsciiRequest() (text and meta requests), run
// with memkit's defaults and with the meta E flag on and a small value limit.
// For every input it checks that
//  - results are sane: nothing consumed past the input, progress on success
//    and on error, replies end in "\r\n", bytes_needed is positive;
//  - every view in a parsed request points into the input (or, for a base64
//    key, into the request's own buffer);
//  - feeding the bytes in two pieces or one byte at a time gives the same
//    requests and replies, unless a line outgrows memcached's 2048-byte
//    limit (where memcached itself depends on how bytes arrive);
//  - a parsed request written back by the client writers parses again into
//    the same request.
// A broken invariant aborts with a message.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "core/protocol/ascii_parser.h"
#include "core/protocol/ascii_request.h"
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

// The request with its meta flags sorted: the writers put 'b' last (and
// memcached ignores whatever follows the 'b').
std::string Canonical(const AsciiRequest& req) {
  std::vector<std::pair<char, std::string>> flags;
  for (const MetaFlag& f : req.meta_flags()) {
    flags.emplace_back(f.flag, f.flag == 'b' ? std::string() : std::string(f.token));
  }
  std::sort(flags.begin(), flags.end());
  std::string out = req.DebugString();
  out.erase(std::min(out.size(), out.find(" meta=[")));
  for (const auto& f : flags) absl::StrAppend(&out, " ", std::string(1, f.first), f.second);
  absl::StrAppend(&out, " base64=", req.key_is_base64, " opaque=", absl::CHexEscape(req.opaque),
                  " N=", req.vivify_ttl, " R=", req.recache_ttl, " J=", req.initial,
                  " E=", req.new_cas, " mode=", static_cast<int>(req.mode));
  return out;
}

void CheckViews(const AsciiRequest& req, absl::string_view pending) {
  if (req.key_is_base64) {
    Check(req.key.size() <= kMetaMaxDecodedKey, "decoded key fits its buffer", pending);
  } else {
    Check(Within(req.key, pending), "key inside the input", pending);
  }
  for (absl::string_view k : req.keys) Check(Within(k, pending), "keys inside the input", pending);
  Check(Within(req.value, pending), "value inside the input", pending);
  Check(Within(req.opaque, pending), "opaque inside the input", pending);
  for (const MetaFlag& f : req.meta_flags()) {
    Check(Within(f.token, pending), "meta token inside the input", pending);
  }
  for (absl::string_view a : req.args()) Check(Within(a, pending), "arg inside the input", pending);
}

// Writes the request back and parses it again: it must be the same request.
void CheckRewrite(const AsciiRequest& req, const AsciiParserOptions& options) {
  if (req.command == AsciiCommand::kShutdown && req.shutdown_mode == ShutdownMode::kInvalid) return;
  std::string wire;
  StringSink sink(&wire);
  if (!testing::RewriteRequest(req, &sink).ok()) return;  // e.g. a key memkit would not send
  AsciiRequest again;
  ParseResult r = ParseAsciiRequest(wire, options, &again);
  Check(r.ok() && r.consumed == wire.size(), "rewritten request parses", wire);
  Check(Canonical(again) == Canonical(req), "rewritten request parses the same", wire);
}

// Feeds `input` in pieces ending at `cuts`; returns what happened, in order.
std::vector<std::string> Run(absl::string_view input, const AsciiParserOptions& options,
                             const std::vector<size_t>& cuts, bool rewrite) {
  std::vector<std::string> events;
  std::string buffer;
  size_t pos = 0;
  size_t swallow = 0;
  bool closed = false;
  AsciiRequest req;
  auto process = [&]() {
    while (!closed) {
      if (swallow > 0) {
        size_t n = std::min(swallow, buffer.size() - pos);
        pos += n;
        swallow -= n;
        if (swallow > 0) return;
      }
      absl::string_view pending(buffer.data() + pos, buffer.size() - pos);
      ParseResult r = ParseAsciiRequest(pending, options, &req);
      Check(r.consumed <= pending.size(), "consumed within the input", pending);
      if (r.incomplete()) {
        Check(r.bytes_needed >= 1 && r.consumed == 0, "incomplete asks for bytes", pending);
        return;
      }
      Check(r.consumed > 0, "progress", pending);
      if (r.status == ParseStatus::kError) {
        const std::string& reply = r.error.reply;
        Check(reply.empty() || (reply.size() >= 2 && reply.compare(reply.size() - 2, 2, "\r\n") == 0),
              "reply ends in \\r\\n", pending);
        events.push_back(absl::StrCat("error ", absl::CHexEscape(reply), " swallow=",
                                      r.error.swallow, " close=", r.error.close));
        pos += r.consumed;
        swallow = r.error.swallow;
        closed = r.error.close;
        continue;
      }
      CheckViews(req, pending);
      if (rewrite) CheckRewrite(req, options);
      events.push_back(req.DebugString());
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

bool HasLongLine(absl::string_view input, size_t limit) {
  size_t start = 0;
  while (start < input.size()) {
    size_t nl = input.find('\n', start);
    size_t end = nl == absl::string_view::npos ? input.size() : nl;
    if (end - start > limit) return true;
    if (nl == absl::string_view::npos) break;
    start = nl + 1;
  }
  return false;
}

void FuzzWith(absl::string_view input, const AsciiParserOptions& options) {
  const std::vector<std::string> whole = Run(input, options, {}, true);
  if (HasLongLine(input, options.line_limit)) return;
  const size_t cut = input.empty() ? 0 : (input.size() * static_cast<unsigned char>(input[0])) / 256;
  Check(Run(input, options, {cut}, false) == whole, "a split parses the same", input);
  // Feeding byte by byte costs time quadratic in the input; short inputs keep
  // the fuzzer fast, and the unit tests split whole recorded sessions at every byte.
  if (input.size() <= 64) {
    std::vector<size_t> every;
    for (size_t i = 1; i < input.size(); ++i) every.push_back(i);
    Check(Run(input, options, every, false) == whole, "byte at a time parses the same", input);
  }
}

}  // namespace
}  // namespace protocol
}  // namespace memkit

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using memkit::protocol::AsciiParserOptions;
  absl::string_view input(reinterpret_cast<const char*>(data), size);
  AsciiParserOptions defaults;
  memkit::protocol::FuzzWith(input, defaults);
  AsciiParserOptions other;
  other.meta_explicit_cas = true;
  other.max_value_size = 16;
  memkit::protocol::FuzzWith(input, other);
  return 0;
}
