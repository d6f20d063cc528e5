#include "core/protocol/text_request_writer.h"

#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/protocol/ascii_internal.h"
#include "core/status/status.h"

namespace memkit {
namespace protocol {
namespace {

using internal::CopyTo;
using internal::FormatI64;
using internal::FormatU64;

constexpr size_t kMaxTextKey = 250;
// Room for a command line with one key: word, key, four numbers, noreply.
constexpr size_t kLineRoom = 16 + kMaxTextKey + 4 * 21 + 10;

// Builds a command line on the stack; keys are checked by the callers.
class LineBuffer {
 public:
  LineBuffer& Put(absl::string_view s) {
    p_ = CopyTo(p_, s);
    return *this;
  }
  LineBuffer& Space() {
    *p_++ = ' ';
    return *this;
  }
  LineBuffer& U64(uint64_t v) {
    p_ = FormatU64(v, p_);
    return *this;
  }
  LineBuffer& I64(int64_t v) {
    p_ = FormatI64(v, p_);
    return *this;
  }
  LineBuffer& Noreply(bool noreply) {
    if (noreply) Put(" noreply");
    return *this;
  }
  absl::string_view End() {
    *p_++ = '\r';
    *p_++ = '\n';
    return absl::string_view(buf_, static_cast<size_t>(p_ - buf_));
  }

