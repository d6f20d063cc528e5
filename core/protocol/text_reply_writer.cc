#include "core/protocol/text_reply_writer.h"

#include <cstring>
#include <string>

#include "core/protocol/ascii_internal.h"

namespace memkit {
namespace protocol {

using internal::FormatI64;
using internal::FormatU64;

absl::string_view FormatValueLine(char* buf, absl::string_view key, uint32_t flags, size_t bytes,
                                  bool with_cas, uint64_t cas) {
  char* p = buf;
  std::memcpy(p, "VALUE ", 6);
  p += 6;
  p = internal::CopyTo(p, key);
  *p++ = ' ';
  p = FormatU64(flags, p);
  *p++ = ' ';
  p = FormatU64(bytes, p);
  if (with_cas) {
    *p++ = ' ';
    p = FormatU64(cas, p);
  }
  *p++ = '\r';
  *p++ = '\n';
  return absl::string_view(buf, static_cast<size_t>(p - buf));
}

void WriteValue(AsciiSink* sink, absl::string_view key, uint32_t flags, absl::string_view value,
                bool with_cas, uint64_t cas) {
  if (key.size() <= 250) {
    char buf[kMaxValueLineSize];
    sink->Append(FormatValueLine(buf, key, flags, value.size(), with_cas, cas));
  } else {
    std::string buf(key.size() + kValueLineOverhead, '\0');
    sink->Append(FormatValueLine(&buf[0], key, flags, value.size(), with_cas, cas));
  }
  sink->AppendRef(value);
  sink->Append(kTextCrlf);
}

void WriteNumber(AsciiSink* sink, uint64_t value) {
  char buf[internal::kMaxU64Digits + 2];
  char* p = FormatU64(value, buf);
  *p++ = '\r';
  *p++ = '\n';
  sink->Append(absl::string_view(buf, static_cast<size_t>(p - buf)));
}

namespace {

// prefix + a [+ ' ' + b] + "\r\n", formatted on the stack when it fits.
void WritePrefixedLine(AsciiSink* sink, absl::string_view prefix, absl::string_view a,
                       absl::string_view b = {}, bool space_before_b = false) {
  const size_t n = prefix.size() + a.size() + (space_before_b ? 1 : 0) + b.size() + 2;
  char stack[512];
  std::string heap;
  char* buf = stack;
  if (n > sizeof(stack)) {
    heap.resize(n);
    buf = &heap[0];
  }
  char* p = internal::CopyTo(buf, prefix);
  p = internal::CopyTo(p, a);
  if (space_before_b) *p++ = ' ';
  p = internal::CopyTo(p, b);
  *p++ = '\r';
  *p++ = '\n';
  sink->Append(absl::string_view(buf, n));
}

}  // namespace

void WriteStat(AsciiSink* sink, absl::string_view name, absl::string_view value) {
  WritePrefixedLine(sink, "STAT ", name, value, true);
}

void WriteStat(AsciiSink* sink, absl::string_view name, uint64_t value) {
  char buf[internal::kMaxU64Digits];
  char* end = FormatU64(value, buf);
  WriteStat(sink, name, absl::string_view(buf, static_cast<size_t>(end - buf)));
}

void WriteStatSigned(AsciiSink* sink, absl::string_view name, int64_t value) {
  char buf[internal::kMaxI64Chars + 1];
  char* end = FormatI64(value, buf);
  WriteStat(sink, name, absl::string_view(buf, static_cast<size_t>(end - buf)));
}

void WriteVersion(AsciiSink* sink, absl::string_view version) {
  WritePrefixedLine(sink, "VERSION ", version);
}

void WriteClientError(AsciiSink* sink, absl::string_view message) {
  WritePrefixedLine(sink, "CLIENT_ERROR ", message);
}

void WriteServerError(AsciiSink* sink, absl::string_view message) {
  WritePrefixedLine(sink, "SERVER_ERROR ", message);
}

void WriteLine(AsciiSink* sink, absl::string_view line) { WritePrefixedLine(sink, "", line); }

}  // namespace protocol
}  // namespace memkit
