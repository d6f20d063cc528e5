// AsciiSink: where memkit's text and meta writers (requests and replies) put
// their bytes. Writers hand small formatted pieces (command lines, reply
// lines) to Append(), which copies them, and bulk bytes the caller owns (item
// values, data blocks) to AppendRef(), which may keep a reference instead of
// copying, so a server can writev() values straight from item memory. A
// connection adapts its output buffer (e.g. net::OutputQueue's Append and
// AppendRef) with a few lines; StringSink collects into a std::string.
//
// Writers that only format (FormatValueLine(), MetaReplyLine, ...) need no
// sink at all: they fill a small caller buffer and return the line.
//
// Thread-compatible.

#ifndef MEMKIT_CORE_PROTOCOL_ASCII_SINK_H_
#define MEMKIT_CORE_PROTOCOL_ASCII_SINK_H_

#include <string>

#include "absl/strings/string_view.h"

namespace memkit {
namespace protocol {

class AsciiSink {
 public:
  virtual ~AsciiSink() = default;
  // Copies `bytes`; they need not outlive the call.
  virtual void Append(absl::string_view bytes) = 0;
  // `bytes` stay valid and unchanged until the output is sent (or copied).
  virtual void AppendRef(absl::string_view bytes) { Append(bytes); }
};

// Appends everything to a std::string (tests, simple clients).
class StringSink final : public AsciiSink {
 public:
  explicit StringSink(std::string* out) : out_(out) {}
  void Append(absl::string_view bytes) override { out_->append(bytes.data(), bytes.size()); }

 private:
  std::string* out_;
};

}  // namespace protocol
}  // namespace memkit

#endif  // MEMKIT_CORE_PROTOCOL_ASCII_SINK_H_