 private:
  char buf_[kLineRoom];
  char* p_ = buf_;
};

absl::Status BadCommand(AsciiCommand command) {
  return absl::InvalidArgumentError(
      absl::StrCat("not a command for this writer: ", AsciiCommandName(command)));
}

absl::Status CheckKeys(absl::Span<const absl::string_view> keys) {
  if (keys.empty()) return McError(McCode::kBadKey, "a retrieval needs at least one key");
  for (absl::string_view key : keys) {
    absl::Status s = CheckTextKey(key);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

// "<word>[ <exptime>] k1 k2 ...\r\n": the line can be long, so it is built
// in pieces (each copied) rather than on the stack.
void WriteKeysLine(AsciiSink* sink, absl::string_view word, const int32_t* exptime,
                   absl::Span<const absl::string_view> keys) {
  char head[32];
  char* p = CopyTo(head, word);
  if (exptime != nullptr) {
    *p++ = ' ';
    p = FormatI64(*exptime, p);
  }
  // Small multigets go out as one piece.
  size_t total = static_cast<size_t>(p - head) + 2;
  for (absl::string_view key : keys) total += key.size() + 1;
  char line[1024];
  if (total <= sizeof(line)) {
    char* q = CopyTo(line, absl::string_view(head, static_cast<size_t>(p - head)));
    for (absl::string_view key : keys) {
      *q++ = ' ';
      q = CopyTo(q, key);
    }
    *q++ = '\r';
    *q++ = '\n';
    sink->Append(absl::string_view(line, static_cast<size_t>(q - line)));
    return;
  }
  sink->Append(absl::string_view(head, static_cast<size_t>(p - head)));
  for (absl::string_view key : keys) {
    sink->Append(" ");
    sink->Append(key);
  }
  sink->Append("\r\n");
}

}  // namespace

absl::Status CheckTextKey(absl::string_view key) {
  if (key.empty()) return McError(McCode::kBadKey, "empty key");
  if (key.size() > kMaxTextKey) {
    return McError(McCode::kBadKey, absl::StrCat("key longer than 250 bytes (", key.size(), ")"));
  }
  for (char c : key) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) {
      return McError(McCode::kBadKey, "key holds a space or control character");
    }
  }
  return absl::OkStatus();
}

absl::Status WriteGetRequest(AsciiSink* sink, AsciiCommand command,
                             absl::Span<const absl::string_view> keys) {
  if (command != AsciiCommand::kGet && command != AsciiCommand::kGets) return BadCommand(command);
  absl::Status s = CheckKeys(keys);
  if (!s.ok()) return s;
  WriteKeysLine(sink, AsciiCommandName(command), nullptr, keys);
  return absl::OkStatus();
}

absl::Status WriteGatRequest(AsciiSink* sink, AsciiCommand command, int32_t exptime,
                             absl::Span<const absl::string_view> keys) {
  if (command != AsciiCommand::kGat && command != AsciiCommand::kGats) return BadCommand(command);
  absl::Status s = CheckKeys(keys);
  if (!s.ok()) return s;
  WriteKeysLine(sink, AsciiCommandName(command), &exptime, keys);
  return absl::OkStatus();
}

absl::Status WriteStorageRequest(AsciiSink* sink, AsciiCommand command, absl::string_view key,
                                 uint32_t flags, int32_t exptime, absl::string_view value,
                                 uint64_t cas, bool noreply) {
  if (!IsTextStorageCommand(command)) return BadCommand(command);
  absl::Status s = CheckTextKey(key);
  if (!s.ok()) return s;
  LineBuffer line;
  line.Put(AsciiCommandName(command)).Space().Put(key).Space().U64(flags).Space().I64(exptime);
  line.Space().U64(value.size());
  if (command == AsciiCommand::kCas) line.Space().U64(cas);
  sink->Append(line.Noreply(noreply).End());
  sink->AppendRef(value);
  sink->Append("\r\n");
  return absl::OkStatus();
}

absl::Status WriteDeleteRequest(AsciiSink* sink, absl::string_view key, bool noreply) {
  absl::Status s = CheckTextKey(key);
  if (!s.ok()) return s;
  LineBuffer line;
  sink->Append(line.Put("delete ").Put(key).Noreply(noreply).End());
  return absl::OkStatus();
}

absl::Status WriteArithmeticRequest(AsciiSink* sink, AsciiCommand command, absl::string_view key,
                                    uint64_t delta, bool noreply) {
  if (command != AsciiCommand::kIncr && command != AsciiCommand::kDecr) return BadCommand(command);
  absl::Status s = CheckTextKey(key);
  if (!s.ok()) return s;
  LineBuffer line;
  line.Put(AsciiCommandName(command)).Space().Put(key).Space().U64(delta);
  sink->Append(line.Noreply(noreply).End());
  return absl::OkStatus();
}

absl::Status WriteTouchRequest(AsciiSink* sink, absl::string_view key, int32_t exptime,
                               bool noreply) {
  absl::Status s = CheckTextKey(key);
  if (!s.ok()) return s;
  LineBuffer line;
  sink->Append(line.Put("touch ").Put(key).Space().I64(exptime).Noreply(noreply).End());
  return absl::OkStatus();
}

void WriteFlushAllRequest(AsciiSink* sink, absl::optional<int32_t> delay, bool noreply) {
  LineBuffer line;
  line.Put("flush_all");
  if (delay.has_value()) line.Space().I64(*delay);
  sink->Append(line.Noreply(noreply).End());
}

void WriteVerbosityRequest(AsciiSink* sink, uint32_t level, bool noreply) {
  LineBuffer line;
  sink->Append(line.Put("verbosity ").U64(level).Noreply(noreply).End());
}

void WriteVersionRequest(AsciiSink* sink) { sink->Append("version\r\n"); }

void WriteQuitRequest(AsciiSink* sink) { sink->Append("quit\r\n"); }

absl::Status WriteStatsRequest(AsciiSink* sink, absl::string_view args) {
  for (char c : args) {
    if (c == '\r' || c == '\n' || c == '\0') {
      return absl::InvalidArgumentError("stats arguments hold a line break or NUL");
    }
  }
  if (args.empty()) {
    sink->Append("stats\r\n");
  } else {
    sink->Append("stats ");
    sink->Append(args);
    sink->Append("\r\n");
  }
  return absl::OkStatus();
}

void WriteShutdownRequest(AsciiSink* sink, bool graceful) {
  sink->Append(graceful ? absl::string_view("shutdown graceful\r\n")
                        : absl::string_view("shutdown\r\n"));
}

void WriteCacheMemlimitRequest(AsciiSink* sink, uint32_t megabytes, bool noreply) {
  LineBuffer line;
  sink->Append(line.Put("cache_memlimit ").U64(megabytes).Noreply(noreply).End());
}

}  // namespace protocol
}  // namespace memkit
