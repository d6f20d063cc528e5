// Client side of the text protocol: every request memcached 1.6.18 takes,
// written byte for byte through an AsciiSink. Command lines are formatted on
// the stack and appended (copied); a storage command's data block is passed
// to AppendRef(), so it can go out by reference.
//
// Keys are checked before anything is written: 1 to 250 bytes, no space, no
// control character (bytes 0x00-0x20 and 0x7f), so no key can smuggle a
// second command onto the wire. A refused key is McCode::kBadKey
// (InvalidArgument) and nothing is written. Binary keys need the meta
// protocol's base64 form (meta_request_writer.h).
//
// Thread-safety: pure functions.

#ifndef MEMKIT_CORE_PROTOCOL_TEXT_REQUEST_WRITER_H_
#define MEMKIT_CORE_PROTOCOL_TEXT_REQUEST_WRITER_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "absl/types/span.h"
#include "core/protocol/ascii_request.h"
#include "core/protocol/ascii_sink.h"

namespace memkit {
namespace protocol {

// OK if `key` may go on a text command line (see above).
absl::Status CheckTextKey(absl::string_view key);

// "get|gets <key>*\r\n" (`command` kGet or kGets); at least one key.
absl::Status WriteGetRequest(AsciiSink* sink, AsciiCommand command,
                             absl::Span<const absl::string_view> keys);

// "gat|gats <exptime> <key>*\r\n" (`command` kGat or kGats).
absl::Status WriteGatRequest(AsciiSink* sink, AsciiCommand command, int32_t exptime,
                             absl::Span<const absl::string_view> keys);

// "<set|add|replace|append|prepend> <key> <flags> <exptime> <bytes>
// [noreply]\r\n<value>\r\n", or for kCas "... <bytes> <cas> [noreply]".
// `cas` is ignored for the others.
absl::Status WriteStorageRequest(AsciiSink* sink, AsciiCommand command, absl::string_view key,
                                 uint32_t flags, int32_t exptime, absl::string_view value,
                                 uint64_t cas, bool noreply);

// "delete <key> [noreply]\r\n".
absl::Status WriteDeleteRequest(AsciiSink* sink, absl::string_view key, bool noreply);

// "incr|decr <key> <delta> [noreply]\r\n" (`command` kIncr or kDecr).
absl::Status WriteArithmeticRequest(AsciiSink* sink, AsciiCommand command, absl::string_view key,
                                    uint64_t delta, bool noreply);

// "touch <key> <exptime> [noreply]\r\n".
absl::Status WriteTouchRequest(AsciiSink* sink, absl::string_view key, int32_t exptime,
                               bool noreply);

// "flush_all [delay] [noreply]\r\n".
void WriteFlushAllRequest(AsciiSink* sink, absl::optional<int32_t> delay, bool noreply);

// "verbosity <level> [noreply]\r\n".
void WriteVerbosityRequest(AsciiSink* sink, uint32_t level, bool noreply);

// "version\r\n", "quit\r\n".
void WriteVersionRequest(AsciiSink* sink);
void WriteQuitRequest(AsciiSink* sink);

// "stats[ <args>]\r\n", e.g. args "items" or "detail dump"; `args` must not
// hold '\r', '\n' or NUL (InvalidArgument).
absl::Status WriteStatsRequest(AsciiSink* sink, absl::string_view args);

// "shutdown[ graceful]\r\n".
void WriteShutdownRequest(AsciiSink* sink, bool graceful);

// "cache_memlimit <megabytes> [noreply]\r\n".
void WriteCacheMemlimitRequest(AsciiSink* sink, uint32_t megabytes, bool noreply);

}  // namespace protocol
}  // namespace memkit

#endif  // MEMKIT_CORE_PROTOCOL_TEXT_REQUEST_WRITER_H_
