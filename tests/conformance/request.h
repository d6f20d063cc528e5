// Turning case-file text into request bytes: escapes, templates, and the
// binary-protocol request builder; plus the sentinels that end a case.
//
// Escapes: \r \n \t \0 \\ \xHH, and \{ \} for literal braces.
// Templates, expanded per server when the case runs:
//   {cas+N} {cas-N} {cas}   the server's CAS counter at the start of the case,
//                           plus N: the first store in a case gets {cas+1}
//   {now+N} {now-N} {now}   the current Unix time plus N seconds
//   {STR*N}                 STR (no braces or '*') repeated N times
//
// Binary request spec: `OPCODE field=value ...`, OPCODE a name (get, setq,
// noop, ...) or 0xNN. Fields: key=BYTES value=BYTES (escapes and templates),
// cas=N opaque=N vbucket=N magic=N datatype=N; extras appended in the order
// written: flags=U32 exptime=U32 delta=U64 initial=U64 u8=N u16=N u32=N u64=N
// extras=HEX; and overrides for malformed headers: keylen=N extlen=N
// bodylen=N, truncate=N (send only the first N bytes), skip=N (send all but
// the first N bytes: a packet split across writes). Numbers are decimal
// or 0x-hex; negative numbers wrap (exptime=-1 is 0xffffffff).
//
// Thread-safety: pure functions.

#ifndef MEMKIT_TESTS_CONFORMANCE_REQUEST_H_
#define MEMKIT_TESTS_CONFORMANCE_REQUEST_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace memkit {
namespace conformance {

struct ExpandContext {
  uint64_t cas_base = 0;  // The server's CAS counter when the case started.
  int64_t now = 0;        // Unix seconds.
};

// The largest expansion of one {STR*N} template, so a typo cannot exhaust memory.
inline constexpr size_t kMaxRepeatBytes = 16 << 20;

// Escapes and templates of `text` processed into bytes.
absl::StatusOr<std::string> ExpandBytes(absl::string_view text, const ExpandContext& context);

// The bytes of one binary request described by `spec` (see above).
absl::StatusOr<std::string> EncodeBinaryRequest(absl::string_view spec,
                                                const ExpandContext& context);

// Binary opcode names used in specs and in rendered replies ("get", "setq",
// ...); "" for an opcode without a name.
absl::string_view BinaryOpcodeName(uint8_t opcode);

// The sentinel appended to a case and the reply that marks the end. For the
// text protocol it is a meta get that misses and echoes its key and opaque:
// unlike `mn`, whose "MN" a case may also produce, nothing else in a case
// yields this line.
inline constexpr absl::string_view kTextSentinel = "mg __memkit_end__ k Omkend\r\n";
inline constexpr absl::string_view kTextSentinelReply = "EN k__memkit_end__ Omkend\r\n";
inline constexpr uint32_t kSentinelOpaque = 0x4d4b534e;  // "MKSN"
std::string BinarySentinel();       // A NOOP request with kSentinelOpaque.
std::string BinarySentinelReply();  // memcached's reply to it.

// Whether a reply stream that has received `reply` is complete: it ends with
// the sentinel's reply (for the text protocol, at the start of a line).
bool EndsWithSentinelReply(absl::string_view reply, bool binary);

}  // namespace conformance
}  // namespace memkit

#endif  // MEMKIT_TESTS_CONFORMANCE_REQUEST_H_
