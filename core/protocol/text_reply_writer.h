// Server side of the text protocol: the replies memcached 1.6.18 sends, byte
// for byte. Fixed replies are static strings a server can reference without
// copying; VALUE lines are formatted into a small caller buffer so that a get
// hit is three pieces for writev(): the line, the item's value (referenced),
// "\r\n". The sink-based Write* functions do the same through an AsciiSink.
//
// A malformed request's reply comes from the parser (ProtocolError::reply).
//
// Thread-safety: pure functions.

#ifndef MEMKIT_CORE_PROTOCOL_TEXT_REPLY_WRITER_H_
#define MEMKIT_CORE_PROTOCOL_TEXT_REPLY_WRITER_H_

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "core/protocol/ascii_sink.h"

namespace memkit {
namespace protocol {

// Fixed replies, with their "\r\n".
inline constexpr absl::string_view kTextEnd = "END\r\n";
inline constexpr absl::string_view kTextStored = "STORED\r\n";
inline constexpr absl::string_view kTextNotStored = "NOT_STORED\r\n";
inline constexpr absl::string_view kTextExists = "EXISTS\r\n";
inline constexpr absl::string_view kTextNotFound = "NOT_FOUND\r\n";
inline constexpr absl::string_view kTextDeleted = "DELETED\r\n";
inline constexpr absl::string_view kTextTouched = "TOUCHED\r\n";
inline constexpr absl::string_view kTextOk = "OK\r\n";
inline constexpr absl::string_view kTextReset = "RESET\r\n";
inline constexpr absl::string_view kTextError = "ERROR\r\n";
inline constexpr absl::string_view kTextCrlf = "\r\n";
// Replies whose words memcached fixes (the server decides when they apply).
inline constexpr absl::string_view kTextTooLarge = "SERVER_ERROR object too large for cache\r\n";
inline constexpr absl::string_view kTextOutOfMemory = "SERVER_ERROR out of memory storing object\r\n";
inline constexpr absl::string_view kTextNonNumeric =
    "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n";
inline constexpr absl::string_view kTextShutdownDisabled = "ERROR: shutdown not enabled\r\n";
inline constexpr absl::string_view kTextInvalidShutdownMode =
    "CLIENT_ERROR invalid shutdown mode\r\n";
inline constexpr absl::string_view kTextFlushDisabled = "CLIENT_ERROR flush_all not allowed\r\n";
inline constexpr absl::string_view kTextMemlimitTooSmall =
    "MEMLIMIT_TOO_SMALL cannot set maxbytes to less than 8m\r\n";
inline constexpr absl::string_view kTextMemlimitNotBytes =
    "MEMLIMIT_ADJUST_FAILED input value is megabytes not bytes\r\n";

// Room FormatValueLine() needs beyond the key's bytes:
// "VALUE " + " " + flags (10) + " " + bytes (20) + " " + cas (20) + "\r\n".
inline constexpr size_t kValueLineOverhead = 6 + 1 + 10 + 1 + 20 + 1 + 20 + 2;
// Room for any VALUE line with a key of up to 250 bytes.
inline constexpr size_t kMaxValueLineSize = 250 + kValueLineOverhead;

// Formats "VALUE <key> <flags> <bytes>[ <cas>]\r\n" at `buf`, which must hold
// key.size() + kValueLineOverhead bytes; returns the line.
absl::string_view FormatValueLine(char* buf, absl::string_view key, uint32_t flags, size_t bytes,
                                  bool with_cas, uint64_t cas);

// One get/gets/gat/gats hit: the VALUE line (copied), `value` (referenced),
// "\r\n". `with_cas` for gets and gats.
void WriteValue(AsciiSink* sink, absl::string_view key, uint32_t flags, absl::string_view value,
                bool with_cas, uint64_t cas);

// The reply to incr/decr: the new value.
void WriteNumber(AsciiSink* sink, uint64_t value);

// One statistic line: "STAT <name> <value>\r\n"; the stream ends with kTextEnd.
void WriteStat(AsciiSink* sink, absl::string_view name, absl::string_view value);
void WriteStat(AsciiSink* sink, absl::string_view name, uint64_t value);
void WriteStatSigned(AsciiSink* sink, absl::string_view name, int64_t value);

// "VERSION <version>\r\n".
void WriteVersion(AsciiSink* sink, absl::string_view version);

// "CLIENT_ERROR <message>\r\n" and "SERVER_ERROR <message>\r\n".
void WriteClientError(AsciiSink* sink, absl::string_view message);
void WriteServerError(AsciiSink* sink, absl::string_view message);

// Any other reply line (e.g. stats cachedump's "ITEM ..."): `line` + "\r\n".
void WriteLine(AsciiSink* sink, absl::string_view line);

}  // namespace protocol
}  // namespace memkit

#endif  // MEMKIT_CORE_PROTOCOL_TEXT_REPLY_WRITER_H_
